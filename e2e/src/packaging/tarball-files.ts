import { run } from './run-command.js'

/** The paths a packed tarball holds, without npm's leading `package/`. */
export async function tarballFiles(tarball: string, cwd: string): Promise<string[]> {
  const listing = await run('tar', ['-tzf', tarball], { cwd })
  return listing
    .split('\n')
    .filter(Boolean)
    .map((path) => path.replace(/^package\//, ''))
}

/** Files a published package must not ship: test helpers and tests. */
export function isTestFile(path: string): boolean {
  return (
    /(^|\/)(src|dist)\/test-support(\/|$)/.test(path) ||
    /\.test(-d)?\.[cm]?[jt]s(\.map)?$/.test(path) ||
    /\.test\.d\.[cm]?ts(\.map)?$/.test(path)
  )
}
