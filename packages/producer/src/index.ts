export const packageName = '@factlib/producer'
