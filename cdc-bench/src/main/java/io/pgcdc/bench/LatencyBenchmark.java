package io.pgcdc.bench;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.SnapshotMode;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.FutureTask;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicLongArray;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.ParameterException;
import picocli.CommandLine.Spec;

/**
 * Commit-to-callback latency at a steady rate of single-row commits, printed, never asserted. A writer thread
 * commits one autocommit {@code INSERT} of one row at a time, paced by a fixed schedule of {@code --rate} commits
 * per second (it never waits for delivery); the latency of a row is the {@link System#nanoTime()} at which the
 * listener's callback received it minus the one at which the writer's {@code executeUpdate} returned, both in
 * this JVM. The first {@code --warmup} seconds of rows go through the same pipeline but are left out of the
 * figures; the next {@code --seconds} seconds are measured.
 *
 * <p>Variants, each on its own fresh database, publication and slot: the library with its defaults (only
 * {@link SnapshotMode#NONE} set), and, for reference, the same with Debezium's default poll interval (500 ms).
 * Every row written must arrive exactly once, or the run fails.
 *
 * <p>The server is the test kit's, as for the other benchmarks: an embedded PostgreSQL 17, or the one
 * {@code PGCDC_TEST_JDBC_URL} names (see {@link TestPostgres}).
 *
 * <p>Run: {@code mvn -q -pl cdc-bench -am package -DskipTests && java -cp cdc-bench/target/pgcdc-bench.jar
 * io.pgcdc.bench.LatencyBenchmark --runs 3}
 */
@Command(name = "LatencyBenchmark", mixinStandardHelpOptions = true,
        description = "Commit-to-callback latency of single-row commits at a steady rate: library defaults and Debezium's poll default.")
public final class LatencyBenchmark implements Callable<Integer> {

    /** How long the rows still in flight when the writer is done may take to arrive. */
    private static final Duration DRAIN_TIMEOUT = Duration.ofSeconds(60);

    @Option(names = "--rate", defaultValue = "100", description = "single-row commits per second (default: ${DEFAULT-VALUE})")
    int rate;

    @Option(names = "--warmup", defaultValue = "10", description = "seconds of commits before measuring, left out of the figures"
            + " (default: ${DEFAULT-VALUE})")
    int warmup;

    @Option(names = "--seconds", defaultValue = "30", description = "seconds of measured commits (default: ${DEFAULT-VALUE})")
    int seconds;

    @Option(names = "--runs", defaultValue = "1", description = "rounds, each with a fresh database and slot per variant"
            + " (default: ${DEFAULT-VALUE})")
    int runs;

    @Spec
    CommandSpec spec;

    /** A row of the table: a name and how its configuration differs from the library's defaults. */
    private record Variant(String name, UnaryOperator<CdcConfig.Builder> settings) {
    }

    /** What the writer did: when each commit returned, and how well it kept to its schedule. */
    private record Written(int rows, long maxLateNanos, double measuredRate) {
    }

    /** One variant's measured rows in one run. */
    private record Result(long[] latencies, Written written, long received) {
    }

    private static List<Variant> variants() {
        return List.of(
                new Variant("library defaults", UnaryOperator.identity()),
                new Variant("Debezium poll default (500 ms)", b -> b.pollInterval(Duration.ofMillis(500))));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new LatencyBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rate < 1 || rate > 1_000_000) {
            throw new ParameterException(spec.commandLine(), "--rate must be between 1 and 1000000");
        }
        if (seconds < 1 || warmup < 0 || runs < 1) {
            throw new ParameterException(spec.commandLine(), "--seconds and --runs must be at least 1, --warmup at least 0");
        }
        List<Variant> variants = variants();
        long[][] p50 = new long[variants.size()][runs];
        long[][] p99 = new long[variants.size()][runs];
        TestPostgres pg = TestPostgres.shared();
        try {
            System.out.printf(Locale.ROOT, "options: --rate %d --warmup %d --seconds %d --runs %d%n", rate, warmup, seconds, runs);
            System.out.printf(Locale.ROOT, "Java %s (%s %s), %d cores, max heap %,d MB, GC %s; PostgreSQL %d%n",
                    System.getProperty("java.version"), System.getProperty("java.vm.name"), System.getProperty("java.vm.version"),
                    Runtime.getRuntime().availableProcessors(), Runtime.getRuntime().maxMemory() >> 20,
                    ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName)
                            .collect(Collectors.joining(", ")),
                    pg.versionNumber());
            System.out.printf(Locale.ROOT, "writer: one autocommit INSERT of one row per transaction, %d/s on a fixed schedule, never"
                    + " waiting for delivery%n", rate);
            System.out.println("latency: nanoTime when the listener's callback got the row minus nanoTime when executeUpdate returned");
            System.out.printf(Locale.ROOT, "warm-up excluded: per variant and run, the first %d s (%,d rows) are not in the figures;"
                    + " the next %d s (%,d rows) are%n", warmup, warmup * rate, seconds, seconds * rate);
            String header = "%-4s %-32s %6s %8s %8s %8s %8s %19s %10s %13s%n";
            System.out.printf(Locale.ROOT, header, "run", "variant", "n", "p50 ms", "p90 ms", "p99 ms", "max ms",
                    "received/written", "writer/s", "writer late");
            for (int run = 1; run <= runs; run++) {
                for (int v = 0; v < variants.size(); v++) {
                    Variant variant = variants.get(v);
                    Result r = measure(pg, variant, run);
                    long[] sorted = r.latencies().clone();
                    Arrays.sort(sorted);
                    p50[v][run - 1] = percentile(sorted, 50);
                    p99[v][run - 1] = percentile(sorted, 99);
                    System.out.printf(Locale.ROOT, header, run, variant.name(), sorted.length, millis(percentile(sorted, 50)),
                            millis(percentile(sorted, 90)), millis(percentile(sorted, 99)), millis(sorted[sorted.length - 1]),
                            String.format(Locale.ROOT, "%,d/%,d", r.received(), r.written().rows()),
                            String.format(Locale.ROOT, "%.1f", r.written().measuredRate()),
                            "max " + millis(r.written().maxLateNanos()) + " ms");
                }
            }
            System.out.println("received/written counts every row, warm-up included; writer/s is the commit rate over the measured"
                    + " window; writer late is how far a commit started behind its schedule at worst");
            if (runs > 1) {
                System.out.printf(Locale.ROOT, "median of %d runs%n", runs);
                for (int v = 0; v < variants.size(); v++) {
                    System.out.printf(Locale.ROOT, "     %-32s p50 %s ms, p99 %s ms%n", variants.get(v).name(), millis(median(p50[v])),
                            millis(median(p99[v])));
                }
            }
        } finally {
            pg.close();
        }
        return 0;
    }

    /** Streams one variant on a fresh database while the writer commits; returns the measured rows' latencies. */
    private Result measure(TestPostgres pg, Variant variant, int run) throws Exception {
        int warmupRows = warmup * rate;
        int total = warmupRows + seconds * rate;
        AtomicLongArray committedAt = new AtomicLongArray(total);
        AtomicLongArray receivedAt = new AtomicLongArray(total);
        CountDownLatch missing = new CountDownLatch(total);
        AtomicLong callbacks = new AtomicLong();
        AtomicLong unexpected = new AtomicLong();
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) {
                long now = System.nanoTime();
                callbacks.incrementAndGet();
                int id = event.after().getInt("id");
                // The first arrival counts; a repeated one is a duplicate and fails the run below.
                if (id >= 0 && id < total && receivedAt.compareAndSet(id, 0, now)) {
                    missing.countDown();
                } else {
                    unexpected.incrementAndGet();
                }
            }
        };
        try (TestDatabase db = pg.createDatabase("latency_bench")) {
            db.execute("CREATE TABLE public.pings (id int PRIMARY KEY)");
            CdcConfig config = variant.settings().apply(CdcConfig.builder()).name("latency-" + db.name()).host(db.host()).port(db.port())
                    .database(db.name()).user(db.user()).password(db.password()).tables("public.pings")
                    .snapshotMode(SnapshotMode.NONE).build();
            Written written;
            try (CdcEngine engine = CdcEngine.create(config, listener)) {
                engine.start();
                FutureTask<Written> writer = new FutureTask<>(() -> write(db, total, warmupRows, committedAt));
                new Thread(writer, "latency-bench-writer-" + run).start();
                while (true) {
                    try {
                        written = writer.get(100, TimeUnit.MILLISECONDS);
                        break;
                    } catch (TimeoutException e) {
                        if (engine.state().isTerminal()) {
                            writer.cancel(true);
                            throw new IllegalStateException(variant.name() + ": engine ended while writing: " + describe(engine));
                        }
                    } catch (ExecutionException e) {
                        throw new IllegalStateException(variant.name() + ": writer failed: " + e.getCause(), e.getCause());
                    }
                }
                long deadline = System.nanoTime() + DRAIN_TIMEOUT.toNanos();
                while (!missing.await(100, TimeUnit.MILLISECONDS)) {
                    if (engine.state().isTerminal() || System.nanoTime() > deadline) {
                        throw new IllegalStateException(String.format(Locale.ROOT, "%s: received %,d of %,d rows written (%s after the"
                                        + " last commit), first missing id %d; engine %s", variant.name(), total - missing.getCount(), total,
                                DRAIN_TIMEOUT, firstZero(receivedAt), describe(engine)));
                    }
                }
            }
            long received = total - missing.getCount();
            if (written.rows() != total || received != total || unexpected.get() != 0 || callbacks.get() != total) {
                throw new IllegalStateException(String.format(Locale.ROOT, "%s: written %,d, received %,d distinct rows in %,d callbacks"
                        + " (%,d duplicate or unknown); every row written must arrive exactly once", variant.name(), written.rows(),
                        received, callbacks.get(), unexpected.get()));
            }
            long[] latencies = new long[total - warmupRows];
            for (int id = warmupRows; id < total; id++) {
                latencies[id - warmupRows] = receivedAt.get(id) - committedAt.get(id);
            }
            return new Result(latencies, written, received);
        }
    }

    /**
     * Commits rows {@code 0..total-1}, row {@code i} at {@code i / rate} seconds after the start: a commit that
     * starts late (a slow commit, a pause) is followed by the next ones as soon as possible, not by a new schedule.
     */
    private Written write(TestDatabase db, int total, int warmupRows, AtomicLongArray committedAt) throws Exception {
        long maxLate = 0;
        long firstMeasuredStart = 0;
        long lastStart = 0;
        try (Connection c = db.connect(); PreparedStatement insert = c.prepareStatement("INSERT INTO public.pings (id) VALUES (?)")) {
            long start = System.nanoTime();
            for (int id = 0; id < total; id++) {
                long due = start + Math.round(id * 1e9 / rate);
                for (long wait = due - System.nanoTime(); wait > 0; wait = due - System.nanoTime()) {
                    TimeUnit.NANOSECONDS.sleep(wait);
                }
                long begin = System.nanoTime();
                insert.setInt(1, id);
                insert.executeUpdate();
                committedAt.set(id, System.nanoTime());
                if (id >= warmupRows) {
                    maxLate = Math.max(maxLate, begin - due);
                    if (id == warmupRows) {
                        firstMeasuredStart = begin;
                    }
                    lastStart = begin;
                }
            }
        }
        int measured = total - warmupRows;
        double measuredRate = measured > 1 ? (measured - 1) / ((lastStart - firstMeasuredStart) / 1e9) : Double.NaN;
        return new Written(total, maxLate, measuredRate);
    }

    private static String describe(CdcEngine engine) {
        return engine.state() + engine.failure().map(f -> ": " + f.getMessage()).orElse("");
    }

    private static int firstZero(AtomicLongArray values) {
        for (int i = 0; i < values.length(); i++) {
            if (values.get(i) == 0) {
                return i;
            }
        }
        return -1;
    }

    /** Nearest-rank percentile of sorted values. */
    private static long percentile(long[] sorted, int p) {
        int index = (int) Math.ceil(p / 100.0 * sorted.length) - 1;
        return sorted[Math.max(0, Math.min(sorted.length - 1, index))];
    }

    private static long median(long[] values) {
        long[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static String millis(long nanos) {
        return String.format(Locale.ROOT, "%.1f", nanos / 1e6);
    }
}
