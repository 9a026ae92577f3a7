export const packageName = '@factlib/core'
