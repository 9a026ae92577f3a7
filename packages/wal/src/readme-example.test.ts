import { spawn } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { type ReplicationFixture, replicationFixture } from './test-support/replication-fixture.js'

const packageDir = join(dirname(fileURLToPath(import.meta.url)), '..')
const examplePath = join(packageDir, 'examples', 'tail-slot.ts')

describe('the README example (examples/tail-slot.ts, run against the built package)', () => {
  let fixture: ReplicationFixture
  beforeAll(async () => {
    fixture = await replicationFixture('wal_readme')
  })
  afterAll(() => fixture?.dispose())

  it('is the code the README shows', () => {
    expect(readFileSync(join(packageDir, 'README.md'), 'utf8')).toContain(readFileSync(examplePath, 'utf8'))
  })

  it('tails a slot, prints its changes, and stops cleanly on SIGINT', async () => {
    const slot = `${fixture.slot}_tail`
    await fixture.sql('create table t(id int primary key, v text)')
    await fixture.sql('alter publication pub add table t')
    const child = spawn(process.execPath, [examplePath], {
      cwd: packageDir,
      env: { ...process.env, DATABASE_URL: fixture.url, SLOT: slot },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    child.stdout.on('data', (chunk) => {
      output += chunk
    })
    child.stderr.on('data', (chunk) => {
      output += chunk
    })
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
    const waitForOutput = async (text: string) => {
      const deadline = Date.now() + 20_000
      while (!output.includes(text)) {
        if (Date.now() > deadline)
          throw new Error(`example did not print ${JSON.stringify(text)}; output:\n${output}`)
        await new Promise((resolve) => setTimeout(resolve, 50))
      }
    }
    // The example creates the slot on start; wait until it exists before writing.
    const deadline = Date.now() + 20_000
    while (
      (await fixture.sql(`select 1 from pg_replication_slots where slot_name = '${slot}' and active`))
        .length === 0
    ) {
      if (Date.now() > deadline) throw new Error(`example did not start; output:\n${output}`)
      await new Promise((resolve) => setTimeout(resolve, 50))
    }
    await fixture.sql("insert into t values (1, 'x')")
    await fixture.sql("select pg_logical_emit_message(true, 'demo', 'hello')")
    await waitForOutput('message demo')
    child.kill('SIGINT')
    expect(await exited).toBe(0)
    expect(output).toContain('insert public.t: id=1 v=x')
    expect(output).toMatch(/message demo at [0-9A-F]+\/[0-9A-F]+: hello/)
    expect(output).toMatch(/commit, end [0-9A-F]+\/[0-9A-F]+/)
    await fixture.sql(`select pg_drop_replication_slot('${slot}')`)
  })
})
