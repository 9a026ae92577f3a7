import { readFileSync } from 'node:fs'
import { join } from 'node:path'
import { describe, expect, it } from 'vitest'
import { owlpostNodeFlags } from './runtime-flags.js'

const repo = join(import.meta.dirname, '..', '..', '..')

describe('owlpost heap settings', () => {
  it('are the same in the bin shebang, the Docker entrypoint and the exported constant', () => {
    const manifest = JSON.parse(readFileSync(join(import.meta.dirname, '..', 'package.json'), 'utf8'))
    expect(manifest.bin).toEqual({ owlpost: './bin/owlpost.js' })
    const bin = join(import.meta.dirname, '..', 'bin', 'owlpost.js')
    const shebang = readFileSync(bin, 'utf8').split('\n')[0]
    expect(shebang).toBe(`#!/usr/bin/env -S node ${owlpostNodeFlags.join(' ')}`)
    const dockerfile = readFileSync(join(repo, 'docker', 'Dockerfile.owlpost'), 'utf8')
    const entrypoint = dockerfile.split('\n').find((line) => line.startsWith('ENTRYPOINT'))
    expect(entrypoint).toBe(
      `ENTRYPOINT ${JSON.stringify(['node', ...owlpostNodeFlags, '/app/dist/cli.js'])}`.replaceAll(
        '","',
        '", "',
      ),
    )
  })
})
