import type { ProducerClientSettings } from '../producer-client.js'

/** Replaces the SASL password (and any TLS key passphrase) wherever it might show up. */
export function redactor(settings: ProducerClientSettings): (text: string) => string {
  const secrets: string[] = []
  if (settings.sasl?.password) secrets.push(settings.sasl.password)
  if (typeof settings.ssl === 'object' && typeof settings.ssl.passphrase === 'string') {
    secrets.push(settings.ssl.passphrase)
  }
  if (secrets.length === 0) return (text) => text
  return (text) => secrets.reduce((redacted, secret) => redacted.split(secret).join('[redacted]'), text)
}

/** Log fields without any that could hold a secret, and the rest redacted. */
export function redactFields(
  fields: Record<string, unknown>,
  redact: (text: string) => string,
): Record<string, unknown> {
  const safe: Record<string, unknown> = {}
  for (const [name, value] of Object.entries(fields)) {
    if (/password|secret|sasl|passphrase|key$/i.test(name)) continue
    safe[name] = typeof value === 'string' ? redact(value) : value
  }
  return safe
}
