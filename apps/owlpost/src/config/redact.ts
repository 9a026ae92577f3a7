/** Replaces every secret value (and a URL's password) in text, for logs and error messages. */
export function redact(text: string, secrets: readonly string[]): string {
  let out = text
  for (const secret of secrets) {
    if (secret.length > 0) out = out.split(secret).join('***')
  }
  return out.replace(/(\w+:\/\/[^:/@\s]*:)([^@\s]+)@/g, '$1***@')
}

/** A connection URL safe to log: the password replaced. */
export function redactUrl(url: string): string {
  try {
    const parsed = new URL(url)
    if (parsed.password) parsed.password = '***'
    return parsed.toString()
  } catch {
    return redact(url, [])
  }
}
