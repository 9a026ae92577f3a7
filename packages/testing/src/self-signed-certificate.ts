import { execFileSync } from 'node:child_process'
import { join } from 'node:path'

export interface SelfSignedCertificate {
  /** The certificate, PEM. */
  cert: string
  /** Its private key, PEM (encrypted when a passphrase was given). */
  key: string
}

/**
 * A self-signed certificate and its key, made with openssl into `dir` as `<name>-cert.pem` and
 * `<name>-key.pem`: a broker's TLS listener, or a client's certificate for mTLS.
 */
export function makeSelfSignedCertificate(
  dir: string,
  name: string,
  options: { subjectAltName?: string; passphrase?: string } = {},
): SelfSignedCertificate {
  const cert = join(dir, `${name}-cert.pem`)
  const key = join(dir, `${name}-key.pem`)
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-keyout',
      key,
      '-out',
      cert,
      '-days',
      '7',
      '-subj',
      `/CN=${name}`,
      ...(options.passphrase === undefined ? ['-nodes'] : ['-passout', `pass:${options.passphrase}`]),
      ...(options.subjectAltName ? ['-addext', `subjectAltName=${options.subjectAltName}`] : []),
    ],
    { stdio: 'pipe' },
  )
  return { cert, key }
}
