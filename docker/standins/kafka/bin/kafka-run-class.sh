#!/bin/sh
# kafka-run-class.sh of the stand-in: a Kafka class with the jars of /opt/kafka/libs, honouring
# the official scripts' KAFKA_HEAP_OPTS, KAFKA_JVM_PERFORMANCE_OPTS, KAFKA_LOG4J_OPTS and KAFKA_OPTS.
# shellcheck disable=SC2086 # each variable is a list of JVM flags
exec java ${KAFKA_HEAP_OPTS:--Xmx256M} \
  ${KAFKA_JVM_PERFORMANCE_OPTS:--server -XX:+UseG1GC -XX:MaxGCPauseMillis=20 -Djava.awt.headless=true} \
  ${KAFKA_LOG4J_OPTS:--Dlog4j2.configurationFile=/opt/kafka/config/tools-log4j2.xml} \
  ${KAFKA_OPTS:-} -cp '/opt/kafka/libs/*' "$@"
