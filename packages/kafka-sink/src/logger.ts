// One logger shape across the packages: @factlib/wal's (pino-compatible). The sink never prints.
export { type Logger, silentLogger } from '@factlib/wal'
