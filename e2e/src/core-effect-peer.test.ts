import { cp, mkdir, mkdtemp, realpath, rm, symlink, writeFile } from 'node:fs/promises'
import { createRequire } from 'node:module'
import { tmpdir } from 'node:os'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { userCompilers } from './packaging/compilers.js'
import { run, runAllowingFailure } from './packaging/run-command.js'

// @factlib/core's main entry with and without its optional peer effect, as a user's project
// meets it: the built package copied (not linked, which Node would follow back into the
// workspace, where effect is installed) into a project outside the repository.

const root = join(dirname(fileURLToPath(import.meta.url)), '..', '..')
const compilers = userCompilers(join(root, 'e2e'))

const userProgram = `import { Schema } from 'effect'
import { defineFact } from '@factlib/core'

const UserCreated = defineFact({
  aggregateType: 'user',
  eventType: 'user.created',
  payload: Schema.Struct({ email: Schema.String.check(Schema.isPattern(/@/)), joinedAt: Schema.Date }),
})

const fact = UserCreated.make('42', { email: 'ada@example.com', joinedAt: new Date(0) })
const payload: { readonly email: string; readonly joinedAt: Date } = UserCreated.decode({
  ...fact,
  metadata: {},
  id: '0190b0b0-0000-7000-8000-000000000000',
  createdAt: 0n,
}).payload
console.log(JSON.stringify(payload))

export function refusedByTheCompiler() {
  // @ts-expect-error the payload's type comes from the schema
  UserCreated.make('42', { email: 1, joinedAt: new Date(0) })
}
`

// pnpm runs the tests with NODE_PATH at its store's hoisted packages, effect among them; a user's
// project has no such path, and require(), which finds effect for @factlib/core, would follow it.
const { NODE_PATH: _, ...userEnv } = process.env

describe('@factlib/core and its optional peer effect', () => {
  let project: string

  beforeAll(async () => {
    project = await realpath(await mkdtemp(join(tmpdir(), 'factlib-effect-peer-')))
    const installed = join(project, 'node_modules', '@factlib', 'core')
    await mkdir(installed, { recursive: true })
    for (const entry of ['package.json', 'dist'])
      await cp(join(root, 'packages', 'core', entry), join(installed, entry), { recursive: true })
    await writeFile(
      join(project, 'package.json'),
      JSON.stringify({ name: 'stranger', private: true, type: 'module' }),
    )
  })

  afterAll(async () => {
    if (project) await rm(project, { recursive: true, force: true })
  })

  const node = (code: string, inputType: 'module' | 'commonjs' = 'module') =>
    runAllowingFailure(process.execPath, [`--input-type=${inputType}`, '-e', code], {
      cwd: project,
      env: userEnv,
    })

  it('without effect, the main entry fails saying what to install, or which entry needs none', async () => {
    for (const [code, inputType] of [
      ["await import('@factlib/core')", 'module'],
      ["require('@factlib/core')", 'commonjs'],
    ] as const) {
      const result = await node(code, inputType)
      expect(result.code, result.output).not.toBe(0)
      expect(result.output).toContain('EffectPeerMissingError')
      expect(result.output).toContain(
        '@factlib/core needs its peer dependency effect 4 (npm install effect@4)',
      )
      expect(result.output).toContain('import @factlib/core/wire for the envelope codec alone')
    }
  })

  it('without effect, @factlib/core/wire loads and works', async () => {
    const output = await run(
      process.execPath,
      [
        '--input-type=module',
        '-e',
        "const { topicFor } = await import('@factlib/core/wire'); console.log(topicFor('factlib', 'user'))",
      ],
      { cwd: project, env: userEnv },
    )
    expect(output.trim()).toBe('factlib.user')
  })

  it('with effect 3 installed, says which version it found', async () => {
    const effect = join(project, 'node_modules', 'effect')
    await mkdir(effect)
    try {
      await writeFile(
        join(effect, 'package.json'),
        JSON.stringify({ name: 'effect', version: '3.19.19', type: 'module' }),
      )
      const result = await node("await import('@factlib/core')")
      expect(result.code, result.output).not.toBe(0)
      expect(result.output).toContain('found effect 3.19.19')
    } finally {
      await rm(effect, { recursive: true, force: true })
    }
  })

  describe('with effect 4', () => {
    beforeAll(async () => {
      const effect = dirname(
        createRequire(join(root, 'packages', 'core', 'package.json')).resolve('effect/package.json'),
      )
      await symlink(effect, join(project, 'node_modules', 'effect'), 'dir')
      await writeFile(join(project, 'user.ts'), userProgram)
      await writeFile(
        join(project, 'tsconfig.json'),
        JSON.stringify({
          compilerOptions: {
            strict: true,
            module: 'nodenext',
            moduleResolution: 'nodenext',
            target: 'es2023',
            types: [],
            noEmit: true,
          },
          files: ['user.ts'],
        }),
      )
    })

    it('loads, and a typed fact makes and decodes its payload through the schema', async () => {
      const output = await run(process.execPath, ['user.ts'], { cwd: project, env: userEnv })
      expect(JSON.parse(output)).toEqual({ email: 'ada@example.com', joinedAt: '1970-01-01T00:00:00.000Z' })
    })

    it.each(compilers.map((compiler) => [compiler.name, compiler.tsc] as const))(
      "type-checks a user's defineFact(Schema.Struct(…)) with %s, effect's declarations included",
      async (_, tsc) => {
        await run(process.execPath, [tsc, '-p', 'tsconfig.json'], { cwd: project })
      },
    )
  })
})
