import { readdirSync, readFileSync } from 'node:fs'
import { join } from 'node:path'

// Names a declaration file can only resolve with Node's types (or the DOM's) in the program.
const NODE_NAMES =
  /\bfrom ['"]node:|\bNodeJS\.|\b(Buffer|AbortSignal|AbortController|URL|TextDecoder|TextEncoder|ReadableStream|EventEmitter)\b/
const NODE_REFERENCE = /^\/\/\/ <reference types="node"/m

/**
 * The declaration files under a package folder that name Node's types without referencing them.
 * TypeScript 7 loads no @types package unless the program names it, so such a file fails for a
 * user whose tsconfig says `types: []` (what `tsc --init` writes) unless something else happened
 * to load Node's types. Comments are left out: a comment may name `node:net` freely.
 */
export function declarationsMissingNodeReference(packageDir: string): string[] {
  const missing: string[] = []
  for (const file of readdirSync(packageDir, { recursive: true, encoding: 'utf8' })) {
    if (!file.endsWith('.d.ts') || file.split(/[\\/]/).includes('node_modules')) continue
    const text = readFileSync(join(packageDir, file), 'utf8')
    const code = text.replace(/\/\*[\s\S]*?\*\//g, '').replace(/^\s*\/\/.*$/gm, '')
    if (NODE_NAMES.test(code) && !NODE_REFERENCE.test(text)) missing.push(file)
  }
  return missing
}
