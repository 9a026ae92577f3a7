import type { ICustomPartitioner } from 'kafkajs'
import { murmur2OfKey } from './murmur2.js'
import { preparedKeyHash } from './prepared-record.js'

/**
 * kafkajs's DefaultPartitioner with the common case first: a record with a key (or a prepared
 * record of one, which keeps only the key's hash) goes where its
 * murmur2 hash says, computed exactly as the DefaultPartitioner does, without the list of available
 * partitions it filters for every record before it looks at the key. Everything else goes to
 * `inner` (the DefaultPartitioner itself).
 */
export function keyHashFirst(inner: ICustomPartitioner): ICustomPartitioner {
  return () => {
    const partition = inner()
    return (args) => {
      const { message, partitionMetadata } = args
      if (message.partition !== null && message.partition !== undefined) return message.partition
      if (partitionMetadata.length > 0) {
        const hash = Buffer.isBuffer(message.key) ? murmur2OfKey(message.key) : preparedKeyHash(message)
        if (hash !== undefined) return (hash & 0x7fffffff) % partitionMetadata.length
      }
      return partition(args)
    }
  }
}
