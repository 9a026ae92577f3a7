/// <reference types="node" preserve="true" />
import { promisify } from 'node:util'
import * as zlib from 'node:zlib'
import type { CompressionName } from '../sink-types.js'
// kafkajs values come from patches.ts only: a static import of 'kafkajs' would load it before its
// corrections are made.
import { kafkajs } from './patches.js'

const { CompressionCodecs, CompressionTypes } = kafkajs

export const compressionTypes: Record<CompressionName, number> = {
  none: CompressionTypes.None,
  gzip: CompressionTypes.GZIP,
  snappy: CompressionTypes.Snappy,
  lz4: CompressionTypes.LZ4,
  zstd: CompressionTypes.ZSTD,
}

/** A kafkajs compression codec factory, e.g. the default export of `kafkajs-snappy`. */
export type CompressionCodecFactory = () => {
  compress(encoder: { buffer: Buffer }): Promise<Buffer>
  decompress(buffer: Buffer): Promise<Buffer>
}

/**
 * Registers a codec with the kafkajs copy this package uses (registering on another copy of kafkajs
 * would not be seen). gzip needs none; snappy, lz4 and zstd do.
 */
export function registerCompressionCodec(
  compression: Exclude<CompressionName, 'none' | 'gzip'>,
  codec: CompressionCodecFactory,
): void {
  ;(CompressionCodecs as Record<number, unknown>)[compressionTypes[compression]] = codec
}

/**
 * Whether kafkajs can compress with this codec now (the missing ones throw when asked). zstd
 * without a registered codec gets one from node:zlib, which has had zstd since Node 22.15.
 */
export function compressionAvailable(compression: CompressionName): boolean {
  if (compression === 'none') return true
  if (codecRegistered(compression)) return true
  if (compression !== 'zstd') return false
  const zstd = nodeZstdCodec()
  if (!zstd) return false
  registerCompressionCodec('zstd', zstd)
  return codecRegistered('zstd')
}

/** Why kafkajs cannot compress with this codec, or undefined when it can (see compressionAvailable). */
export function compressionUnavailable(compression: CompressionName): string | undefined {
  if (compressionAvailable(compression)) return undefined
  return (
    `no ${compression} codec is registered with kafkajs; call registerCompressionCodec('${compression}', codec) ` +
    'from @factlib/kafka-sink first (see the README), or use gzip'
  )
}

function codecRegistered(compression: CompressionName): boolean {
  try {
    const factory = (CompressionCodecs as Record<number, (() => unknown) | undefined>)[
      compressionTypes[compression]
    ]
    return typeof factory === 'function' && factory() != null
  } catch {
    return false
  }
}

function nodeZstdCodec(): CompressionCodecFactory | undefined {
  if (typeof zlib.zstdCompress !== 'function' || typeof zlib.zstdDecompress !== 'function') return undefined
  const compress = promisify(zlib.zstdCompress)
  const decompress = promisify(zlib.zstdDecompress)
  return () => ({
    compress: (encoder) => compress(encoder.buffer),
    decompress: (buffer) => decompress(buffer),
  })
}
