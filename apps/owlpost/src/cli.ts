#!/usr/bin/env -S node --max-semi-space-size=2 --max-old-space-size=64
import { parseArgs } from 'node:util'
import { inspectSlot } from './commands/inspect.js'
import { runRelay } from './commands/run.js'
import { tailFacts } from './commands/tail.js'

const usage = `owlpost: relays facts from the PostgreSQL WAL to Kafka

  owlpost                 run the relay (configuration from the environment; see the README)
  owlpost tail [options]  print facts as JSON lines from a temporary slot; no Kafka needed
      --url <postgres-url>     default: MASTER_DATABASE_URL
      --prefix <a,b>           default: WAL_PREFIX
      --publication <name>     default: PUBLICATION_NAME or facts
      --payload json|base64    print payloads that are valid JSON as JSON (default base64)
      --limit <n>              stop after n facts
  owlpost inspect         print the slot, publication, confirmed LSN and lag as JSON
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
      const controller = new AbortController()
      process.once('SIGINT', () => controller.abort())
      process.once('SIGTERM', () => controller.abort())
      await tailFacts({
        databaseUrl,
        prefixes,
        publication,
        payload: values.payload,
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

main(process.argv.slice(2), process.env).then(
  (code) => {
    process.exitCode = code
  },
  (error: Error) => {
    process.stderr.write(`owlpost: ${error.message}\n`)
    process.exitCode = 1
  },
)
