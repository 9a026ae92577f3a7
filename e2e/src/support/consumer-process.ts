import { type ChildProcess, spawn } from 'node:child_process'
import { once } from 'node:events'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'

/** The built worker, from src (tests) or dist (chaos) alike: always the compiled one, as owlpost's. */
const worker = join(
  dirname(fileURLToPath(import.meta.url)),
  '..',
  '..',
  'dist',
  'support',
  'consumer-worker.js',
)

export interface ConsumerSettings {
  databaseUrl: string
  brokers: string[]
  prefix: string
  group: string
  /** The event types it applies; default `item.changed`. */
  eventTypes?: string[]
}

export interface ConsumerProcess {
  readonly instance: string
  /** The worker's JSON lines, parsed. */
  readonly events: Record<string, unknown>[]
  readonly output: string[]
  /** Whether the process has exited (killed, or on its own). */
  readonly exited: boolean
  started(timeoutMs?: number): Promise<void>
  /** SIGKILL: a crash, mid-transaction as likely as not. */
  kill(): Promise<void>
  /** SIGTERM: a graceful stop. */
  stop(): Promise<void>
}

/** One consumer instance (`support/consumer-worker.ts`) as a child process. */
export function startConsumer(settings: ConsumerSettings, instance: string): ConsumerProcess {
  const child: ChildProcess = spawn(process.execPath, ['--disable-warning=TimeoutNegativeWarning', worker], {
    env: {
      PATH: process.env.PATH ?? '',
      DATABASE_URL: settings.databaseUrl,
      KAFKA_BROKERS: settings.brokers.join(','),
      PREFIX: settings.prefix,
      CONSUMER_GROUP: settings.group,
      CONSUMER_INSTANCE: instance,
      ...(settings.eventTypes ? { CONSUMER_EVENT_TYPES: settings.eventTypes.join(',') } : {}),
    },
    stdio: ['ignore', 'pipe', 'pipe'],
  })
  const events: Record<string, unknown>[] = []
  const output: string[] = []
  child.stdout?.on('data', (chunk: Buffer) => {
    for (const line of chunk.toString('utf8').split('\n')) {
      if (!line) continue
      output.push(line)
      try {
        events.push(JSON.parse(line) as Record<string, unknown>)
      } catch {}
    }
  })
  child.stderr?.on('data', (chunk: Buffer) => output.push(chunk.toString('utf8')))
  const exited = once(child, 'exit')
  const gone = () => child.exitCode !== null || child.signalCode !== null
  return {
    instance,
    events,
    output,
    get exited() {
      return gone()
    },
    async started(timeoutMs = 60_000) {
      const deadline = Date.now() + timeoutMs
      while (!events.some((event) => event.event === 'started')) {
        if (gone()) throw new Error(`consumer ${instance} exited:\n${output.slice(-20).join('\n')}`)
        if (Date.now() > deadline) throw new Error(`consumer ${instance} did not start in ${timeoutMs} ms`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    },
    async kill() {
      if (!gone()) child.kill('SIGKILL')
      await exited
    },
    async stop() {
      if (!gone()) child.kill('SIGTERM')
      await exited
    },
  }
}
