import { spawn } from 'node:child_process'
import { afterAll, describe, expect, it } from 'vitest'
import { owlpostCli } from './support/owlpost-process.js'
import { createScenario, utf8 } from './support/scenario.js'

describe('owlpost tail and inspect', () => {
  let world: Awaited<ReturnType<typeof createScenario>>

  afterAll(async () => {
    await world?.sql.end()
  })

  it('tail prints committed facts as JSON lines from a temporary slot, without Kafka', async () => {
    world = await createScenario('tail')
    const child = spawn(
      process.execPath,
      [
        owlpostCli,
        'tail',
        '--url',
        world.db.url,
        '--prefix',
        world.prefix,
        '--payload',
        'json',
        '--limit',
        '2',
      ],
      {
        env: { PATH: process.env.PATH ?? '', PUBLICATION_NAME: world.publication },
        stdio: ['ignore', 'pipe', 'pipe'],
      },
    )
    const lines: string[] = []
    child.stdout.on('data', (chunk: Buffer) => lines.push(...chunk.toString().split('\n').filter(Boolean)))
    const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))

    // tail starts at the moment its slot exists; keep committing until it has printed two facts.
    let n = 0
    while (lines.length < 2 && n < 100) {
      n++
      await world.sql.begin(async (tx) => {
        await world.producer.emit(tx, {
          aggregateType: 'note',
          aggregateId: `n${n}`,
          eventType: 'note.written',
          payload: utf8(JSON.stringify({ n })),
        })
      })
      await world.sql
        .begin(async (tx) => {
          await world.producer.emit(tx, {
            aggregateType: 'note',
            aggregateId: 'never',
            eventType: 'x',
            payload: utf8('{}'),
          })
          throw new Error('rollback')
        })
        .catch(() => undefined)
      await new Promise((resolve) => setTimeout(resolve, 200))
    }
    expect(await exited).toBe(0)
    expect(lines).toHaveLength(2)
    const parsed = lines.map((line) => JSON.parse(line))
    for (const entry of parsed) {
      expect(entry.prefix).toBe(world.prefix)
      expect(entry.transactional).toBe(true)
      expect(entry.fact.aggregateType).toBe('note')
      expect(entry.fact.aggregateId).not.toBe('never')
      expect(entry.fact.payloadEncoding).toBe('json')
      expect(typeof entry.fact.payload.n).toBe('number')
    }
    const slots =
      await world.sql`select 1 from pg_replication_slots where slot_name like 'owlpost_tail_%' and database = ${world.db.name}`
    expect(slots).toHaveLength(0)
  })

  it('inspect reports the slot, its confirmed position and lag as JSON', async () => {
    await world.sql.unsafe(`create publication ${world.publication}_i`)
    await world.sql`select pg_create_logical_replication_slot(${world.slot}, 'pgoutput')`
    const child = spawn(process.execPath, [owlpostCli, 'inspect'], {
      env: {
        PATH: process.env.PATH ?? '',
        MASTER_DATABASE_URL: world.db.url,
        REPLICATION_SLOT_NAME: world.slot,
        PUBLICATION_NAME: `${world.publication}_i`,
      },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let stdout = ''
    child.stdout.on('data', (chunk: Buffer) => {
      stdout += chunk.toString()
    })
    const code = await new Promise<number | null>((resolve) => child.on('exit', resolve))
    expect(code).toBe(0)
    const status = JSON.parse(stdout)
    expect(status).toMatchObject({
      slot: world.slot,
      exists: true,
      active: false,
      plugin: 'pgoutput',
      publicationExists: true,
    })
    expect(status.lagBytes).toBeGreaterThanOrEqual(0)
    expect(status.confirmedFlushLsn).toMatch(/^[0-9A-F]+\/[0-9A-F]+$/)
    // A fresh database: PUBLIC may still emit, and inspect says how to stop it for every overload.
    expect(status.emitPrivilege.publicCanExecute).toBe(true)
    expect(status.emitPrivilege.publicOverloads).toHaveLength(2)
    expect(status.emitPrivilege.revoke).toMatch(
      /^REVOKE EXECUTE ON FUNCTION pg_logical_emit_message\(boolean,text,(text|bytea)[^)]*\), pg_logical_emit_message\(.*\) FROM PUBLIC;$/,
    )
  })
})
