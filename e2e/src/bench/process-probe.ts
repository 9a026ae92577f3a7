import { readdirSync, readFileSync } from 'node:fs'

/** Clock ticks per second of /proc/<pid>/stat times; 100 on every Linux this runs on. */
const ticksPerSecond = 100

/** Children of `parent` (by /proc/<pid>/stat ppid) whose command line contains `needle`. */
export function childPids(parent: number, needle: string): number[] {
  const found: number[] = []
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid !== parent) continue
      const cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8').replaceAll('\0', ' ')
      if (cmdline.includes(needle)) found.push(Number(entry))
    } catch {
      // the process ended while we looked
    }
  }
  return found
}

/** VmRSS and VmHWM (peak RSS of the process's life) in bytes; undefined once it is gone. */
export function memoryOf(pid: number): { rss: number; peak: number } | undefined {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8')
    const kib = (name: string) => Number(new RegExp(`^${name}:\\s+(\\d+) kB`, 'm').exec(status)?.[1] ?? 0)
    return { rss: kib('VmRSS') * 1024, peak: kib('VmHWM') * 1024 }
  } catch {
    return undefined
  }
}

/** User + system CPU seconds the process has used so far (0 once it is gone). */
export function cpuSecondsOf(pid: number): number {
  try {
    const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
    // fields[0] is state (field 3); utime and stime are fields 14 and 15.
    return (Number(fields[11]) + Number(fields[12])) / ticksPerSecond
  } catch {
    return 0
  }
}

/** Whole-machine CPU: busy and total jiffies from /proc/stat, to tell how loaded the box was. */
export function machineCpuTicks(): { busy: number; total: number } {
  const line = readFileSync('/proc/stat', 'utf8').split('\n')[0] ?? ''
  const values = line.trim().split(/\s+/).slice(1).map(Number)
  const total = values.reduce((sum, value) => sum + value, 0)
  const idle = (values[3] ?? 0) + (values[4] ?? 0)
  return { busy: total - idle, total }
}

/**
 * Samples VmRSS of a process every `intervalMs` and keeps the largest value seen: the peak
 * within a window, which VmHWM (peak over the whole life) cannot give.
 */
export function sampleRss(pid: number, intervalMs = 200) {
  let max = 0
  const take = () => {
    const memory = memoryOf(pid)
    if (memory && memory.rss > max) max = memory.rss
  }
  take()
  const timer = setInterval(take, intervalMs)
  return {
    stop(): number {
      clearInterval(timer)
      take()
      return max
    },
  }
}

/** CPU seconds used by several processes between start() and the returned stop(). */
export function measureCpu(pids: Record<string, number | undefined>) {
  const read = (pid: number | undefined) => (pid ? cpuSecondsOf(pid) : 0)
  const before = Object.fromEntries(Object.entries(pids).map(([name, pid]) => [name, read(pid)]))
  const machineBefore = machineCpuTicks()
  return (): { perProcess: Record<string, number>; machineBusyShare: number } => {
    const perProcess: Record<string, number> = {}
    for (const [name, pid] of Object.entries(pids)) {
      perProcess[name] = Number((read(pid) - (before[name] ?? 0)).toFixed(2))
    }
    const machineAfter = machineCpuTicks()
    const busy = machineAfter.busy - machineBefore.busy
    const total = machineAfter.total - machineBefore.total
    return { perProcess, machineBusyShare: total > 0 ? Number((busy / total).toFixed(3)) : 0 }
  }
}

/** CPU seconds of a process and its live direct children (a postmaster and its backends). */
export function treeCpuSeconds(root: number): number {
  let total = cpuSecondsOf(root)
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue
    try {
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8')
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1])
      if (ppid === root) total += cpuSecondsOf(Number(entry))
    } catch {
      // ended while we looked
    }
  }
  return total
}

/**
 * User + system CPU seconds of this process's children that have ended and been reaped
 * (cutime + cstime of /proc/self/stat): the CPU of a short-lived child, read after it exits,
 * when its own /proc entry is gone.
 */
export function reapedChildrenCpuSeconds(): number {
  const stat = readFileSync('/proc/self/stat', 'utf8')
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
  // fields[0] is state (field 3); cutime and cstime are fields 16 and 17.
  return (Number(fields[13]) + Number(fields[14])) / ticksPerSecond
}
