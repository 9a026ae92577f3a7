import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, renameSync, rmSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { cacheDir } from '../cache-dir.js'

const pomDir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', 'kafka')
export const kafkaVersion = '4.1.0'
export const log4jConfig = join(pomDir, 'log4j2.xml')
/** Client tools log warnings to stderr (the broker's config writes to a file in its log dir). */
export const kafkaToolsLog4jConfig = join(pomDir, 'tools', 'log4j2.xml')

/**
 * The official broker jars, resolved from Maven Central by Maven into the cache once and
 * reused by every later run: `<cache>/kafka-<version>/libs`.
 */
export function kafkaClasspath(): string {
  return resolveJars(join(pomDir, 'pom.xml'), `kafka-${kafkaVersion}`, `kafka_2.13-${kafkaVersion}.jar`)
}

/**
 * `org.apache.kafka:kafka-tools` of the broker's version and its runtime dependencies (the Java
 * producer's ProducerPerformance, for the bench), in a cache directory of its own,
 * `<cache>/kafka-tools-<version>/libs`: the broker's classpath stays as it was, and caches made
 * before this existed are not resolved again.
 */
export function kafkaToolsClasspath(): string {
  return resolveJars(
    join(pomDir, 'tools', 'pom.xml'),
    `kafka-tools-${kafkaVersion}`,
    `kafka-tools-${kafkaVersion}.jar`,
  )
}

/** `mvn dependency:copy-dependencies` of `pom` into `<cache>/<name>/libs` unless `marker` is there. */
function resolveJars(pom: string, name: string, marker: string): string {
  const libs = join(cacheDir(), name, 'libs')
  if (!existsSync(join(libs, marker))) {
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
          pom,
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
        `could not resolve Apache Kafka ${kafkaVersion} jars (${pom}) with Maven (need mvn and java 17+ on PATH):\n${output}`,
      )
    }
    rmSync(libs, { recursive: true, force: true })
    renameSync(partial, libs)
  }
  return readdirSync(libs)
    .filter((file) => file.endsWith('.jar'))
    .map((file) => join(libs, file))
    .join(':')
}
