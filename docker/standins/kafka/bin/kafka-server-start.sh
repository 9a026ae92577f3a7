#!/bin/sh
# The broker (or controller) with the given server.properties, logging to stdout.
export KAFKA_HEAP_OPTS="${KAFKA_HEAP_OPTS:--Xmx1G -Xms256M}"
export KAFKA_LOG4J_OPTS="${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/log4j2.xml}"
exec "$(dirname "$0")/kafka-run-class.sh" kafka.Kafka "$@"
