export interface ReadmeBlock {
  /** 1-based line of the opening fence, for messages. */
  line: number
  /** Words after the language on the fence: `fragment`, `sigint`. */
  tags: string[]
  code: string
}

/**
 * The TypeScript code blocks of a README (fenced ```ts or ```typescript). Words after the language
 * say how the check treats a block: `fragment` marks a signature or an excerpt that is not a whole
 * program (neither run nor type-checked); `sigint` marks a program that runs until interrupted.
 */
export function typescriptBlocks(markdown: string): ReadmeBlock[] {
  const blocks: ReadmeBlock[] = []
  const lines = markdown.split('\n')
  for (let index = 0; index < lines.length; index++) {
    const opening = /^```(\S+)(.*)$/.exec(lines[index]!)
    if (!opening) continue
    const start = index
    const body: string[] = []
    for (index++; index < lines.length && !lines[index]!.startsWith('```'); index++) body.push(lines[index]!)
    if (opening[1] !== 'ts' && opening[1] !== 'typescript') continue
    blocks.push({
      line: start + 1,
      tags: opening[2]!.trim().split(/\s+/).filter(Boolean),
      code: `${body.join('\n')}\n`,
    })
  }
  return blocks
}
