/** A pino-compatible logger; the sink never prints on its own. */
export interface Logger {
  debug(obj: object, msg?: string): void
  info(obj: object, msg?: string): void
  warn(obj: object, msg?: string): void
  error(obj: object, msg?: string): void
}

const ignore = () => {}

/** Used when the caller gives no logger. */
export const silentLogger: Logger = { debug: ignore, info: ignore, warn: ignore, error: ignore }
