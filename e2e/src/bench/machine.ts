import { execFileSync, spawnSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { createRequire } from 'node:module'
import os from 'node:os'
import type { Sql } from 'postgres'

export interface MachineInfo {
  cpuModel: string
  cores: number
  memoryGiB: number
  kernel: string
  loadAverageAtStart: number[]
}

export interface Versions {
  node: string
  postgres: string
  kafka: string
  java: string
  kafkajs: string
  gitCommit: string
}

export function machineInfo(): MachineInfo {
  const cpus = os.cpus()
  return {
    cpuModel: cpus[0]?.model.trim() ?? 'unknown',
    cores: os.availableParallelism(),
    memoryGiB: Number((os.totalmem() / 1024 ** 3).toFixed(1)),
    kernel: `${os.type()} ${os.release()}`,
    loadAverageAtStart: os.loadavg().map((load) => Number(load.toFixed(2))),
  }
}

function firstLine(run: () => string): string {
  try {
    return run().trim().split('\n')[0] ?? 'unknown'
  } catch {
    return 'unknown'
  }
}

/** Versions of everything on the path: node, the server versions, kafkajs, and the commit. */
export async function versions(sql: Sql, kafkaPid: number | undefined, repoRoot: string): Promise<Versions> {
  const [{ version }] = (await sql`select version()`) as unknown as [{ version: string }]
  let kafka = 'unknown'
  if (kafkaPid) {
    const cmdline = readFileSync(`/proc/${kafkaPid}/cmdline`, 'utf8')
    kafka = /kafka_[\d.]+-([\w.-]+?)\.jar/.exec(cmdline)?.[1] ?? 'unknown'
  }
  const require = createRequire(import.meta.url)
  const kafkajsVersion = (require('kafkajs/package.json') as { version: string }).version
  return {
    node: process.version,
    postgres: version.split(' on ')[0] ?? version,
    kafka: `Apache Kafka ${kafka} (KRaft, single broker)`,
    java: javaVersion(),
    kafkajs: kafkajsVersion,
    gitCommit: firstLine(() =>
      execFileSync('git', ['rev-parse', '--short', 'HEAD'], { cwd: repoRoot, encoding: 'utf8' }),
    ),
  }
}

/** `java -version` writes to stderr. */
function javaVersion(): string {
  const result = spawnSync('java', ['-version'], { encoding: 'utf8' })
  return (result.stderr || result.stdout || 'unknown').trim().split('\n')[0] ?? 'unknown'
}
