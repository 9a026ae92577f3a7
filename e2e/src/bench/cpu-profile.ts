import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

interface ProfileNode {
  id: number
  callFrame: { functionName: string; url: string; lineNumber: number }
}

interface CpuProfile {
  startTime: number
  nodes: ProfileNode[]
  samples: number[]
  timeDeltas: number[]
}

export interface ProfileSummary {
  file: string
  sampledMs: number
  /** Share of sampled time by where the code lives (self time). */
  byArea: { area: string; share: number }[]
  /** The functions with the most self time. */
  topFunctions: { name: string; share: number }[]
}

/** Which part of the system a function belongs to, from its script URL. */
function areaOf(frame: ProfileNode['callFrame']): string {
  const { url, functionName } = frame
  if (functionName === '(garbage collector)') return 'V8 garbage collector'
  if (functionName === '(idle)') return 'idle (waiting for I/O)'
  if (functionName === '(program)') return 'V8/native outside JS (program)'
  if (url === '') return 'native / builtins'
  if (url.includes('/packages/wal/')) return '@factlib/wal (replication protocol, pgoutput decoding)'
  if (url.includes('/packages/kafka-sink/')) return '@factlib/kafka-sink (batching, tracking)'
  if (url.includes('/packages/core/')) return '@factlib/core (envelope header, headers)'
  if (url.includes('/packages/relay/')) return '@factlib/relay (relay loop, position)'
  if (url.includes('/apps/owlpost/')) return 'owlpost (composition, metrics hooks)'
  if (url.includes('kafkajs')) return 'kafkajs (encoding, protocol)'
  if (url.includes('prom-client')) return 'prom-client (metrics)'
  if (url.includes('pino')) return 'pino (logging)'
  if (url.startsWith('node:')) return 'node internals (streams, sockets, timers)'
  return url.replace(/^.*node_modules\/(?:\.pnpm\/[^/]+\/node_modules\/)?/, '').split('/')[0] ?? url
}

/**
 * Self-time summary of the newest .cpuprofile in `dir` (written by node --cpu-prof at exit),
 * counting only samples inside `window` (microseconds of the monotonic clock, which is what both
 * V8's profile timestamps and process.hrtime use on Linux) when given.
 */
export function summarizeCpuProfile(
  dir: string,
  window?: { fromMicros: number; toMicros: number },
): ProfileSummary | undefined {
  const files = readdirSync(dir).filter((name) => name.endsWith('.cpuprofile'))
  const file = files.sort().at(-1)
  if (!file) return undefined
  const profile = JSON.parse(readFileSync(join(dir, file), 'utf8')) as CpuProfile
  const nodes = new Map(profile.nodes.map((node) => [node.id, node]))
  const selfMicros = new Map<number, number>()
  let total = 0
  let at = profile.startTime
  profile.samples.forEach((id, index) => {
    const delta = profile.timeDeltas[index] ?? 0
    at += delta
    if (window && (at < window.fromMicros || at > window.toMicros)) return
    selfMicros.set(id, (selfMicros.get(id) ?? 0) + delta)
    total += delta
  })
  if (total === 0) return undefined
  const byArea = new Map<string, number>()
  const byFunction = new Map<string, number>()
  for (const [id, micros] of selfMicros) {
    const frame = nodes.get(id)?.callFrame
    if (!frame) continue
    const area = areaOf(frame)
    byArea.set(area, (byArea.get(area) ?? 0) + micros)
    const where = frame.url ? `${frame.url.split('/').slice(-2).join('/')}:${frame.lineNumber + 1}` : 'native'
    const name = `${frame.functionName || '(anonymous)'} ${where}`
    byFunction.set(name, (byFunction.get(name) ?? 0) + micros)
  }
  const shares = (map: Map<string, number>, limit: number) =>
    [...map]
      .sort((a, b) => b[1] - a[1])
      .slice(0, limit)
      .map(([name, micros]) => ({ name, share: Number((micros / total).toFixed(4)) }))
  return {
    file,
    sampledMs: Math.round(total / 1000),
    byArea: shares(byArea, 20).map(({ name, share }) => ({ area: name, share })),
    topFunctions: shares(byFunction, 25),
  }
}
