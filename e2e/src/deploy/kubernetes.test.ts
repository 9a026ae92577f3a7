import { readFileSync } from 'node:fs'
import { dirname, join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { Deployment } from 'kubernetes-models/apps/v1'
import { PodDisruptionBudget } from 'kubernetes-models/policy/v1'
import { Secret } from 'kubernetes-models/v1'
import { describe, expect, it } from 'vitest'
import { parse } from 'yaml'

/**
 * No cluster runs here: the manifests are validated against the Kubernetes API schemas
 * (kubernetes-models) and checked for agreement with each other and with owlpost.
 */
const dir = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..', 'deploy', 'kubernetes')
const load = (file: string) => parse(readFileSync(join(dir, file), 'utf8')) as Record<string, unknown>

describe('the Kubernetes manifests (deploy/kubernetes)', () => {
  const deployment = new Deployment(load('deployment.yaml') as never)
  const budget = new PodDisruptionBudget(load('pod-disruption-budget.yaml') as never)
  const secret = new Secret(load('secret.yaml') as never)

  it('are valid against the Kubernetes schemas', () => {
    for (const resource of [deployment, budget, secret]) expect(() => resource.validate()).not.toThrow()
    const kustomization = load('kustomization.yaml') as { resources: string[] }
    expect(kustomization.resources.sort()).toEqual([
      'deployment.yaml',
      'pod-disruption-budget.yaml',
      'secret.yaml',
    ])
  })

  it('run an active and a standby with probes, resources and the credentials from the Secret', () => {
    expect(deployment.spec?.replicas).toBe(2)
    const pod = deployment.spec?.template.spec
    const container = pod?.containers[0]
    expect(container).toBeDefined()
    const ports = Object.fromEntries((container?.ports ?? []).map((port) => [port.name, port.containerPort]))
    // The image's WAL_HEALTH_PORT and METRICS_PORT (docker/Dockerfile.owlpost).
    expect(ports).toEqual({ health: 3001, metrics: 2112 })
    expect(container?.livenessProbe?.httpGet).toMatchObject({ path: '/health', port: 'health' })
    expect(container?.readinessProbe?.httpGet).toMatchObject({ path: '/ready', port: 'health' })
    // owlpost peaks at about 130 MiB resident (bench/results/latest.md): room above it.
    const limit = container?.resources?.limits?.memory as string
    expect(Number.parseInt(limit, 10)).toBeGreaterThanOrEqual(192)
    expect(Number.parseInt(container?.resources?.requests?.memory as string, 10)).toBeGreaterThanOrEqual(130)
    // Graceful shutdown waits up to SHUTDOWN_TIMEOUT_MS (15 s) for in-flight facts.
    expect(pod?.terminationGracePeriodSeconds).toBeGreaterThan(15)
    const env = container?.env ?? []
    for (const name of ['MASTER_DATABASE_URL', 'KAFKA_PASSWORD']) {
      const variable = env.find((entry) => entry.name === name)
      expect(variable?.value, `${name} is not written in the Deployment`).toBeUndefined()
      expect(variable?.valueFrom?.secretKeyRef).toEqual({ name: secret.metadata?.name, key: name })
      expect(Object.keys(secret.stringData ?? {})).toContain(name)
    }
    for (const required of ['WAL_PREFIX', 'KAFKA_BROKERS'])
      expect(env.map((entry) => entry.name)).toContain(required)
  })

  it('keep one of the two through a disruption', () => {
    expect(budget.spec?.maxUnavailable).toBe(1)
    expect(budget.spec?.selector?.matchLabels).toEqual(deployment.spec?.selector.matchLabels)
    expect(deployment.spec?.template.metadata?.labels).toMatchObject(
      deployment.spec?.selector.matchLabels ?? {},
    )
  })
})
