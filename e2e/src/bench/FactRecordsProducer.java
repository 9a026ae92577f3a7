// Apache Kafka's Java producer sending owlpost's very records, for the bench's drain phase
// (java-fact-records-limit.ts). Run with Java's single-file source launcher, nothing compiled into the repo:
//   java <JVM options> -cp <kafka-tools jars> FactRecordsProducer.java <records file> name=value...
// The records file (written by the bench, all big-endian): an int count, then per record the
// topic, key and value, an int header count and each header's name and value, every one of these
// an int length and that many bytes (topic and names UTF-8).
// Timed like ProducerPerformance: from the producer being made to close() returning.

import java.io.BufferedInputStream;
import java.io.DataInputStream;
import java.io.FileInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicReference;
import org.apache.kafka.clients.producer.KafkaProducer;
import org.apache.kafka.clients.producer.ProducerRecord;
import org.apache.kafka.common.header.Header;
import org.apache.kafka.common.header.internals.RecordHeader;
import org.apache.kafka.common.serialization.ByteArraySerializer;

public class FactRecordsProducer {
  public static void main(String[] args) throws IOException {
    List<ProducerRecord<byte[], byte[]>> records = read(args[0]);
    Properties props = new Properties();
    for (int i = 1; i < args.length; i++) {
      String[] pair = args[i].split("=", 2);
      props.put(pair[0], pair[1]);
    }
    int count = records.size();
    long[] latencyMicros = new long[count];
    AtomicInteger errors = new AtomicInteger();
    AtomicReference<Exception> firstError = new AtomicReference<>();

    long start = System.nanoTime();
    // close() at the end of the block waits for every record to be acknowledged (or failed), as at
    // ProducerPerformance's end; and if a send throws, it stops the producer's thread so the JVM exits.
    try (KafkaProducer<byte[], byte[]> producer =
        new KafkaProducer<>(props, new ByteArraySerializer(), new ByteArraySerializer())) {
      // A failed send reaches the callback rather than throwing (a missing broker, after max.block.ms):
      // stop at the first one instead of waiting that long for each record.
      for (int i = 0; i < count && errors.get() == 0; i++) {
        int index = i;
        long sent = System.nanoTime();
        producer.send(records.get(i), (metadata, error) -> {
          latencyMicros[index] = (System.nanoTime() - sent) / 1000;
          if (error != null) {
            errors.incrementAndGet();
            firstError.compareAndSet(null, error);
          }
        });
      }
    }
    double seconds = (System.nanoTime() - start) / 1e9;

    if (errors.get() > 0) {
      System.err.println(errors.get() + " of " + count + " sends failed (sending stops at the first); the first:");
      firstError.get().printStackTrace();
      System.exit(1);
    }
    Arrays.sort(latencyMicros);
    double avgMs = Arrays.stream(latencyMicros).average().orElse(0) / 1000;
    System.out.printf(
        Locale.ROOT,
        "%d records sent, %.1f records/sec, %.2f ms avg latency, %.2f ms 50th, %.2f ms 99th, %.2f ms max latency.%n",
        count,
        count / seconds,
        avgMs,
        percentile(latencyMicros, 0.5),
        percentile(latencyMicros, 0.99),
        percentile(latencyMicros, 1));
  }

  /** Every record built before the producer exists, so the timed part only sends. */
  static List<ProducerRecord<byte[], byte[]>> read(String path) throws IOException {
    try (DataInputStream in =
        new DataInputStream(new BufferedInputStream(new FileInputStream(path), 1 << 20))) {
      int count = in.readInt();
      List<ProducerRecord<byte[], byte[]>> records = new ArrayList<>(count);
      // Topics and header names repeat on every record: one String each keeps the heap small.
      Map<String, String> strings = new HashMap<>();
      for (int i = 0; i < count; i++) {
        String topic = strings.computeIfAbsent(text(in), s -> s);
        byte[] key = bytes(in);
        byte[] value = bytes(in);
        Header[] headers = new Header[in.readInt()];
        for (int h = 0; h < headers.length; h++) {
          headers[h] = new RecordHeader(strings.computeIfAbsent(text(in), s -> s), bytes(in));
        }
        records.add(new ProducerRecord<>(topic, (Integer) null, key, value, Arrays.asList(headers)));
      }
      return records;
    }
  }

  static byte[] bytes(DataInputStream in) throws IOException {
    byte[] bytes = new byte[in.readInt()];
    in.readFully(bytes);
    return bytes;
  }

  static String text(DataInputStream in) throws IOException {
    return new String(bytes(in), StandardCharsets.UTF_8);
  }

  /** The value at `share` of the sorted latencies, in milliseconds. */
  static double percentile(long[] sortedMicros, double share) {
    if (sortedMicros.length == 0) return 0;
    int index = (int) Math.min(sortedMicros.length - 1, Math.ceil(share * sortedMicros.length) - 1);
    return sortedMicros[Math.max(0, index)] / 1000.0;
  }
}
