import { readdirSync, readFileSync } from 'node:fs'
import { join, relative } from 'node:path'
import { fileURLToPath } from 'node:url'
import { describe, expect, it } from 'vitest'

const src = fileURLToPath(new URL('.', import.meta.url))

/** The package's source files (not tests, not test support), relative to src/. */
function sourceFiles(dir = src): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name)
    if (entry.isDirectory()) return entry.name === 'test-support' ? [] : sourceFiles(path)
    return entry.name.endsWith('.ts') && !entry.name.endsWith('.test.ts') ? [relative(src, path)] : []
  })
}

/** What a file imports: the module specifiers of its import and export-from statements. */
function importsOf(file: string): string[] {
  const text = readFileSync(join(src, file), 'utf8')
  return [...text.matchAll(/^(?:import|export)\b[^'"]*?from\s+'([^']+)'|^import\s+'([^']+)'/gm)].map(
    (match) => (match[1] ?? match[2])!,
  )
}

describe('the package structure', () => {
  it('keeps kafkajs in its own folder: the sinks know only the ProducerClient interface', () => {
    const files = sourceFiles()
    expect(files).toContain('kafka-sink.ts')
    expect(files).toContain(join('kafkajs', 'client.ts'))
    const crossings = files
      .filter((file) => !file.startsWith('kafkajs/') && file !== 'index.ts')
      .flatMap((file) =>
        importsOf(file)
          .filter((name) => name === 'kafkajs' || name.startsWith('kafkajs/') || name.includes('/kafkajs/'))
          .map((name) => `${file} imports ${name}`),
      )
    expect(crossings).toEqual([])
  })

  it('has no source file over 450 lines', () => {
    const long = sourceFiles()
      .map((file) => ({ file, lines: readFileSync(join(src, file), 'utf8').split('\n').length }))
      .filter(({ lines }) => lines > 450)
    expect(long).toEqual([])
  })
})
