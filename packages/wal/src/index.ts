export const packageName = '@factlib/wal'
