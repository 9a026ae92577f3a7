import { parseArgs } from 'node:util'
import { inspectSlot } from './commands/inspect.js'
import { runRelay } from './commands/run.js'
import { tailFacts } from './commands/tail.js'
import { loadDotenv } from './config/dotenv.js'
import { loadConfig, type OwlpostConfig } from './config/load-config.js'

const usage = `owlpost: relays facts from the PostgreSQL WAL to Kafka

  owlpost                 run the relay (configuration from the environment; see the README)

  Every command first reads ./.env when there is one; variables already set win.
  owlpost tail [options]  print facts as JSON lines from a temporary slot; no Kafka needed
      --url <postgres-url>     default: MASTER_DATABASE_URL
      --prefix <a,b>           default: WAL_PREFIX
      --publication <name>     default: PUBLICATION_NAME or facts
      --payload json|base64    print payloads that are valid JSON as JSON (default base64)
      --created-at-unit ns|us  the unit createdAtIso reads created_at in: ns for the Go and
                               TypeScript producers (default), us for the Python client;
                               createdAt is always printed raw
      --limit <n>              stop after n facts
  owlpost inspect         print the slot, publication, confirmed LSN, lag and failover safety as
                          JSON; for a missing slot, with KAFKA_BROKERS and WAL_PREFIX set, the WAL
                          a new slot would skip and why
  owlpost help`

async function main(argv: string[], env: NodeJS.ProcessEnv): Promise<number> {
  const [command = 'run', ...rest] = argv
  const { values } = parseArgs({
    args: rest,
    options: {
      url: { type: 'string' },
      prefix: { type: 'string' },
      publication: { type: 'string' },
      slot: { type: 'string' },
      payload: { type: 'string', default: 'base64' },
      'created-at-unit': { type: 'string', default: 'ns' },
      limit: { type: 'string' },
    },
    strict: true,
  })
  const databaseUrl = values.url ?? env.MASTER_DATABASE_URL
  const publication = values.publication ?? env.PUBLICATION_NAME ?? 'facts'
  switch (command) {
    case 'run':
      return runRelay(env)
    case 'tail': {
      const prefixes = (values.prefix ?? env.WAL_PREFIX ?? '')
        .split(',')
        .map((part) => part.trim())
        .filter(Boolean)
      if (!databaseUrl || prefixes.length === 0) {
        process.stderr.write(
          'owlpost tail needs --url (or MASTER_DATABASE_URL) and --prefix (or WAL_PREFIX)\n',
        )
        return 2
      }
      if (values.payload !== 'json' && values.payload !== 'base64') {
        process.stderr.write('--payload must be json or base64\n')
        return 2
      }
      const unit = values['created-at-unit']
      if (unit !== 'ns' && unit !== 'us') {
        process.stderr.write('--created-at-unit must be ns or us\n')
        return 2
      }
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      process.once('SIGTERM', () => controller.abort())
      await tailFacts({
        databaseUrl,
        prefixes,
        publication,
        payload: values.payload,
        createdAtUnit: unit === 'us' ? 'microseconds' : 'nanoseconds',
        ...(values.limit ? { limit: Number(values.limit) } : {}),
        signal: controller.signal,
      })
      return 0
    }
    case 'inspect': {
      if (!databaseUrl) {
        process.stderr.write('owlpost inspect needs --url or MASTER_DATABASE_URL\n')
        return 2
      }
      const status = await inspectSlot({
        databaseUrl,
        slot: values.slot ?? env.REPLICATION_SLOT_NAME ?? 'factlib_slot',
        publication,
        ...configIfComplete({ ...env, MASTER_DATABASE_URL: databaseUrl }),
      })
      process.stdout.write(`${JSON.stringify(status, null, 2)}\n`)
      return 0
    }
    case 'help':
    case '--help':
    case '-h':
      process.stdout.write(`${usage}\n`)
      return 0
    default:
      process.stderr.write(`unknown command: ${command}\n${usage}\n`)
      return 2
  }
}

async function start(): Promise<number> {
  // As the Go owlpost (godotenv): a .env file in the working directory, the environment winning.
  loadDotenv(process.env)
  return main(process.argv.slice(2), process.env)
}

start().then(
  (code) => {
    process.exitCode = code
  },
  (error: Error) => {
    process.stderr.write(`owlpost: ${error.message}\n`)
    process.exitCode = 1
  },
)

/** The full configuration when the environment has all of it (inspect then also asks Kafka). */
function configIfComplete(env: NodeJS.ProcessEnv): { config?: OwlpostConfig } {
  try {
    return { config: loadConfig(env) }
  } catch {
    return {}
  }
}
