/**
 * The V8 heap settings owlpost runs with: the `owlpost` bin's shebang, the Docker image's
 * entrypoint and the test and bench harnesses all pass exactly these (a test keeps them in
 * step). Uncapped, V8 grows the heap of a busy relay to several hundred MB of mostly garbage;
 * with these, the benchmarked peak stays near 150 MB at some CPU cost per fact (see
 * bench/results). The old-space cap must stay well above MAX_IN_FLIGHT_BYTES plus the ~40 MB the
 * relay itself needs.
 */
export const owlpostNodeFlags = ['--max-semi-space-size=8', '--max-old-space-size=112'] as const
