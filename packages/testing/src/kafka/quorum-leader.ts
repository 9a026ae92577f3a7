import { execFile } from 'node:child_process'
import { join } from 'node:path'
import { promisify } from 'node:util'
import { log4jConfig } from './jars.js'

const run = promisify(execFile)
const source = join(log4jConfig, '..', 'QuorumLeader.java')

/**
 * The node id of the active KRaft controller, asked through any of `brokers` with the Java admin
 * client (kafka/QuorumLeader.java); a second or two, most of it the JVM starting.
 */
export async function activeController(classpath: string, brokers: readonly string[]): Promise<number> {
  const { stdout } = await run(
    'java',
    ['-Xmx128m', '-XX:TieredStopAtLevel=1', '-cp', classpath, source, brokers.join(',')],
    { timeout: 60_000 },
  ).catch((error: unknown) => {
    const stderr = (error as { stderr?: string }).stderr ?? ''
    throw new Error(
      `asking ${brokers.join(',')} for the KRaft quorum leader failed: ${stderr.trim().split('\n').at(-1) ?? error}`,
    )
  })
  const id = Number(stdout.trim().split('\n').at(-1))
  if (!Number.isInteger(id) || id < 0)
    throw new Error(`the KRaft quorum has no leader now (answer: '${stdout.trim()}')`)
  return id
}
