import { describe, expect, it } from 'vitest'
import { KafkaSinkConfigError } from '../errors.js'
import { createKafkaSink } from '../index.js'
import { compressionUnavailable } from './compression.js'
import { kafkajs } from './patches.js'

// No broker is needed: a compression without codec is refused before anything connects.
const nowhere = ['127.0.0.1:1']

describe('compression on kafkajs', () => {
  it('says how to register a codec kafkajs lacks, and has gzip and none built in', () => {
    expect(compressionUnavailable('none')).toBeUndefined()
    expect(compressionUnavailable('gzip')).toBeUndefined()
    expect(compressionUnavailable('lz4')).toMatch(
      /no lz4 codec is registered with kafkajs; call registerCompressionCodec\('lz4'/,
    )
  })

  it("registers node:zlib's zstd when no zstd codec is registered", () => {
    expect(compressionUnavailable('zstd')).toBeUndefined()
    const factory = (kafkajs.CompressionCodecs as Record<number, () => unknown>)[
      kafkajs.CompressionTypes.ZSTD
    ]
    expect(typeof factory).toBe('function')
  })

  it.each([
    { deliveryGuarantee: 'at-least-once' as const },
    {
      deliveryGuarantee: 'exactly-once' as const,
      exactlyOnce: { transactionalId: 'test', checkpointTopic: 'test.checkpoints', checkpointKey: 'slot' },
    },
  ])(
    'stops createKafkaSink($deliveryGuarantee) connecting without the codec, naming the option',
    async (options) => {
      const sink = createKafkaSink({ brokers: nowhere, compression: 'snappy', ...options })
      const connecting = sink.connect()
      await expect(connecting).rejects.toBeInstanceOf(KafkaSinkConfigError)
      await expect(connecting).rejects.toThrow(
        "Kafka sink option 'compression': no snappy codec is registered with kafkajs; call registerCompressionCodec('snappy'",
      )
      await sink.close()
    },
  )
})
