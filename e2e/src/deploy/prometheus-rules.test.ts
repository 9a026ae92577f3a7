import { execFileSync } from 'node:child_process'
import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { prometheusBinaries } from '@factlib/testing'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

const deploy = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy', 'prometheus')

interface RuleTest {
  input_series: { series: string }[]
  alert_rule_test?: { alertname: string; exp_alerts: { exp_labels: Record<string, string> }[] }[]
}

const promtool = (...args: string[]) =>
  execFileSync(prometheusBinaries().promtool, args, { cwd: deploy, stdio: 'pipe' }).toString()

describe('the alert rules (deploy/prometheus)', () => {
  it('pass promtool check rules and promtool test rules', () => {
    expect(promtool('check', 'rules', 'owlpost-alerts.yaml')).toMatch(/SUCCESS: \d+ rules found/)
    expect(promtool('test', 'rules', 'owlpost-alerts.test.yaml')).toMatch(/SUCCESS/)
  }, 120_000)

  it('are unit-tested each: a case where it fires, a case where it does not', () => {
    const rules = parse(readFileSync(join(deploy, 'owlpost-alerts.yaml'), 'utf8')) as {
      groups: {
        rules: {
          alert: string
          for: string
          labels: { severity: string }
          annotations: Record<string, string>
        }[]
      }[]
    }
    const tests = parse(readFileSync(join(deploy, 'owlpost-alerts.test.yaml'), 'utf8')) as {
      tests: RuleTest[]
    }
    const alerts = rules.groups.flatMap((group) => group.rules)
    expect(alerts.length).toBeGreaterThanOrEqual(9)
    for (const rule of alerts) {
      expect(['critical', 'warning'], rule.alert).toContain(rule.labels.severity)
      expect(rule.for, rule.alert).toMatch(/^\d+[smh]$/)
      expect(rule.annotations.runbook_url, rule.alert).toBe(`docs/runbook.md#${rule.alert.toLowerCase()}`)
      const cases = tests.tests.flatMap((test) =>
        (test.alert_rule_test ?? [])
          .filter((check) => check.alertname === rule.alert)
          .map((check) => ({ check, series: test.input_series.map((input) => input.series) })),
      )
      const fires = cases.filter(({ check }) => check.exp_alerts.length > 0)
      // Quiet: no alert expected at all, or input series of an instance the expected alerts leave out.
      const quiet = cases.filter(
        ({ check, series }) =>
          check.exp_alerts.length === 0 ||
          series.some((line) => {
            const instance = /instance="([^"]+)"/.exec(line)?.[1]
            return instance && !check.exp_alerts.some((alert) => alert.exp_labels.instance === instance)
          }),
      )
      expect(fires.length, `${rule.alert} fires in some case`).toBeGreaterThan(0)
      expect(quiet.length, `${rule.alert} stays quiet in some case`).toBeGreaterThan(0)
    }
  })
})
