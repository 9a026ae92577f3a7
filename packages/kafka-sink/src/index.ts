export const packageName = '@factlib/kafka-sink'
