import { createHash } from 'node:crypto'

function md5Hex(data: Uint8Array | string): string {
  return createHash('md5').update(data).digest('hex')
}

/** The answer to AuthenticationMD5Password: 'md5' + md5(md5(password + user) + salt). */
export function md5PasswordResponse(user: string, password: string, salt: Uint8Array): string {
  const inner = md5Hex(password + user)
  return `md5${md5Hex(Buffer.concat([Buffer.from(inner), salt]))}`
}
