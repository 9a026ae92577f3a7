import { execFileSync } from 'node:child_process'
import { existsSync, mkdirSync, mkdtempSync, readdirSync, renameSync, rmSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { cacheDir } from './cache-dir.js'
import { freePort } from './free-port.js'
import { ServerProcess } from './process-handle.js'
import { waitFor } from './wait.js'

export interface PrometheusBinaries {
  prometheus: string
  promtool: string
}

function run(command: string, args: string[], options: { cwd?: string } = {}): string {
  try {
    return execFileSync(command, args, { stdio: 'pipe', ...options }).toString()
  } catch (error) {
    const failure = error as { stderr?: Buffer; stdout?: Buffer; message: string }
    const output = `${failure.stdout?.toString() ?? ''}${failure.stderr?.toString() ?? ''}` || failure.message
    throw new Error(`${command} ${args.join(' ')} failed:\n${output}`)
  }
}

/**
 * prometheus and promtool: the system's (Debian's `prometheus` package) when installed, else the
 * same package's binaries fetched once with `apt-get download` and unpacked with `dpkg-deb -x`
 * into the cache (`<cache>/prometheus-deb/usr/bin`), so a fresh Debian machine needs nothing
 * installed by hand. Debian builds them as static Go binaries: they run from anywhere.
 */
export function prometheusBinaries(): PrometheusBinaries {
  const system = { prometheus: '/usr/bin/prometheus', promtool: '/usr/bin/promtool' }
  if (existsSync(system.prometheus) && existsSync(system.promtool)) return system
  const dir = join(cacheDir(), 'prometheus-deb')
  const cached = { prometheus: join(dir, 'usr/bin/prometheus'), promtool: join(dir, 'usr/bin/promtool') }
  if (existsSync(cached.prometheus) && existsSync(cached.promtool)) return cached
  const partial = `${dir}.partial-${process.pid}`
  rmSync(partial, { recursive: true, force: true })
  mkdirSync(partial, { recursive: true })
  try {
    try {
      run('apt-get', ['download', 'prometheus'], { cwd: partial })
    } catch {
      // A fresh machine has no package lists yet.
      run('apt-get', ['update'])
      run('apt-get', ['download', 'prometheus'], { cwd: partial })
    }
    const deb = readdirSync(partial).find((name) => name.endsWith('.deb'))
    if (!deb) throw new Error('apt-get download prometheus left no .deb')
    const tree = join(partial, 'tree')
    run('dpkg-deb', ['-x', join(partial, deb), tree])
    mkdirSync(join(tree, 'usr/bin'), { recursive: true })
    // Another test process may have finished first: keep theirs.
    if (!existsSync(cached.promtool)) {
      rmSync(dir, { recursive: true, force: true })
      renameSync(tree, dir)
    }
  } finally {
    rmSync(partial, { recursive: true, force: true })
  }
  if (!existsSync(cached.promtool)) throw new Error(`the prometheus package held no ${cached.promtool}`)
  return cached
}

export interface PrometheusService {
  readonly url: string
  /** Instant query through the HTTP API; the `data.result` array. */
  query(expression: string): Promise<PromSample[]>
  /** The alerts the rule manager holds, with their state (`pending`, `firing`). */
  alerts(): Promise<PromAlert[]>
  stop(): Promise<void>
}

export interface PromSample {
  metric: Record<string, string>
  value: [number, string]
}

export interface PromAlert {
  labels: Record<string, string>
  state: string
}

export interface PrometheusOptions {
  /** host:port of the targets of job `owlpost`. */
  targets: string[]
  /** Rule files' contents, by file name. */
  rules?: Record<string, string>
  scrapeIntervalSeconds?: number
  evaluationIntervalSeconds?: number
}

/** A Prometheus server on loopback, a free port and a temporary storage directory. */
export async function startPrometheus(options: PrometheusOptions): Promise<PrometheusService> {
  const { prometheus } = prometheusBinaries()
  const dir = mkdtempSync(join(tmpdir(), 'factlib-prometheus-'))
  const ruleFiles = Object.entries(options.rules ?? {}).map(([name, text]) => {
    const file = join(dir, name)
    writeFileSync(file, text)
    return file
  })
  const scrape = options.scrapeIntervalSeconds ?? 1
  const evaluation = options.evaluationIntervalSeconds ?? 1
  const config = {
    global: {
      scrape_interval: `${scrape}s`,
      scrape_timeout: `${scrape}s`,
      evaluation_interval: `${evaluation}s`,
    },
    rule_files: ruleFiles,
    scrape_configs: [{ job_name: 'owlpost', static_configs: [{ targets: options.targets }] }],
  }
  // JSON is YAML.
  writeFileSync(join(dir, 'prometheus.yml'), JSON.stringify(config, null, 2))
  const port = await freePort()
  const server = new ServerProcess(
    prometheus,
    [
      `--config.file=${join(dir, 'prometheus.yml')}`,
      `--storage.tsdb.path=${join(dir, 'data')}`,
      `--web.listen-address=127.0.0.1:${port}`,
      '--web.enable-lifecycle',
    ],
    join(dir, 'prometheus.log'),
  )
  server.start()
  const url = `http://127.0.0.1:${port}`
  await waitFor(
    `Prometheus on ${port} (log: ${join(dir, 'prometheus.log')})`,
    async () => (await fetch(`${url}/-/ready`)).ok,
    30_000,
  )
  const api = async <T>(path: string): Promise<T> => {
    const response = await fetch(`${url}${path}`)
    const body = (await response.json()) as { status: string; data: T; error?: string }
    if (body.status !== 'success') throw new Error(`Prometheus ${path}: ${body.error ?? response.status}`)
    return body.data
  }
  return {
    url,
    async query(expression) {
      const data = await api<{ result: PromSample[] }>(
        `/api/v1/query?query=${encodeURIComponent(expression)}`,
      )
      return data.result
    },
    async alerts() {
      return (await api<{ alerts: PromAlert[] }>('/api/v1/alerts')).alerts
    },
    async stop() {
      await server.signal('SIGTERM')
      rmSync(dir, { recursive: true, force: true })
    },
  }
}
