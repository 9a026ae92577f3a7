/**
 * The V8 heap settings owlpost runs with: the `owlpost` bin's shebang, the Docker image's
 * entrypoint and the test and bench harnesses all pass exactly these (a test keeps them in
 * step). Uncapped, V8 grows the heap of a busy relay to several hundred MB of mostly garbage;
 * with these, the benchmarked drain peaks under 150 MB (see bench/results). Fact values are
 * Buffers outside this heap; what it holds is the relay (about 20 MB live) and roughly 1 KB of
 * objects per fact in flight, so the old-space cap has to grow with MAX_IN_FLIGHT_FACTS.
 */
export const owlpostNodeFlags = ['--max-semi-space-size=2', '--max-old-space-size=64'] as const
