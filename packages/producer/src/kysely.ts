export { kyselyExecutor } from './kysely-executor.js'
