// Where a process allocates, garbage included: the evidence behind the drain's garbage-collector
// share (issue: drain at the speed of the best Kafka client). Run after `pnpm build`:
//   node e2e/dist/bench/bench.js <drain options> \
//     "--owlpost-node-options=--import=<repo>/e2e/dist/bench/allocation-profile.js"
// Every owlpost of that run then records V8's sampling heap profile, objects the garbage collector
// already took included, and writes it to $ALLOCATION_PROFILE_DIR (default /tmp/allocation-profiles)
// when it exits. The biggest file is the drain's owlpost; summarize it with
//   node e2e/dist/bench/allocation-profile.js --summarize <file>
// which prints the total sampled and the allocating functions (with their callers) by share.
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs'
import { Session } from 'node:inspector'
import { join } from 'node:path'

interface AllocationNode {
  callFrame: { functionName: string; url: string; lineNumber: number }
  selfSize: number
  children: AllocationNode[]
}

/** Bytes allocated by each function, named with its caller, largest first. */
export function summarizeAllocations(head: AllocationNode): {
  totalBytes: number
  sites: [string, number][]
} {
  const bySite = new Map<string, number>()
  let totalBytes = 0
  const visit = (node: AllocationNode, caller: string) => {
    const { functionName, url, lineNumber } = node.callFrame
    const file = url.replace(/^.*\/node_modules\/(\.pnpm\/[^/]+\/node_modules\/)?/, '').replace(/^.*\//, '')
    const name = `${functionName || '(anonymous)'} ${file}:${lineNumber}`
    totalBytes += node.selfSize
    const site = `${name} <- ${caller}`
    bySite.set(site, (bySite.get(site) ?? 0) + node.selfSize)
    for (const child of node.children) visit(child, name)
  }
  visit(head, '')
  return { totalBytes, sites: [...bySite].sort((a, b) => b[1] - a[1]) }
}

if (process.argv[2] === '--summarize') {
  const file = process.argv[3]
  if (!file) throw new Error('usage: allocation-profile.js --summarize <file.json>')
  const { head } = JSON.parse(readFileSync(file, 'utf8')) as { head: AllocationNode }
  const { totalBytes, sites } = summarizeAllocations(head)
  console.log(`sampled ${(totalBytes / 2 ** 20).toFixed(1)} MiB allocated`)
  for (const [site, bytes] of sites.slice(0, 40))
    console.log(`${((100 * bytes) / totalBytes).toFixed(1)}%  ${site}`)
} else {
  // Loaded with --import into the process to profile.
  const directory = process.env.ALLOCATION_PROFILE_DIR ?? '/tmp/allocation-profiles'
  const session = new Session()
  session.connect()
  session.post('HeapProfiler.enable')
  session.post('HeapProfiler.startSampling', {
    samplingInterval: 16_384,
    includeObjectsCollectedByMajorGC: true,
    includeObjectsCollectedByMinorGC: true,
  })
  let written = false
  process.on('exit', () => {
    if (written) return
    written = true
    // An in-process inspector session answers synchronously, so this completes before exit.
    session.post('HeapProfiler.stopSampling', (error, result) => {
      if (error) return
      mkdirSync(directory, { recursive: true })
      writeFileSync(join(directory, `allocations-${process.pid}.json`), JSON.stringify(result.profile))
    })
  })
}
