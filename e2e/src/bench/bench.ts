// `pnpm bench`: see README.md here. The sink is imported before any module of the bench, so that
// kafkajs is first loaded by the sink with its corrections in place; the bare-producer baselines
// then use the very kafkajs owlpost uses.
await import('@factlib/kafka-sink')
await import('./run-bench.js')
