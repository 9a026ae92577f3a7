import { readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { makeSelfSignedCertificate } from '../self-signed-certificate.js'

/**
 * A self-signed certificate for the broker's TLS listener: `keystorePem` (private key then
 * certificate, Kafka's PEM keystore format) and `caFile` (the certificate alone, which clients trust).
 */
export function makeBrokerCertificate(dir: string): { keystorePem: string; caFile: string } {
  const { cert, key } = makeSelfSignedCertificate(dir, '127.0.0.1', {
    subjectAltName: 'IP:127.0.0.1,DNS:localhost',
  })
  const keystorePem = join(dir, 'broker-keystore.pem')
  writeFileSync(keystorePem, `${readFileSync(key, 'utf8')}${readFileSync(cert, 'utf8')}`)
  return { keystorePem, caFile: cert }
}
