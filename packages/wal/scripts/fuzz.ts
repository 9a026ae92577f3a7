// Long fuzz run of the pgoutput decoder and replication frame parser: random bytes, random bytes
// behind every valid tag, and captured PostgreSQL messages under random mutations. Passes when
// nothing but PgoutputDecodeError escapes. `FUZZ_RUNS` and `FUZZ_SEED` override the defaults.
import fc from 'fast-check'
import { decodeNeverThrowsAnythingElse, pgoutputInputs } from '../dist/test-support/decoder-fuzz.js'

const numRuns = Number(process.env.FUZZ_RUNS ?? 1_000_000)
const seed = process.env.FUZZ_SEED === undefined ? Date.now() : Number(process.env.FUZZ_SEED)
const started = performance.now()
console.log(`fuzzing the pgoutput decoder: ${numRuns.toLocaleString('en')} cases, seed ${seed}`)
fc.assert(fc.property(pgoutputInputs(), decodeNeverThrowsAnythingElse), { numRuns, seed })
const seconds = (performance.now() - started) / 1000
console.log(
  `ok: ${numRuns.toLocaleString('en')} cases in ${seconds.toFixed(1)} s, only PgoutputDecodeError escaped`,
)
