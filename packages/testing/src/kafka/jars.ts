import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheDir } from '../cache-dir.js'

const pomDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'kafka')
export const kafkaVersion = '4.1.0'
export const log4jConfig = join(pomDir, 'log4j2.xml')

/**
 * The official broker jars, resolved from Maven Central by Maven into the cache once and
 * reused by every later run: `<cache>/kafka-<version>/libs`.
 */
export function kafkaClasspath(): string {
  const libs = join(cacheDir(), `kafka-${kafkaVersion}`, 'libs')
  if (!existsSync(join(libs, `kafka_2.13-${kafkaVersion}.jar`))) {
    const partial = `${libs}.partial`
    rmSync(partial, { recursive: true, force: true })
    mkdirSync(partial, { recursive: true })
    try {
      execFileSync(
        'mvn',
        [
          '-q',
          '-B',
          '-f',
          join(pomDir, 'pom.xml'),
          `-Dkafka.version=${kafkaVersion}`,
          'dependency:copy-dependencies',
          `-DoutputDirectory=${partial}`,
          '-DincludeScope=runtime',
        ],
        { stdio: 'pipe' },
      )
    } catch (error) {
      const output = (error as { stderr?: Buffer; stdout?: Buffer }).stdout?.toString() ?? ''
      throw new Error(
        `could not resolve Apache Kafka ${kafkaVersion} jars with Maven (need mvn and java 17+ on PATH):\n${output}`,
      )
    }
    rmSync(libs, { recursive: true, force: true })
    renameSync(partial, libs)
  }
  return readdirSync(libs)
    .filter((name) => name.endsWith('.jar'))
    .map((name) => join(libs, name))
    .join(':')
}
