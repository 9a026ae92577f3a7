export class ConnectionOptionsError extends Error {
  override readonly name = 'ConnectionOptionsError'
}
