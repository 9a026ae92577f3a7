// `pnpm --filter @factlib/kafka-sink bench`: the sink is loaded before anything else loads kafkajs
// (the bench itself, @factlib/testing), so kafkajs comes up with the sink's corrections for both the
// bare producer and the sink, as in owlpost.
await import('../dist/index.js')
await import('./sink-vs-producer-run.ts')
