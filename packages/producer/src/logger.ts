// One logger shape across the packages: @factlib/wal's (pino-compatible). The producer never prints.
export type { Logger } from '@factlib/wal'
