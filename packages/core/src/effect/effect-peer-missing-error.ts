/**
 * `@factlib/core` was imported without the `effect` it validates facts with, or with another major
 * of it. Thrown when the main entry loads; `@factlib/core/wire` never needs effect.
 */
export class EffectPeerMissingError extends Error {
  override readonly name = 'EffectPeerMissingError'
  /** The version of effect found, when one was found but is not a version 4. */
  readonly foundVersion: string | undefined

  constructor(foundVersion: string | undefined, cause?: unknown) {
    const found = foundVersion === undefined ? 'it is not installed' : `found effect ${foundVersion}`
    super(
      `@factlib/core needs its peer dependency effect 4 (npm install effect@4): ${found}. ` +
        'Or import @factlib/core/wire for the envelope codec alone, which needs no effect.',
      cause === undefined ? undefined : { cause },
    )
    this.foundVersion = foundVersion
  }
}
