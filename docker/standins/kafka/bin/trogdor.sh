#!/bin/sh
# trogdor.sh of the stand-in: Trogdor's agent or coordinator, as the official script starts them.
usage() {
  echo "usage: $0 [agent|coordinator] [options]" >&2
  exit 1
}
[ $# -ge 1 ] || usage
case "$1" in
  agent) class=org.apache.kafka.trogdor.agent.Agent ;;
  coordinator) class=org.apache.kafka.trogdor.coordinator.Coordinator ;;
  *) usage ;;
esac
shift
exec "$(dirname "$0")/kafka-run-class.sh" "$class" "$@"
