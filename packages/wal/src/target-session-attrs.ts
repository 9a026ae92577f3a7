import { ConnectionOptionsError } from './connection-options-error.js'

/** libpq's target_session_attrs: which of the listed servers a connection settles on. */
export type TargetSessionAttrs = 'any' | 'read-write' | 'read-only' | 'primary' | 'standby' | 'prefer-standby'

const values: readonly TargetSessionAttrs[] = [
  'any',
  'read-write',
  'read-only',
  'primary',
  'standby',
  'prefer-standby',
]

export function parseTargetSessionAttrs(text: string | undefined): TargetSessionAttrs | undefined {
  if (text === undefined || text === '') return undefined
  if (!values.includes(text as TargetSessionAttrs)) {
    throw new ConnectionOptionsError(
      `invalid target_session_attrs "${text}": expected one of ${values.join(', ')}`,
    )
  }
  return text as TargetSessionAttrs
}

/** What a server says about itself: in recovery (a standby), and whether sessions default to read-only. */
export interface SessionState {
  inHotStandby: boolean
  readOnly: boolean
}

/**
 * Why this server does not suit `wanted`, or undefined when it does. 'prefer-standby' takes
 * anything here; the caller tries standbys first.
 */
export function sessionMismatch(wanted: TargetSessionAttrs, state: SessionState): string | undefined {
  switch (wanted) {
    case 'read-write':
      return state.readOnly || state.inHotStandby ? 'the server only allows read-only sessions' : undefined
    case 'read-only':
      return state.readOnly || state.inHotStandby ? undefined : 'the server allows read-write sessions'
    case 'primary':
      return state.inHotStandby ? 'the server is in hot standby mode' : undefined
    case 'standby':
      return state.inHotStandby ? undefined : 'the server is not in hot standby mode'
    default:
      return undefined
  }
}
