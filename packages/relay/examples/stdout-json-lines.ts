// Facts to stdout as JSON lines, each confirmed once printed. Run it with
//   DATABASE_URL=postgres://… PREFIX=shop node examples/stdout-json-lines.ts
// (a slot `facts_stdout` and a publication `facts` are created when missing).
import { fileURLToPath } from 'node:url'
import { decodeEnvelope, envelopeToJson } from '@factlib/core/wire'
import { subscribeFacts } from '@factlib/relay'

export interface PrintOptions {
  connectionString: string
  prefixes: string[]
  slot: string
  publication: string
  signal?: AbortSignal
  write?: (line: string) => void
}

export async function printFacts(options: PrintOptions): Promise<void> {
  const { write = (line) => process.stdout.write(`${line}\n`), ...source } = options
  for await (const transaction of subscribeFacts(source)) {
    for (const fact of transaction.facts) {
      write(JSON.stringify({ prefix: fact.prefix, fact: envelopeToJson(decodeEnvelope(fact.value)) }))
    }
    transaction.done()
  }
}

if (process.argv[1] === fileURLToPath(import.meta.url)) {
  const controller = new AbortController()
  process.once('SIGINT', () => controller.abort())
  await printFacts({
    connectionString: process.env.DATABASE_URL ?? 'postgres://postgres@127.0.0.1:5432/postgres',
    prefixes: (process.env.PREFIX ?? 'shop').split(','),
    slot: 'facts_stdout',
    publication: 'facts',
    signal: controller.signal,
  })
}
