/** Where a service came from: named by env, a Docker container, or a local process. */
export type Backend = 'env' | 'container' | 'local'

export interface ControllableService {
  readonly backend: Backend
  /** Graceful stop; the service can be started again on the same address. */
  stop(mode?: 'fast' | 'immediate'): Promise<void>
  /** Start again after stop() or kill(), on the same address and data. */
  start(): Promise<void>
  /** SIGKILL: a crash, for fault tests. */
  kill(): Promise<void>
  /** Stop for good and remove everything the service wrote. */
  dispose(): Promise<void>
}

export interface PostgresService extends ControllableService {
  /** Superuser connection URL to the `postgres` database. */
  readonly url: string
  readonly host: string
  readonly port: number
  readonly user: string
  readonly password: string
  /** Connection URL to another database on the same server. */
  urlFor(database: string, credentials?: { user: string; password?: string }): string
}

export interface KafkaService extends ControllableService {
  /** PLAINTEXT bootstrap servers. */
  readonly brokers: string[]
  /** SASL_PLAINTEXT bootstrap servers (PLAIN, SCRAM-SHA-256, SCRAM-SHA-512), when the backend has them. */
  readonly saslBrokers?: string[]
  /** SASL_SSL bootstrap servers (TLS with the same SASL mechanisms), when the backend has them. */
  readonly saslSslBrokers?: string[]
  /** PEM file of the self-signed certificate the SASL_SSL listener presents (valid for 127.0.0.1 and localhost). */
  readonly tlsCaFile?: string
  readonly saslUser?: { username: string; password: string }
}

export class MissingBackendError extends Error {
  override readonly name = 'MissingBackendError'
}

export class NotControllableError extends Error {
  override readonly name = 'NotControllableError'
  constructor(service: string, action: string) {
    super(
      `${service} was given by environment variable and cannot be ${action}; ` +
        'fault tests need a dedicated server (unset the variable or pass { dedicated: true })',
    )
  }
}
