/// <reference types="node" preserve="true" />
import type { ConcurrencyLimit } from './concurrency-limit.js'

/**
 * Splits a partition's batch into lanes, one per record key, each in log order. Records of one
 * key (one aggregate, as owlpost keys them) must be applied in order; lanes need not wait for each
 * other. Records without a key share one lane.
 */
export function lanesByKey<R extends { key: Buffer | null }>(records: readonly R[]): R[][] {
  const lanes = new Map<string, R[]>()
  for (const record of records) {
    const name = record.key === null ? '' : `k${record.key.toString('base64')}`
    let lane = lanes.get(name)
    if (!lane) {
      lane = []
      lanes.set(name, lane)
    }
    lane.push(record)
  }
  return [...lanes.values()]
}

/**
 * Runs every lane, each one record at a time in order, the lanes side by side, with at most
 * `limit`'s slots of work at once across everything sharing it. Once `shouldStop()` is true no
 * lane starts another record; what is running finishes. `work` returning false stops its lane
 * (the record was abandoned, so the ones after it must not run either).
 */
export async function runLanes<R>(
  lanes: readonly (readonly R[])[],
  limit: ConcurrencyLimit,
  shouldStop: () => boolean,
  work: (record: R) => Promise<boolean>,
): Promise<void> {
  await Promise.all(
    lanes.map(async (lane) => {
      for (const record of lane) {
        if (shouldStop()) return
        const release = await limit.acquire()
        try {
          if (shouldStop()) return
          if (!(await work(record))) return
        } finally {
          release()
        }
      }
    }),
  )
}
