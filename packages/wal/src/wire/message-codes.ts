/** Message type bytes of the frontend/backend protocol version 3.0. */

export const BackendCode = {
  authentication: 0x52, // 'R'
  backendKeyData: 0x4b, // 'K'
  parameterStatus: 0x53, // 'S'
  readyForQuery: 0x5a, // 'Z'
  errorResponse: 0x45, // 'E'
  noticeResponse: 0x4e, // 'N'
  rowDescription: 0x54, // 'T'
  dataRow: 0x44, // 'D'
  commandComplete: 0x43, // 'C'
  emptyQueryResponse: 0x49, // 'I'
  copyBothResponse: 0x57, // 'W'
  copyOutResponse: 0x48, // 'H'
  copyData: 0x64, // 'd'
  copyDone: 0x63, // 'c'
  negotiateProtocolVersion: 0x76, // 'v'
} as const

const backendNames = new Map<number, string>([
  [BackendCode.authentication, 'Authentication'],
  [BackendCode.backendKeyData, 'BackendKeyData'],
  [BackendCode.parameterStatus, 'ParameterStatus'],
  [BackendCode.readyForQuery, 'ReadyForQuery'],
  [BackendCode.errorResponse, 'ErrorResponse'],
  [BackendCode.noticeResponse, 'NoticeResponse'],
  [BackendCode.rowDescription, 'RowDescription'],
  [BackendCode.dataRow, 'DataRow'],
  [BackendCode.commandComplete, 'CommandComplete'],
  [BackendCode.emptyQueryResponse, 'EmptyQueryResponse'],
  [BackendCode.copyBothResponse, 'CopyBothResponse'],
  [BackendCode.copyOutResponse, 'CopyOutResponse'],
  [BackendCode.copyData, 'CopyData'],
  [BackendCode.copyDone, 'CopyDone'],
  [BackendCode.negotiateProtocolVersion, 'NegotiateProtocolVersion'],
])

/** For errors: "ErrorResponse ('E')", or "0x01" for a code the protocol does not have. */
export function backendMessageName(code: number): string {
  const name = backendNames.get(code)
  return name === undefined
    ? `0x${code.toString(16).padStart(2, '0')}`
    : `${name} ('${String.fromCharCode(code)}')`
}

export const FrontendCode = {
  password: 0x70, // 'p': PasswordMessage, SASLInitialResponse and SASLResponse
  query: 0x51, // 'Q'
  copyData: 0x64, // 'd'
  copyDone: 0x63, // 'c'
  terminate: 0x58, // 'X'
} as const

/** Subcodes of Authentication messages. */
export const AuthenticationCode = {
  ok: 0,
  kerberosV5: 2,
  cleartextPassword: 3,
  md5Password: 5,
  gss: 7,
  gssContinue: 8,
  sspi: 9,
  sasl: 10,
  saslContinue: 11,
  saslFinal: 12,
} as const

export const protocolVersion3 = 196608
export const sslRequestCode = 80877103
