package io.pgcdc.bench;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.SnapshotMode;

import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Arrays;
import java.util.Locale;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Commit-to-callback latency, printed, never asserted: single-row transactions committed one at a
 * time against the test kit's PostgreSQL, with the engine's default poll interval and, as the
 * reference in the same run, Debezium's own default (500 ms).
 *
 * <p>Run: {@code mvn -q -pl cdc-bench -am package -DskipTests && java -cp cdc-bench/target/pgcdc-bench.jar
 * io.pgcdc.bench.LatencyBenchmark 500}
 */
public final class LatencyBenchmark {

    private LatencyBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int commits = args.length > 0 ? Integer.parseInt(args[0]) : 500;
        TestPostgres pg = TestPostgres.shared();
        try {
            long[] ours = measure(pg, commits, CdcConfig.DEFAULT_POLL_INTERVAL);
            long[] debezium = measure(pg, Math.min(commits, 100), Duration.ofMillis(500));
            print("pgcdc default (poll " + CdcConfig.DEFAULT_POLL_INTERVAL.toMillis() + " ms)", ours);
            print("Debezium default (poll 500 ms)", debezium);
            System.out.printf(Locale.ROOT, "p50 ratio default/Debezium-default: %.3f%n",
                    (double) percentile(ours, 50) / percentile(debezium, 50));
        } finally {
            pg.close();
            System.exit(0);
        }
    }

    private static long[] measure(TestPostgres pg, int commits, Duration pollInterval) throws Exception {
        try (TestDatabase db = pg.createDatabase("latency")) {
            db.execute("CREATE TABLE pings (id int PRIMARY KEY)");
            ConcurrentHashMap<Integer, Long> received = new ConcurrentHashMap<>();
            AtomicLong count = new AtomicLong();
            ChangeListener listener = new ChangeListener() {
                @Override
                public void onInsert(ChangeEvent event) {
                    received.put(event.after().getInt("id"), System.nanoTime());
                    count.incrementAndGet();
                }
            };
            CdcConfig config = CdcConfig.builder().name("latency-" + db.name()).host(db.host()).port(db.port())
                    .database(db.name()).user(db.user()).password(db.password()).tables("pings")
                    .snapshotMode(SnapshotMode.NONE).pollInterval(pollInterval).build();
            long[] latencies = new long[commits];
            try (CdcEngine engine = CdcEngine.create(config, listener); Connection c = db.connect();
                 PreparedStatement insert = c.prepareStatement("INSERT INTO pings VALUES (?)")) {
                engine.start();
                long[] committed = new long[commits];
                for (int i = 0; i < commits; i++) {
                    insert.setInt(1, i);
                    insert.executeUpdate();
                    committed[i] = System.nanoTime();
                    // Wait for this one before the next, so each latency is measured on an idle pipeline.
                    long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(10);
                    while (!received.containsKey(i) && System.nanoTime() < deadline) {
                        Thread.onSpinWait();
                    }
                    Long at = received.get(i);
                    if (at == null) {
                        throw new IllegalStateException("row " + i + " not received within 10 s");
                    }
                    latencies[i] = at - committed[i];
                    Thread.sleep(2);
                }
            }
            return latencies;
        }
    }

    private static long percentile(long[] values, int p) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static void print(String label, long[] nanos) {
        System.out.printf(Locale.ROOT, "%-34s n=%4d  p50 %6.1f ms  p90 %6.1f ms  p99 %6.1f ms  max %6.1f ms%n", label, nanos.length,
                percentile(nanos, 50) / 1e6, percentile(nanos, 90) / 1e6, percentile(nanos, 99) / 1e6, percentile(nanos, 100) / 1e6);
    }
}
