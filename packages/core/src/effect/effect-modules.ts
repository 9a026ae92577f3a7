import { createRequire } from 'node:module'
import type * as ResultModule from 'effect/Result'
import type * as SchemaModule from 'effect/Schema'
import type * as SchemaIssueModule from 'effect/SchemaIssue'
import { EffectPeerMissingError } from './effect-peer-missing-error.js'

// effect is an optional peer: the main entry needs it, @factlib/core/wire never loads it. A static
// `import … from 'effect/Schema'` fails at link time, before any code of ours runs, with a bare
// "Cannot find package 'effect'". Loaded with require() instead (an ES module, the same instance
// the user's own `import 'effect'` gets), a missing or wrong effect is reported with what to do.
const require = createRequire(import.meta.url)

/** The major version of effect this package is written and tested against. */
export const supportedEffectMajor = 4

function installedEffectVersion(): string {
  try {
    return (require('effect/package.json') as { version: string }).version
  } catch (error) {
    if (isModuleNotFound(error)) throw new EffectPeerMissingError(undefined, error)
    throw error
  }
}

function isModuleNotFound(error: unknown): boolean {
  const code = (error as { code?: unknown } | null)?.code
  return code === 'MODULE_NOT_FOUND' || code === 'ERR_MODULE_NOT_FOUND'
}

const version = installedEffectVersion()
if (Number(version.split('.')[0]) !== supportedEffectMajor) throw new EffectPeerMissingError(version)

export const Schema = require('effect/Schema') as typeof SchemaModule
export const Result = require('effect/Result') as typeof ResultModule
export const SchemaIssue = require('effect/SchemaIssue') as typeof SchemaIssueModule
