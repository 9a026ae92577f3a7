import { spawn } from 'node:child_process'
import { existsSync, readdirSync, readFileSync } from 'node:fs'
import { mkdir, mkdtemp, rm, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { basename, dirname, join, resolve } from 'node:path'
import { fileURLToPath } from 'node:url'
import { runInNewContext } from 'node:vm'
import { createDatabase, startKafka, startPostgres, uniqueName } from '@factlib/testing'
import { build } from 'esbuild'
import postgres from 'postgres'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userCompilers } from './packaging/compilers.js'
import { writeEntriesCheck, writeRequireChecks } from './packaging/entry-programs.js'
import { installSize, megabytes } from './packaging/install-size.js'
import { declarationsMissingNodeReference } from './packaging/node-types.js'
import { publishedPackages, specifierOf } from './packaging/published-packages.js'
import { typescriptBlocks } from './packaging/readme-blocks.js'
import { run } from './packaging/run-command.js'
import { introduction, statedInstallSizes } from './packaging/stated-install-sizes.js'
import { cloneStrangerProject, installStrangerProject } from './packaging/stranger-project.js'
import { isTestFile, tarballFiles } from './packaging/tarball-files.js'

// The published packages as a stranger meets them: packed, installed with npm from the tarballs
// into an empty project outside the repository, and every TypeScript block of every README
// type-checked and run there. `pnpm check:packages` runs this file alone.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const tool = (name: string) => join(root, 'e2e', 'node_modules', '.bin', name)
const compilers = userCompilers(join(root, 'e2e'))
const packages = publishedPackages(root)
const readmeBlocks = packages.flatMap((pkg) =>
  typescriptBlocks(pkg.readme)
    .filter((block) => !block.tags.includes('fragment'))
    .map((block) => ({ pkg, block, file: `readme/${basename(pkg.name)}-line-${block.line}.mts` })),
)
const usesPostgresJs = (code: string) => /from ['"]postgres['"]/.test(code)

// Installed beside the packages, as their READMEs ask a user to: every peer dependency (optional
// ones included, so that every entry and example can load), the drivers the examples use, and
// Node's types. At the versions the workspace develops against; postgres.js apart, below.
const companions = [
  ...new Set([
    ...packages.flatMap((pkg) => Object.keys(pkg.peerDependencies)),
    'pg',
    '@types/pg',
    '@types/node',
  ]),
].filter((name) => name !== 'postgres')
const rootManifest = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
function workspaceRange(name: string): string {
  const manifests = [
    ...packages,
    { dependencies: {}, peerDependencies: {}, devDependencies: rootManifest.devDependencies },
  ]
  for (const field of ['devDependencies', 'dependencies', 'peerDependencies'] as const) {
    for (const manifest of manifests) {
      const range = manifest[field][name]
      if (range) return range
    }
  }
  throw new Error(`no workspace package names ${name}`)
}

// A user hands the producer their own postgres.js, of whichever major its peer range allows: the
// README programs are installed, type-checked and run against each (`^3.4.9 || ^4.0.0`: two).
const postgresJsRanges = [
  ...new Set(
    packages.flatMap((pkg) => pkg.peerDependencies.postgres?.split('||').map((range) => range.trim()) ?? []),
  ),
]
if (postgresJsRanges.length === 0) postgresJsRanges.push(workspaceRange('postgres'))

// pgoutput's Message for `select pg_logical_emit_message(true, 'demo', 'hi')` at 0/16B3748.
const messageBytes = [
  0x4d, 1, 0, 0, 0, 0, 0x01, 0x6b, 0x37, 0x48, 0x64, 0x65, 0x6d, 0x6f, 0, 0, 0, 0, 2, 0x68, 0x69,
]

describe('the published packages, installed from their tarballs', () => {
  let work: string
  // One stranger project per postgres.js major, the first with postgres.js as the workspace has it.
  const projects = new Map<string, string>()
  let project: string
  const tarballs = new Map<string, string>()

  beforeAll(async () => {
    work = await mkdtemp(join(tmpdir(), 'factlib-packages-'))
    project = join(work, 'project')
    await mkdir(join(work, 'tarballs'))
    for (const pkg of packages) {
      const output = await run('pnpm', ['pack', '--pack-destination', join(work, 'tarballs')], {
        cwd: pkg.dir,
      })
      const tarball = output.trim().split('\n').at(-1)!
      expect(tarball).toMatch(/\.tgz$/)
      tarballs.set(pkg.name, tarball)
    }

    await installStrangerProject(project, [
      ...tarballs.values(),
      ...companions.map((name) => `${name}@${workspaceRange(name)}`),
      `postgres@${postgresJsRanges[0]}`,
    ])
    await mkdir(join(project, 'readme'))
    await mkdir(join(project, 'require'))
    await mkdir(join(project, 'decoder'))
    await mkdir(join(project, 'entries'))
    for (const { file, block } of readmeBlocks) await writeFile(join(project, file), block.code)
    await writeRequireChecks(project, packages)
    await writeEntriesCheck(project, packages)
    await writeFile(
      join(project, 'tsconfig.json'),
      JSON.stringify({
        compilerOptions: {
          strict: true,
          module: 'nodenext',
          moduleResolution: 'nodenext',
          target: 'es2023',
          types: ['node'],
          noEmit: true,
        },
        include: ['readme', 'require'],
      }),
    )
    // For the other postgres.js majors: the blocks that import postgres.js, and only their own code
    // checked, since the declarations (which never name postgres.js) are checked in the first project.
    await writeFile(
      join(project, 'tsconfig.postgres.json'),
      JSON.stringify({
        extends: './tsconfig.json',
        compilerOptions: { skipLibCheck: true },
        include: [],
        files: readmeBlocks.filter(({ block }) => usesPostgresJs(block.code)).map(({ file }) => file),
      }),
    )
    projects.set(postgresJsRanges[0]!, project)
    for (const [index, range] of postgresJsRanges.entries()) {
      if (index === 0) continue
      const clone = join(work, `project-postgres-${index}`)
      await cloneStrangerProject(project, clone, `postgres@${range}`)
      projects.set(range, clone)
    }
  }, 400_000)

  afterAll(async () => {
    if (work) await rm(work, { recursive: true, force: true })
  })

  it('finds the published packages', () => {
    expect(packages.map((pkg) => pkg.name)).toEqual(
      expect.arrayContaining(['@factlib/core', '@factlib/kafka-sink', '@factlib/producer', '@factlib/wal']),
    )
  })

  it('puts every published package on one release line (the same major.minor)', () => {
    const versions = packages.map((pkg) => `${pkg.name}@${pkg.version}`)
    const lines = new Set(packages.map((pkg) => pkg.version.split('.').slice(0, 2).join('.')))
    expect([...lines], versions.join(', ')).toHaveLength(1)
  })

  it.each(packages.map((pkg) => [pkg.name]))('ships no test helpers or tests in %s', async (name) => {
    const files = await tarballFiles(tarballs.get(name)!, work)
    expect(files).toContain('package.json')
    expect(files.filter((file) => file.startsWith('dist/')).length).toBeGreaterThan(0)
    expect(files.filter(isTestFile)).toEqual([])
  })

  it.each(packages.map((pkg) => [pkg.name]))('publint finds nothing wrong with %s', async (name) => {
    await run(tool('publint'), ['run', tarballs.get(name)!, '--strict'], { cwd: work })
  })

  // attw bundles TypeScript 5.6, which predates TypeScript's support (5.8) for Node's require() of
  // ES modules, so it calls every entry "ESM (dynamic import only)" from CommonJS; that rule is
  // off here and the CommonJS test below checks require() with the TypeScript this repo uses. The
  // node16 profile leaves out node10 resolution, which cannot see `exports` subpaths at all.
  // Exported files that are not code (the .proto) have no types to check.
  it.each(packages.map((pkg) => [pkg.name, pkg]))('are the types wrong? not for %s', async (name, pkg) => {
    await run(
      tool('attw'),
      [
        tarballs.get(name)!,
        '--profile',
        'node16',
        '--ignore-rules',
        'cjs-resolves-to-esm',
        '--no-emoji',
        '--no-color',
        ...(pkg.files.length > 0 ? ['--exclude-entrypoints', ...pkg.files] : []),
      ],
      { cwd: work },
    )
  })

  it('resolves every exported file that is not code to the file in the repository', () => {
    const resolveInProject = createRequire(join(project, 'package.json')).resolve
    const files = packages.flatMap((pkg) => pkg.files.map((file) => ({ pkg, file })))
    expect(files.map(({ pkg, file }) => specifierOf(pkg, file))).toContain(
      '@factlib/core/fact_envelope.proto',
    )
    for (const { pkg, file } of files) {
      const installed = resolveInProject(specifierOf(pkg, file))
      expect(installed).toContain(join('node_modules', pkg.name))
      expect(readFileSync(installed, 'utf8')).toBe(readFileSync(join(pkg.dir, file), 'utf8'))
    }
  })

  // Each compiler against each postgres.js major: the producer types postgres.js by shape, so a
  // user's `tx` of either major is what `emit` takes.
  it.each(
    compilers.flatMap((compiler) =>
      postgresJsRanges.map((range, index) => [compiler.name, range, index === 0, compiler] as const),
    ),
  )(
    'type-checks the README blocks with %s, postgres@%s (all, and the requires: %s)',
    async (_name, range, all, compiler) => {
      expect(readmeBlocks.length).toBeGreaterThan(0)
      const tsconfig = all ? 'tsconfig.json' : 'tsconfig.postgres.json'
      await run(process.execPath, [compiler.tsc, '-p', tsconfig], { cwd: projects.get(range)! })
    },
  )

  // `tsc --init` of TypeScript 7 writes `types: []`, and TypeScript 7 loads no @types package the
  // program does not name: the declarations must bring Node's types themselves where they use them.
  // (TypeScript 5 loads every installed @types package unless told otherwise, as the README check
  // has it; told `types: []`, it resolves the references the same way, as the decoder check shows.)
  it('type-checks every entry with TypeScript 7 for a user who names no types, with only the ES library', async () => {
    const typescript7 = compilers.find((compiler) => compiler.name.startsWith('TypeScript 7'))!
    await run(process.execPath, [typescript7.tsc, '-p', 'entries/tsconfig.json'], { cwd: project })
  })

  it('references Node types in every declaration file that uses them', () => {
    const missing = packages.flatMap((pkg) =>
      declarationsMissingNodeReference(join(project, 'node_modules', pkg.name)).map(
        (file) => `${pkg.name}/${file}`,
      ),
    )
    expect(missing).toEqual([])
  })

  it('ships every source file its source maps and declaration maps name', () => {
    const missing: string[] = []
    let maps = 0
    for (const pkg of packages) {
      const installed = join(project, 'node_modules', pkg.name)
      for (const file of readdirSync(installed, { recursive: true, encoding: 'utf8' })) {
        if (!file.endsWith('.map')) continue
        maps++
        const map = join(installed, file)
        for (const source of JSON.parse(readFileSync(map, 'utf8')).sources as string[]) {
          if (!existsSync(resolve(dirname(map), source))) missing.push(`${pkg.name}/${file}: ${source}`)
        }
      }
    }
    expect(maps).toBeGreaterThan(0)
    expect(missing).toEqual([])
  })

  it('names a shipped TypeScript file in a stack trace with --enable-source-maps', async () => {
    const script = join(project, 'stack-trace.mjs')
    await writeFile(
      script,
      "import { decodeEnvelope } from '@factlib/core/wire'\n" +
        'try { decodeEnvelope(new Uint8Array([0xff])) } catch (error) { console.log(error.stack) }\n',
    )
    const output = await run(process.execPath, ['--enable-source-maps', script], { cwd: project })
    // e.g. `at decodeEnvelope (file:///tmp/…/node_modules/@factlib/core/src/decode-envelope.ts:12:5)`
    const frame = /\((?:file:\/\/)?([^()\s]+\/node_modules\/@factlib\/core\/src\/[^()\s:]+\.ts):\d+/.exec(
      output,
    )
    expect(frame, output).not.toBeNull()
    expect(existsSync(frame![1]!), frame![1]).toBe(true)
  })

  it('require()s every entry of every package from CommonJS', async () => {
    const output = await run(process.execPath, ['require/entries.cjs'], { cwd: project })
    for (const pkg of packages)
      for (const entry of pkg.entries) expect(output).toContain(specifierOf(pkg, entry))
  })

  // Each block gets a database of its own, as if it were the only program its reader runs. A block
  // that imports postgres.js runs against each major.
  it.each(
    readmeBlocks.flatMap((entry) =>
      (usesPostgresJs(entry.block.code) ? postgresJsRanges : postgresJsRanges.slice(0, 1)).map(
        (range) => [entry.file, range, entry] as const,
      ),
    ),
  )('runs the README block %s with postgres@%s installed', async (file, range, { block }) => {
    const cwd = projects.get(range)!
    const databaseUrl = (await createDatabase(await startPostgres(), 'readme')).url
    const kafkaBrokers = (await startKafka()).brokers.join(',')
    const env = { ...process.env, DATABASE_URL: databaseUrl, KAFKA_BROKERS: kafkaBrokers }
    if (!block.tags.includes('sigint')) {
      await run(process.execPath, [file], { cwd, env, timeoutMs: 90_000 })
      return
    }
    await runUntilInterrupted(join(cwd, file), env)
  })

  describe('@factlib/wal/decoder outside Node', () => {
    // With `types: []` nothing but a declaration's own reference brings Node's types in: the decoder
    // entry must bring none, the whole package (the socket client) does, which shows the listing sees them.
    it.each(compilers.map((compiler) => [compiler.name, compiler]))(
      'type-checks with %s, no Node types and an ES-only lib, and loads no Node types',
      async (_name, compiler) => {
        const options = {
          strict: true,
          module: 'nodenext',
          target: 'es2023',
          lib: ['es2023'],
          types: [],
          noEmit: true,
        }
        const importing = (specifier: string) =>
          `import { formatLsn, PgoutputDecoder, type PgoutputMessage } from '${specifier}'\n` +
          `const message: PgoutputMessage = new PgoutputDecoder().decode(new Uint8Array(${JSON.stringify(messageBytes)}))\n` +
          "export const seen = message.tag === 'message' ? formatLsn(message.lsn) : message.tag\n"
        const loaded: Record<string, string> = {}
        for (const [name, specifier] of [
          ['decoder', '@factlib/wal/decoder'],
          ['whole', '@factlib/wal'],
        ] as const) {
          await writeFile(join(project, 'decoder', `${name}.mts`), importing(specifier))
          await writeFile(
            join(project, 'decoder', `tsconfig.${name}.json`),
            JSON.stringify({ compilerOptions: options, files: [`${name}.mts`] }),
          )
          loaded[name] = await run(
            process.execPath,
            [compiler.tsc, '-p', `decoder/tsconfig.${name}.json`, '--listFiles'],
            { cwd: project },
          )
        }
        expect(loaded.decoder).toContain('@factlib/wal/dist/decoder.d.ts')
        expect(loaded.decoder).not.toContain('@types/node')
        expect(loaded.whole).toContain('@types/node/')
      },
    )

    it('bundles for a neutral platform and decodes in a context with no Node globals', async () => {
      const bundle = await build({
        stdin: { contents: "export * from '@factlib/wal/decoder'", resolveDir: project },
        bundle: true,
        platform: 'neutral',
        format: 'iife',
        globalName: 'walDecoder',
        write: false,
        logLevel: 'silent',
      })
      const code = bundle.outputFiles[0]!.text
      expect(code).not.toMatch(/\bnode:|\brequire\(/)
      const decoded = runInNewContext(
        `${code};\nconst message = new walDecoder.PgoutputDecoder().decode(new Uint8Array(bytes));\n` +
          '[message.tag, message.prefix, walDecoder.formatLsn(message.lsn), new TextDecoder().decode(message.content)]',
        { bytes: messageBytes, TextDecoder },
      )
      expect([...decoded]).toEqual(['message', 'demo', '0/16B3748', 'hi'])
    })
  })

  it('installs no effect for a package that does not ask for it, and reports install sizes', () => {
    const sizes = packages.map((pkg) => {
      const size = installSize(project, pkg.name)
      if (!pkg.dependencies.effect) expect(size.packages, pkg.name).not.toContain('effect')
      return `${pkg.name} ${megabytes(size.bytes)} (${size.packages.length} packages)`
    })
    const effect = installSize(project, 'effect')
    sizes.push(`effect ${megabytes(effect.bytes)}`)
    console.log(`install sizes, each with its dependencies:\n  ${sizes.join('\n  ')}`)
  })

  // `npm install <packages>   # about <n> MB` in a README's ```sh block: within a fifth of what npm
  // installs for those packages here (the first postgres.js major for a line naming postgres).
  it.each(packages.map((pkg) => [pkg.name, pkg]))(
    "states %s's install size within 20%, and names its dependencies first thing",
    (name, pkg) => {
      const stated = statedInstallSizes(pkg.readme)
      expect(stated.map((line) => line.packages[0])).toContain(name)
      for (const { line, packages: installed, bytes } of stated) {
        const measured = installSize(project, installed).bytes
        expect(
          Math.abs(bytes - measured) / measured,
          `${line}\nmeasured ${megabytes(measured)} (${measured} bytes)`,
        ).toBeLessThanOrEqual(0.2)
      }
      const named = [...introduction(pkg.readme).matchAll(/`([^`\s]+)`/g)].map((match) => match[1])
      expect(Object.keys(pkg.dependencies).filter((dependency) => !named.includes(dependency))).toEqual([])
    },
  )
})

async function until(
  condition: () => Promise<boolean>,
  failure: () => string,
  timeoutMs = 30_000,
): Promise<void> {
  const deadline = Date.now() + timeoutMs
  while (!(await condition())) {
    if (Date.now() > deadline) throw new Error(failure())
    await new Promise((resolve) => setTimeout(resolve, 100))
  }
}

/**
 * A README program that runs until interrupted (`ts sigint`, the slot tail): once its slot is
 * streaming, give it a logical message, wait until it prints that, then Ctrl-C; it must stop
 * cleanly. Its slot is dropped afterwards, so it holds no WAL on the shared server.
 */
async function runUntilInterrupted(file: string, env: NodeJS.ProcessEnv): Promise<void> {
  const sql = postgres(env.DATABASE_URL!, { max: 1, onnotice: () => {} })
  const slot = uniqueName('readme_slot')
  const child = spawn(process.execPath, [file], { cwd: dirname(file), env: { ...env, SLOT: slot } })
  let output = ''
  child.stdout.on('data', (chunk) => {
    output += chunk
  })
  child.stderr.on('data', (chunk) => {
    output += chunk
  })
  const exited = new Promise<number | null>((resolve) => child.on('exit', resolve))
  try {
    await until(
      async () =>
        (await sql`select 1 from pg_replication_slots where slot_name = ${slot} and active`).length > 0,
      () => `${file} did not start streaming:\n${output}`,
    )
    await sql`select pg_logical_emit_message(true, 'readme', 'hello from the check')`
    await until(
      async () => output.includes('hello from the check'),
      () => `${file} did not print the message:\n${output}`,
    )
    child.kill('SIGINT')
    expect(await exited, output).toBe(0)
  } finally {
    child.kill()
    await exited
    await sql`select pg_drop_replication_slot(slot_name) from pg_replication_slots where slot_name = ${slot}`
    await sql.end()
  }
}
