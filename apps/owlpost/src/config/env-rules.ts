import { readFileSync } from 'node:fs'
import { isIP } from 'node:net'
import { resolveConnectionOptions } from '@factlib/wal'
// How one environment variable is read. Hand-written rather than Effect Schema: loading `effect`
// cost the relay about 38 MB of resident memory for a dozen checks made once at start-up.

export type Parsed<T> = { ok: true; value: T } | { ok: false; problem: string }

/** Reads one variable's text: its value, or a problem phrased to follow the variable's name. */
export type Rule<T> = (text: string) => Parsed<T>

/** A variable: its rule and what an unset (or empty) variable means. */
export interface Setting<T> {
  readonly rule: Rule<T>
  readonly unset: { readonly value: T } | 'required'
}

const ok = <T>(value: T): Parsed<T> => ({ ok: true, value })
const problem = (text: string): Parsed<never> => ({ ok: false, problem: text })

export const required = <T>(rule: Rule<T>): Setting<T> => ({ rule, unset: 'required' })
export const withDefault = <T>(rule: Rule<T>, value: NoInfer<T>): Setting<T> => ({ rule, unset: { value } })
export const optional = <T>(rule: Rule<T>): Setting<T | undefined> => ({ rule, unset: { value: undefined } })

export const text: Rule<string> = ok

function wholeNumber(raw: string): Parsed<number> {
  const value = Number(raw)
  if (raw.trim() === '' || Number.isNaN(value)) return problem('must be a number')
  if (!Number.isInteger(value)) return problem('must be a whole number')
  return ok(value)
}

export const positiveInt: Rule<number> = (raw) => {
  const parsed = wholeNumber(raw)
  return !parsed.ok || parsed.value > 0 ? parsed : problem('must be greater than 0')
}

export const nonNegativeInt: Rule<number> = (raw) => {
  const parsed = wholeNumber(raw)
  return !parsed.ok || parsed.value >= 0 ? parsed : problem('must be 0 or more')
}

/** The longest delay Node's timers take: a longer one fires at once, every time. */
export const maxTimerMs = 2 ** 31 - 1

/** A duration in milliseconds a timer can wait: from `min` to about 24.8 days. */
export const durationMs = (min: number) => intBetween(min, maxTimerMs, 'ms')

/** A whole number from `min` to `max`; `unit` names what it counts in the problem text. */
export function intBetween(min: number, max: number, unit: string): Rule<number> {
  return (raw) => {
    const parsed = wholeNumber(raw)
    return !parsed.ok || (parsed.value >= min && parsed.value <= max)
      ? parsed
      : problem(`must be from ${min} to ${max} ${unit}`)
  }
}

export const port: Rule<number> = (raw) => {
  const parsed = wholeNumber(raw)
  return !parsed.ok || (parsed.value >= 1 && parsed.value <= 65535)
    ? parsed
    : problem('must be a port number from 1 to 65535')
}

export const flag: Rule<boolean> = (raw) => {
  const lower = raw.toLowerCase()
  if (['true', '1', 'yes'].includes(lower)) return ok(true)
  if (['false', '0', 'no'].includes(lower)) return ok(false)
  return problem('must be true or false')
}

export function oneOf<const Choices extends readonly [string, ...string[]]>(
  ...choices: Choices
): Rule<Choices[number]> {
  return (raw) =>
    (choices as readonly string[]).includes(raw)
      ? ok(raw as Choices[number])
      : problem(`must be one of: ${choices.join(', ')}`)
}

/** A comma-separated list of at least one item, each matching `item` (`rule` says what it must be). */
export function commaList(noun: string, item: RegExp, rule: string): Rule<readonly string[]> {
  return (raw) => {
    const parts = raw
      .split(',')
      .map((part) => part.trim())
      .filter((part) => part.length > 0)
    if (parts.length === 0) return problem(`must name at least one ${noun}`)
    return parts.every((part) => item.test(part)) ? ok(parts) : problem(rule)
  }
}

export function matching(pattern: RegExp, rule: string): Rule<string> {
  return (raw) => (pattern.test(raw) ? ok(raw) : problem(rule))
}

/** A Kafka topic name as the broker accepts it. */
export const kafkaTopic: Rule<string> = (raw) =>
  /^[A-Za-z0-9._-]{1,249}$/.test(raw) && raw !== '.' && raw !== '..'
    ? ok(raw)
    : problem('must be a Kafka topic name: 1 to 249 letters, digits, ".", "_" or "-", and not "." or ".."')

const hostName =
  /^(?=.{1,253}$)[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?(\.[A-Za-z0-9]([A-Za-z0-9-]{0,61}[A-Za-z0-9])?)*$/

/** An address to listen on: an IPv4 or IPv6 address, or a host name. */
export const listenHost: Rule<string> = (raw) =>
  isIP(raw) !== 0 || hostName.test(raw)
    ? ok(raw)
    : problem('must be an IP address (127.0.0.1, 0.0.0.0, ::) or a host name')

/** A file read once at start: its path and text, so a missing file stops owlpost naming the variable. */
export interface FileText {
  path: string
  text: string
}

/** A PEM file holding at least one block of `label` (CERTIFICATE, PRIVATE KEY...). */
export function pemFile(what: string, label: RegExp): Rule<FileText> {
  return (raw) => {
    let text: string
    try {
      text = readFileSync(raw, 'utf8')
    } catch (error) {
      const code = (error as NodeJS.ErrnoException).code
      const why =
        code === 'ENOENT'
          ? 'does not exist'
          : code === 'EACCES'
            ? 'is not readable'
            : `cannot be read (${code})`
      return problem(`names ${raw}, which ${why}`)
    }
    const block = new RegExp(`-----BEGIN ${label.source}-----`)
    return block.test(text) ? ok({ path: raw, text }) : problem(`names ${raw}, which holds no PEM ${what}`)
  }
}

/** A postgres:// URL as libpq reads it, a host list (`h1:5432,h2:5432`) included. */
export const postgresUrl: Rule<string> = (raw) => {
  if (!/^postgres(ql)?:\/\//.test(raw)) return problem('must be a postgres:// or postgresql:// URL')
  try {
    resolveConnectionOptions(raw, {})
    return ok(raw)
  } catch (error) {
    return problem(`must be a postgres:// URL: ${(error as Error).message}`)
  }
}

export type EnvOf<Spec> = { -readonly [Name in keyof Spec]: Spec[Name] extends Setting<infer T> ? T : never }

/**
 * Reads every variable of the spec from `env` (an empty value counts as unset), collecting every
 * problem rather than stopping at the first.
 */
export function readEnv<Spec extends Record<string, Setting<unknown>>>(
  spec: Spec,
  env: Record<string, string | undefined>,
): { ok: true; env: EnvOf<Spec> } | { ok: false; problems: { variable: string; message: string }[] } {
  const values: Record<string, unknown> = {}
  const problems: { variable: string; message: string }[] = []
  for (const [variable, setting] of Object.entries(spec)) {
    const raw = env[variable]
    if (raw === undefined || raw === '') {
      if (setting.unset === 'required') problems.push({ variable, message: 'is required but not set' })
      else values[variable] = setting.unset.value
      continue
    }
    const parsed = setting.rule(raw)
    if (parsed.ok) values[variable] = parsed.value
    else problems.push({ variable, message: parsed.problem })
  }
  return problems.length > 0 ? { ok: false, problems } : { ok: true, env: values as EnvOf<Spec> }
}
