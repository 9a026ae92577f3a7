import { execFileSync } from 'node:child_process'
import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'

/**
 * A self-signed certificate for the broker's TLS listener, made with openssl for each broker:
 * `keystorePem` (private key then certificate, Kafka's PEM keystore format) and `caFile` (the
 * certificate alone, which clients trust).
 */
export function makeBrokerCertificate(dir: string): { keystorePem: string; caFile: string } {
  const keyFile = join(dir, 'broker-key.pem')
  const caFile = join(dir, 'broker-cert.pem')
  execFileSync(
    'openssl',
    [
      'req',
      '-x509',
      '-newkey',
      'rsa:2048',
      '-nodes',
      '-keyout',
      keyFile,
      '-out',
      caFile,
      '-days',
      '7',
      '-subj',
      '/CN=127.0.0.1',
      '-addext',
      'subjectAltName=IP:127.0.0.1,DNS:localhost',
    ],
    { stdio: 'pipe' },
  )
  const keystorePem = join(dir, 'broker-keystore.pem')
  writeFileSync(keystorePem, `${readFileSync(keyFile, 'utf8')}${readFileSync(caFile, 'utf8')}`)
  return { keystorePem, caFile }
}
