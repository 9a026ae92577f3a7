#!/bin/sh
# kafka-server-stop.sh of the stand-in: SIGTERM to every broker (kafka.Kafka) in the container,
# as the official script does (without its --process-role and --node-id filters). The base has
# no ps, so the processes are read from /proc.
pids=
for cmdline in /proc/[0-9]*/cmdline; do
  pid=${cmdline#/proc/}
  pid=${pid%/cmdline}
  if tr '\0' ' ' <"$cmdline" 2>/dev/null | grep -q 'kafka\.Kafka'; then pids="$pids $pid"; fi
done
if [ -z "$pids" ]; then
  echo "No kafka server to stop"
  exit 1
fi
# shellcheck disable=SC2086 # a list of process ids
kill -s TERM $pids
