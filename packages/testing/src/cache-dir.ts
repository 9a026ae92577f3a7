import { homedir } from 'node:os'
import { join } from 'node:path'

/** Outside the repository, so a clean clone reuses downloads: FACTLIB_CACHE_DIR, else the XDG cache. */
export function cacheDir(): string {
  const base =
    process.env.FACTLIB_CACHE_DIR ??
    join(process.env.XDG_CACHE_HOME ?? join(homedir(), '.cache'), 'factlib-ts')
  return base
}
