import pino, { type Logger } from 'pino'

/** JSON lines on stdout; the libraries get this same logger injected. */
export function createLogger(level: string, name = 'owlpost'): Logger {
  return pino({
    name,
    level,
    formatters: { level: (label) => ({ level: label }) },
    serializers: { err: pino.stdSerializers.err },
  })
}
