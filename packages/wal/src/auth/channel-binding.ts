/// <reference types="node" preserve="true" />
import type { Socket } from 'node:net'
import type { ResolvedConnectionOptions } from '../connection-options.js'
import { isTls } from '../connection-transport.js'
import { AuthenticationError } from '../replication-errors.js'
import { type ChannelBinding, certificateEndPointHash } from './scram-sha-256.js'

const required = { request: 'AuthenticationSASL', rule: 'channel_binding=require' }

/**
 * The channel binding SCRAM uses on this socket: tls-server-end-point when TLS has a certificate
 * to bind to, the server offers SCRAM-SHA-256-PLUS and channel_binding allows it; else none, or an
 * AuthenticationError when channel_binding=require cannot be met.
 */
export function chooseChannelBinding(
  socket: Socket,
  mechanisms: string[],
  options: Pick<ResolvedConnectionOptions, 'channelBinding'>,
): ChannelBinding {
  const certificate = isTls(socket) ? socket.getPeerX509Certificate() : undefined
  // Ed25519 and the like sign without a separate hash, which tls-server-end-point cannot name.
  const hashable = certificate !== undefined && /sha|md5/i.test(certificate.signatureAlgorithm ?? '')
  if (options.channelBinding === 'disable' || !hashable) {
    if (options.channelBinding === 'require') {
      throw new AuthenticationError(
        'channel_binding=require needs TLS with a certificate it can bind to',
        required,
      )
    }
    return { tag: 'none', serverSupportsIt: false }
  }
  if (!mechanisms.includes('SCRAM-SHA-256-PLUS')) {
    if (options.channelBinding === 'require') {
      throw new AuthenticationError(
        'channel_binding=require, but the server does not offer SCRAM-SHA-256-PLUS',
        required,
      )
    }
    return { tag: 'none', serverSupportsIt: true }
  }
  return {
    tag: 'tls-server-end-point',
    certificateHash: certificateEndPointHash(certificate.raw, certificate.signatureAlgorithm),
  }
}
