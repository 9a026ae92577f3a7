import { freePort, type PostgresPair, startPostgresPair } from '@factlib/testing'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { ReplicationConnection } from './replication-connection.js'

describe('a host list finds the primary, before and after failover', () => {
  let pair: PostgresPair
  beforeAll(async () => {
    pair = await startPostgresPair()
  }, 120_000)
  afterAll(() => pair?.dispose())

  it('skips a dead host and a standby for read-write and primary, and takes the standby for standby', async () => {
    const dead = await freePort()
    const hosts = `127.0.0.1:${dead},127.0.0.1:${pair.standby.port},127.0.0.1:${pair.primary.port}`
    for (const attrs of ['read-write', 'primary']) {
      const connection = await ReplicationConnection.connect(
        `postgres://postgres@${hosts}/postgres?target_session_attrs=${attrs}`,
      )
      try {
        expect(await connection.sessionState()).toEqual({ inHotStandby: false, readOnly: false })
      } finally {
        await connection.close()
      }
    }
    const standby = await ReplicationConnection.connect(
      `postgres://postgres@${hosts}/postgres?target_session_attrs=standby`,
    )
    expect((await standby.sessionState()).inHotStandby).toBe(true)
    await standby.close()
    const onlyStandby = `postgres://postgres@127.0.0.1:${dead},127.0.0.1:${pair.standby.port}/postgres?target_session_attrs=read-write`
    await expect(ReplicationConnection.connect(onlyStandby)).rejects.toThrow(
      new RegExp(
        `no server suits target_session_attrs=read-write among 2 hosts: 127.0.0.1:${dead}: .*; 127.0.0.1:${pair.standby.port}: the server only allows read-only sessions`,
      ),
    )
  })

  it('connects to the promoted standby once the primary is gone', async () => {
    await pair.primary.kill()
    await pair.promote()
    const connection = await ReplicationConnection.connect(pair.multiHostUrl('postgres'))
    try {
      const system = await connection.identifySystem()
      expect(system.timeline).toBe(2)
    } finally {
      await connection.close()
    }
  }, 120_000)
})
