package io.trendstream.bench;

import com.fasterxml.jackson.annotation.JsonIgnoreProperties;
import com.fasterxml.jackson.annotation.JsonProperty;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.ObjectReader;
import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.apache.kafka.clients.admin.Admin;
import org.apache.kafka.clients.admin.AdminClientConfig;
import org.apache.kafka.clients.admin.NewTopic;
import org.apache.kafka.clients.admin.OffsetSpec;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.OffsetAndMetadata;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.errors.TopicExistsException;
import org.apache.kafka.common.serialization.Deserializer;
import org.apache.kafka.common.serialization.Serde;
import org.apache.kafka.common.serialization.Serdes;
import org.apache.kafka.streams.KafkaStreams;
import org.apache.kafka.streams.KeyValue;
import org.apache.kafka.streams.StreamsBuilder;
import org.apache.kafka.streams.StreamsConfig;
import org.apache.kafka.streams.Topology;
import org.apache.kafka.streams.errors.StreamsUncaughtExceptionHandler.StreamThreadExceptionResponse;
import org.apache.kafka.streams.kstream.Consumed;
import org.apache.kafka.streams.kstream.Grouped;
import org.apache.kafka.streams.kstream.Produced;
import org.apache.kafka.streams.kstream.TimeWindows;
import org.apache.kafka.streams.processor.TimestampExtractor;

/**
 * The Kafka Streams side of the stream-analytics benchmark: posts per (5-s tumbling
 * event-time window, hashtag) over the tweets topic, the app a Kafka Streams user would write.
 *
 * <p>Each value (a canonical post, as {@code trendstream ingest} writes it) is parsed once by a
 * Jackson deserializer; a {@link TimestampExtractor} takes {@code created_at} as the record's
 * event time; one record per distinct hashtag (lower-cased, leading {@code #} stripped: our
 * {@code _norm_tags}) is re-keyed by hashtag (a repartition topic), counted in tumbling windows
 * with a grace period ({@code count()}, RocksDB store with its changelog, record cache on) and
 * produced to an output topic. The backlog is done when the application's committed offsets
 * reach the input topic's end offsets captured at start, then the repartition topic's: Streams
 * flushes its cache downstream before each commit, so every final count has been produced by
 * then. With {@code --warmups N} it first runs the backlog N times untimed in the same JVM
 * (fresh application ids), so the timed run is JIT-warm. Prints the timed run's timings as
 * one JSON line and writes them, with every window's final count and the wall time of its
 * last update, to {@code --out}.
 */
public final class HashtagWindows {

  /** {@code count()} skips null values; an empty one costs nothing on the repartition topic. */
  private static final byte[] NO_VALUE = new byte[0];
  private static final String REPARTITION = "hashtag";

  /** The fields of a canonical post this app needs; the rest of the value is skipped. */
  @JsonIgnoreProperties(ignoreUnknown = true)
  public record Post(
      @JsonProperty("created_at") String createdAt,
      @JsonProperty("hashtags") List<String> hashtags) {}

  /** A window's identity in the output: its start (epoch ms) and the hashtag. */
  record Window(long start, String tag) {}

  /** Event time = the post's {@code created_at}; -1 (Streams drops the record) when absent. */
  static final class CreatedAt implements TimestampExtractor {
    @Override
    public long extract(ConsumerRecord<Object, Object> record, long partitionTime) {
      if (!(record.value() instanceof Post post) || post.createdAt() == null) {
        return -1L;
      }
      try {
        return Instant.parse(post.createdAt()).toEpochMilli();
      } catch (DateTimeParseException e) {
        return -1L;
      }
    }
  }

  /** Parses a value into a {@link Post}; null (then dropped) when it is not JSON of that shape. */
  static final class PostDeserializer implements Deserializer<Post> {
    private final ObjectReader reader = new ObjectMapper().readerFor(Post.class);
    private final Timings timings;

    PostDeserializer(Timings timings) {
      this.timings = timings;
    }

    @Override
    public Post deserialize(String topic, byte[] data) {
      timings.firstRecord();
      try {
        return data == null ? null : reader.readValue(data);
      } catch (IOException e) {
        return null;
      }
    }
  }

  /** One run's milestones: wall times (epoch s) and this process's CPU (s); why it failed. */
  static final class Timings {
    final double startedAt = now();
    final AtomicBoolean sawRecord = new AtomicBoolean(false);
    volatile double runningAt = Double.NaN;
    volatile double firstRecordAt = Double.NaN;
    volatile double cpuAtFirstRecord = Double.NaN;
    double inputCommittedAt = Double.NaN;
    double doneAt = Double.NaN;
    double cpuAtDone = Double.NaN;
    String failure;

    void firstRecord() {
      if (!sawRecord.get() && sawRecord.compareAndSet(false, true)) {
        firstRecordAt = now();
        cpuAtFirstRecord = cpuSeconds();
      }
    }
  }

  static double now() {
    return System.currentTimeMillis() / 1000.0;
  }

  static double cpuSeconds() {
    var os = (com.sun.management.OperatingSystemMXBean) ManagementFactory.getOperatingSystemMXBean();
    return os.getProcessCpuTime() / 1e9;
  }

  /** The distinct hashtags of a post, normalised as the Python parser does. */
  static List<String> tags(Post post) {
    if (post == null || post.hashtags() == null) {
      return List.of();
    }
    Set<String> out = new LinkedHashSet<>();
    for (String tag : post.hashtags()) {
      int start = 0;
      while (tag != null && start < tag.length() && tag.charAt(start) == '#') {
        start++;
      }
      String norm = tag == null ? "" : tag.substring(start).toLowerCase(Locale.ROOT);
      if (!norm.isEmpty()) {
        out.add(norm);
      }
    }
    return new ArrayList<>(out);
  }

  static Topology topology(Args args, Timings timings, Map<Window, double[]> windows) {
    Serde<Post> posts = Serdes.serdeFrom(
        (topic, post) -> {
          throw new UnsupportedOperationException("posts are only read");
        },
        new PostDeserializer(timings));
    StreamsBuilder builder = new StreamsBuilder();
    builder.stream(args.topic, Consumed.with(Serdes.ByteArray(), posts).withTimestampExtractor(new CreatedAt()))
        .flatMap((key, post) -> tags(post).stream().map(tag -> KeyValue.pair(tag, NO_VALUE)).toList())
        .groupByKey(Grouped.with(REPARTITION, Serdes.String(), Serdes.ByteArray()))
        .windowedBy(TimeWindows.ofSizeAndGrace(Duration.ofMillis(args.windowMs), Duration.ofMillis(args.graceMs)))
        .count()
        .toStream()
        .peek((window, count) -> windows.put(new Window(window.window().start(), window.key()),
            new double[] {count, now()}))
        .map((window, count) -> KeyValue.pair(window.key(),
            "{\"window_start\":" + window.window().start() + ",\"count\":" + count + "}"))
        .to(args.outputTopic, Produced.with(Serdes.String(), Serdes.String()));
    return builder.build();
  }

  static Properties streamsConfig(Args args, String applicationId) {
    Properties p = new Properties();
    p.put(StreamsConfig.APPLICATION_ID_CONFIG, applicationId);
    p.put(StreamsConfig.BOOTSTRAP_SERVERS_CONFIG, args.bootstrap);
    p.put(StreamsConfig.PROCESSING_GUARANTEE_CONFIG, args.guarantee);
    p.put(StreamsConfig.NUM_STREAM_THREADS_CONFIG, args.threads);
    p.put(StreamsConfig.STATE_DIR_CONFIG, args.stateDir);
    p.put(StreamsConfig.COMMIT_INTERVAL_MS_CONFIG, args.commitMs);
    p.put(StreamsConfig.consumerPrefix(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG), "earliest");
    return p;
  }

  /** End offset per partition of {@code topic} now. */
  static Map<TopicPartition, Long> endOffsets(Admin admin, String topic)
      throws ExecutionException, InterruptedException {
    int partitions = admin.describeTopics(List.of(topic)).allTopicNames().get().get(topic).partitions().size();
    Map<TopicPartition, OffsetSpec> request = new HashMap<>();
    for (int i = 0; i < partitions; i++) {
      request.put(new TopicPartition(topic, i), OffsetSpec.latest());
    }
    return admin.listOffsets(request).all().get().entrySet().stream()
        .collect(Collectors.toMap(Map.Entry::getKey, e -> e.getValue().offset()));
  }

  /** True when the application's committed offsets reach {@code ends} on every partition. */
  static boolean committedUpTo(Admin admin, String group, Map<TopicPartition, Long> ends)
      throws ExecutionException, InterruptedException {
    Map<TopicPartition, OffsetAndMetadata> committed =
        admin.listConsumerGroupOffsets(group).partitionsToOffsetAndMetadata().get();
    return ends.entrySet().stream().allMatch(e -> {
      OffsetAndMetadata at = committed.get(e.getKey());
      return (at == null ? 0L : at.offset()) >= e.getValue();
    });
  }

  static void createOutputTopic(Admin admin, Args args) throws ExecutionException, InterruptedException {
    int partitions = admin.describeTopics(List.of(args.topic)).allTopicNames().get().get(args.topic)
        .partitions().size();
    try {
      admin.createTopics(List.of(new NewTopic(args.outputTopic, partitions, (short) 1))).all().get();
    } catch (ExecutionException e) {
      if (!(e.getCause() instanceof TopicExistsException)) {
        throw e;
      }
    }
  }

  public static void main(String[] argv) throws Exception {
    Args args = Args.parse(argv);
    Properties adminProps = new Properties();
    adminProps.put(AdminClientConfig.BOOTSTRAP_SERVERS_CONFIG, args.bootstrap);
    Map<Window, double[]> windows = new ConcurrentHashMap<>();
    List<Double> warmups = new ArrayList<>();
    Timings timed;
    try (Admin admin = Admin.create(adminProps)) {
      createOutputTopic(admin, args);
      // Untimed runs first, in this JVM (its JIT warm, as the benchmark's Spark session is).
      for (int i = 0; i < args.warmups; i++) {
        Timings warm = runOnce(args, admin, args.applicationId + "-warmup-" + i, new ConcurrentHashMap<>());
        if (warm.failure != null) {
          writeResult(args, warm, windows, warmups);
          System.exit(1);
        }
        warmups.add(warm.doneAt - warm.firstRecordAt);
      }
      timed = runOnce(args, admin, args.applicationId, windows);
    }
    writeResult(args, timed, windows, warmups);
    if (timed.failure != null) {
      System.exit(1);
    }
  }

  /** The backlog once, from the earliest offsets, under a new application id; returns when
   * its offsets are committed on the input and repartition topics (or it failed / timed out). */
  static Timings runOnce(Args args, Admin admin, String applicationId, Map<Window, double[]> windows)
      throws ExecutionException, InterruptedException {
    Timings timings = new Timings();
    Map<TopicPartition, Long> inputEnds = endOffsets(admin, args.topic);
    KafkaStreams streams = new KafkaStreams(topology(args, timings, windows), streamsConfig(args, applicationId));
    streams.setUncaughtExceptionHandler(e -> StreamThreadExceptionResponse.SHUTDOWN_CLIENT);
    streams.setStateListener((now, before) -> {
      if (now == KafkaStreams.State.RUNNING && Double.isNaN(timings.runningAt)) {
        timings.runningAt = now();
      }
    });
    streams.start();
    String repartition = applicationId + "-" + REPARTITION + "-repartition";
    long deadline = System.nanoTime() + (long) (args.timeoutS * 1e9);
    Map<TopicPartition, Long> repartitionEnds = null;
    try {
      while (System.nanoTime() < deadline) {
        if (streams.state() == KafkaStreams.State.ERROR || streams.state() == KafkaStreams.State.PENDING_ERROR) {
          timings.failure = "Kafka Streams went to state " + streams.state();
          return timings;
        }
        if (repartitionEnds == null && committedUpTo(admin, applicationId, inputEnds)) {
          timings.inputCommittedAt = now();
          repartitionEnds = endOffsets(admin, repartition);  // final: every input offset is committed
        }
        if (repartitionEnds != null && committedUpTo(admin, applicationId, repartitionEnds)) {
          timings.doneAt = now();
          timings.cpuAtDone = cpuSeconds();
          return timings;
        }
        Thread.sleep(args.pollMs);
      }
      timings.failure = "backlog not done within " + args.timeoutS + " s";
      return timings;
    } finally {
      streams.close(Duration.ofSeconds(30));
    }
  }

  static void writeResult(Args args, Timings timings, Map<Window, double[]> windows, List<Double> warmups)
      throws IOException {
    Map<String, Object> stats = new LinkedHashMap<>();
    stats.put("engine", "kafka-streams");
    stats.put("kafka_streams_version", streamsVersion());
    stats.put("processing_guarantee", args.guarantee);
    stats.put("threads", args.threads);
    stats.put("commit_interval_ms", args.commitMs);
    stats.put("warmup_processing_s", warmups);
    stats.put("started_at", timings.startedAt);
    stats.put("running_at", nullIfNaN(timings.runningAt));
    stats.put("first_message_at", nullIfNaN(timings.firstRecordAt));
    stats.put("input_committed_at", nullIfNaN(timings.inputCommittedAt));
    stats.put("done_at", nullIfNaN(timings.doneAt));
    stats.put("processing_cpu_s", nullIfNaN(timings.cpuAtDone - timings.cpuAtFirstRecord));
    stats.put("total_cpu_s", cpuSeconds());
    stats.put("windows_count", windows.size());
    stats.put("failure", timings.failure);
    ObjectMapper json = new ObjectMapper();
    System.out.println(json.writeValueAsString(stats));
    List<List<Object>> rows = new ArrayList<>(windows.size());
    windows.forEach((w, v) -> rows.add(List.of(w.start(), w.tag(), (long) v[0], v[1])));
    stats.put("windows", rows);
    Files.write(Path.of(args.out), json.writeValueAsBytes(stats));
  }

  /** The version in the kafka-streams jar's own properties file. */
  static String streamsVersion() throws IOException {
    Properties props = new Properties();
    try (var in = KafkaStreams.class.getResourceAsStream("/kafka/kafka-streams-version.properties")) {
      if (in != null) {
        props.load(in);
      }
    }
    return props.getProperty("version", "unknown");
  }

  static Object nullIfNaN(double value) {
    return Double.isNaN(value) ? null : value;
  }

  /** Command-line options ({@code --name value}). */
  record Args(String bootstrap, String topic, String outputTopic, String applicationId, String stateDir,
      String out, long windowMs, long graceMs, String guarantee, int threads, long commitMs, double timeoutS,
      long pollMs, int warmups) {

    static Args parse(String[] argv) {
      Map<String, String> m = new HashMap<>();
      for (int i = 0; i + 1 < argv.length; i += 2) {
        if (!argv[i].startsWith("--")) {
          throw new IllegalArgumentException("expected --name value pairs, got " + argv[i]);
        }
        m.put(argv[i].substring(2), argv[i + 1]);
      }
      for (String required : List.of("bootstrap", "topic", "output-topic", "application-id", "state-dir", "out")) {
        if (!m.containsKey(required)) {
          throw new IllegalArgumentException("--" + required + " is required");
        }
      }
      return new Args(m.get("bootstrap"), m.get("topic"), m.get("output-topic"), m.get("application-id"),
          m.get("state-dir"), m.get("out"),
          Long.parseLong(m.getOrDefault("window-ms", "5000")),
          Long.parseLong(m.getOrDefault("grace-ms", "10000")),
          m.getOrDefault("guarantee", StreamsConfig.EXACTLY_ONCE_V2),
          Integer.parseInt(m.getOrDefault("threads", "2")),
          Long.parseLong(m.getOrDefault("commit-ms", "100")),
          Double.parseDouble(m.getOrDefault("timeout-s", "600")),
          Long.parseLong(m.getOrDefault("poll-ms", "50")),
          Integer.parseInt(m.getOrDefault("warmups", "0")));
    }
  }
}
