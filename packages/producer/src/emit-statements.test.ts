import { describe, expect, it } from 'vitest'
import { StatementFolder } from './emit-statements.js'
import { UnfoldableStatementError } from './errors.js'

describe('StatementFolder', () => {
  it('puts the statement in a WITH and numbers the fact parameters after its own', () => {
    const folder = new StatementFolder()
    expect(folder.fold('insert into t values ($1, $2)', 2)).toBe(
      'WITH factlib_statement AS (insert into t values ($1, $2)) ' +
        'SELECT pg_logical_emit_message(true, $3, $4::bytea)',
    )
  })

  it('refolds a remembered text run with a different parameter count', () => {
    const folder = new StatementFolder()
    folder.fold('update t set a = $1', 1)
    expect(folder.fold('update t set a = $1', 2)).toContain('pg_logical_emit_message(true, $3, $4::bytea)')
    expect(() => folder.fold('update t set a = $1', 0)).toThrow(/names \$1 but 0 parameter/)
    expect(folder.fold('update t set a = $1', 1)).toContain('$2, $3::bytea')
  })

  it('refuses a remembered statement again, with an error of its own each time', () => {
    const folder = new StatementFolder()
    const refusals = [0, 1].map(() => {
      try {
        folder.fold('select 1', 0)
      } catch (error) {
        return error
      }
      return undefined
    })
    expect(refusals[0]).toBeInstanceOf(UnfoldableStatementError)
    expect(refusals[1]).toBeInstanceOf(UnfoldableStatementError)
    expect(refusals[1]).not.toBe(refusals[0])
  })

  it('keeps folding correctly past the number of texts it remembers', () => {
    const folder = new StatementFolder()
    for (let index = 0; index < 2500; index++) {
      expect(folder.fold(`delete from t where id = ${index}`, 0)).toBe(
        `WITH factlib_statement AS (delete from t where id = ${index}) SELECT pg_logical_emit_message(true, $1, $2::bytea)`,
      )
    }
    expect(folder.rememberedCount).toBeGreaterThan(0)
    expect(folder.rememberedCount).toBeLessThanOrEqual(1000)
  })

  it('folds a long statement of inline values without remembering it', () => {
    const folder = new StatementFolder()
    const values = Array.from({ length: 2000 }, (_, index) => `(${index})`).join(', ')
    const statement = `insert into t values ${values}`
    for (let attempt = 0; attempt < 2; attempt++) {
      expect(folder.fold(statement, 0)).toBe(
        `WITH factlib_statement AS (${statement}) SELECT pg_logical_emit_message(true, $1, $2::bytea)`,
      )
    }
    expect(folder.rememberedCount).toBe(0)
  })
})
