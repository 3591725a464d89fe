package io.pgcdc.bench;

import io.debezium.embedded.Connect;
import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.format.ChangeEventFormat;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.Row;
import io.pgcdc.SnapshotMode;
import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.Schema;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.io.OutputStream;
import java.math.BigDecimal;
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.function.Supplier;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.postgresql.PGConnection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How fast the existing rows of a table can be read: the {@code transactions} table of {@code sql/}, filled
 * with generated rows by the generator's COPY path, read whole in each run by every variant in turn. The
 * reference is {@code COPY ... TO STDOUT} (what PostgreSQL hands out); then Debezium's embedded engine alone,
 * with the properties the library would give it ({@link CdcEngine#debeziumProperties}) and {@code snapshot.mode=initial};
 * then the library's own snapshot ({@link CdcEngine} with {@link SnapshotMode#INITIAL}) on one reader connection and on
 * {@link CdcConfig#DEFAULT_SNAPSHOT_PARALLELISM}. Each consumer reads two columns of every row. Prints rows/s per run
 * and the medians, with ratios to COPY and to Debezium; checks every variant delivered the table's row count.
 *
 * <p>There is no untimed warm-up: every run of every variant includes connecting, creating its slot and whatever
 * JIT compilation it still needs, so the first run of each is the coldest.
 *
 * <p>The server is the test kit's, as for the other benchmarks: an embedded PostgreSQL 17, or the one
 * {@code PGCDC_TEST_JDBC_URL} names (see {@link TestPostgres}).
 *
 * <p>Run: {@code mvn -q -pl cdc-bench -am package -DskipTests && java -cp cdc-bench/target/pgcdc-bench.jar
 * io.pgcdc.bench.SnapshotBenchmark --rows 200000 --runs 3}
 */
@Command(name = "SnapshotBenchmark", mixinStandardHelpOptions = true,
        description = "Rows/s of the library's snapshot against raw Debezium and COPY TO STDOUT of the same table, same run.")
public final class SnapshotBenchmark implements Callable<Integer> {

    private static final int ROWS_PER_TRANSACTION = 1_000;
    private static final long SEED = 7;
    private static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");
    private static final String PUBLICATION = "snapshot_bench_pub";
    private static final Duration SNAPSHOT_TIMEOUT = Duration.ofMinutes(10);

    @Option(names = "--rows", defaultValue = "200000", description = "rows in the table (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--runs", defaultValue = "3", description = "times every variant reads the table (default: ${DEFAULT-VALUE})")
    int runs;

    /** One way to read the whole table once; returns rows per second. */
    @FunctionalInterface
    private interface Measure {
        double rowsPerSecond(TestDatabase db, int rows, int run) throws Exception;
    }

    /** A row of the table: a name and its measurement. */
    private record Variant(String name, Measure measure) {
    }

    /** Index in {@link #variants()} of COPY, the reference. */
    private static final int COPY = 0;
    /** Index in {@link #variants()} of raw Debezium, the second reference. */
    private static final int DEBEZIUM = 1;

    /** COPY first and Debezium second: the ratios are to them. Add a variant here. */
    private static List<Variant> variants() {
        int parallelism = CdcConfig.DEFAULT_SNAPSHOT_PARALLELISM;
        return List.of(
                new Variant("COPY TO STDOUT (reference)", SnapshotBenchmark::copyOut),
                new Variant("raw Debezium embedded, snapshot.mode=initial", SnapshotBenchmark::rawDebeziumSnapshot),
                new Variant("library snapshot, parallelism 1", (db, rows, run) -> librarySnapshot(db, rows, run, 1)),
                new Variant("library snapshot, parallelism " + parallelism + " (default)",
                        (db, rows, run) -> librarySnapshot(db, rows, run, parallelism)));
    }

    public static void main(String[] args) {
        System.exit(new CommandLine(new SnapshotBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Variant> variants = variants();
        double[][] results = new double[variants.size()][runs];
        TestPostgres pg = TestPostgres.shared();
        try (TestDatabase db = pg.createDatabase("snapshot_bench")) {
            db.execute(Schema.script("010_transactions.sql"), "CREATE PUBLICATION " + PUBLICATION + " FOR TABLE public.transactions");
            GeneratorReport fill = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build()
                    .run(Workload.builder().mix(100, 0, 0).count(rows).rowsPerTransaction(ROWS_PER_TRANSACTION).seed(SEED)
                            .timestamps(FROM, Duration.ofDays(1)).insertMethod(Workload.InsertMethod.COPY).trackIds(false).build());
            // Sets hint bits and the visibility map now, so that the first reader does not pay for them.
            db.execute("VACUUM ANALYZE public.transactions");
            System.out.printf(Locale.ROOT, "%,d rows (%,.1f MB, filled by the generator's COPY at %,.0f rows/s), %d runs, PostgreSQL %d,"
                            + " Java %s, %d cores%n", db.queryLong("SELECT count(*) FROM public.transactions"),
                    db.queryLong("SELECT pg_table_size('public.transactions')") / 1e6, fill.changesPerSecond(), runs, pg.versionNumber(),
                    System.getProperty("java.vm.version"), Runtime.getRuntime().availableProcessors());
            System.out.println("no untimed warm-up: each run includes connecting, slot creation and JIT warm-up;"
                    + " variants run in the order listed, once per run");
            System.out.printf(Locale.ROOT, "%-5s %-48s %18s %14s %18s%n", "run", "variant", "rows/s", "ratio to COPY", "ratio to Debezium");
            for (int run = 1; run <= runs; run++) {
                for (int v = 0; v < variants.size(); v++) {
                    results[v][run - 1] = variants.get(v).measure().rowsPerSecond(db, rows, run);
                }
                // Printed once the run is complete: COPY's ratio to Debezium needs Debezium's figure.
                for (int v = 0; v < variants.size(); v++) {
                    double measured = results[v][run - 1];
                    System.out.printf(Locale.ROOT, "%-5d %-48s %18s %14s %18s%n", run, variants.get(v).name(), rate(measured),
                            ratio(measured / results[COPY][run - 1]), ratio(measured / results[DEBEZIUM][run - 1]));
                }
            }
            System.out.printf(Locale.ROOT, "%n%-5s %-48s %18s %14s %18s%n", "", "variant", "median, " + runs + " runs", "ratio to COPY",
                    "ratio to Debezium");
            for (int v = 0; v < variants.size(); v++) {
                System.out.printf(Locale.ROOT, "%-5s %-48s %18s %14s %18s%n", "", variants.get(v).name(), rate(median(results[v])),
                        ratio(medianRatio(results[v], results[COPY])), ratio(medianRatio(results[v], results[DEBEZIUM])));
            }
            System.out.println("a median ratio is the median of the runs' ratios, each to the same run's COPY or Debezium");
        } finally {
            pg.close();
        }
        return 0;
    }

    /** {@code COPY TO STDOUT} into a stream that counts and discards: what PostgreSQL hands out. */
    private static double copyOut(TestDatabase db, int rows, int run) throws Exception {
        LineCounter out = new LineCounter();
        try (Connection c = db.connect()) {
            long start = System.nanoTime();
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM public.transactions) TO STDOUT", out);
            double seconds = (System.nanoTime() - start) / 1e9;
            expect(rows, out.lines, "COPY");
            return rows / seconds;
        }
    }

    /**
     * Debezium's embedded engine alone, with exactly the properties the library would give it for
     * {@link SnapshotMode#INITIAL} (converters and all) but Kafka Connect's in-memory offset store, on a fresh slot,
     * from the engine's start until the consumer has read two fields of {@code after} of the last {@code op=r}
     * record; the slot is dropped afterwards.
     */
    private static double rawDebeziumSnapshot(TestDatabase db, int rows, int run) throws Exception {
        String slot = "snapshot_bench_dbz_" + run;
        Properties properties = new Properties();
        properties.putAll(CdcEngine.debeziumProperties(config(db, "snapshot-bench-dbz-" + run, slot).build()));
        // Only the offset store differs: the library's stores need the engine around them.
        properties.stringPropertyNames().stream().filter(k -> k.startsWith("offset.storage")).forEach(properties::remove);
        properties.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        AtomicLong read = new AtomicLong();
        AtomicLong lastAt = new AtomicLong();
        AtomicLong sink = new AtomicLong();
        AtomicReference<String> ended = new AtomicReference<>();
        CountDownLatch done = new CountDownLatch(1);
        DebeziumEngine<RecordChangeEvent<SourceRecord>> engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using((success, message, error) -> ended.set("success=" + success + ", " + message + (error == null ? "" : ": " + error)))
                .notifying(event -> {
                    if (!(event.record().value() instanceof Struct)) {
                        return;
                    }
                    Struct value = (Struct) event.record().value();
                    if (value.schema().field("op") == null || !"r".equals(value.getString("op"))) {
                        return;
                    }
                    Struct after = value.getStruct("after");
                    // What an application does with these fields: numeric arrives as text (decimal.handling.mode=string).
                    sink.addAndGet(after.getString("transaction_id").length() + new BigDecimal(after.getString("amount")).scale());
                    if (read.incrementAndGet() == rows) {
                        lastAt.set(System.nanoTime());
                        done.countDown();
                    }
                })
                .build();
        ExecutorService executor = Executors.newSingleThreadExecutor(r -> new Thread(r, "snapshot-bench-debezium-" + run));
        long start = System.nanoTime();
        try {
            executor.execute(engine);
            awaitDone(done, read, rows, ended::get);
        } finally {
            engine.close();
            executor.shutdown();
            if (!executor.awaitTermination(1, TimeUnit.MINUTES)) {
                throw new IllegalStateException("Debezium engine did not stop within a minute of close()");
            }
        }
        expect(rows, read.get(), "raw Debezium");
        dropSlot(db, slot);
        return rows / ((lastAt.get() - start) / 1e9);
    }

    /**
     * The library's engine with {@link SnapshotMode#INITIAL} and {@code parallelism} reader connections on a fresh
     * slot, from {@code start()} until the listener has read two columns of the last snapshot row; the slot is
     * dropped afterwards.
     */
    private static double librarySnapshot(TestDatabase db, int rows, int run, int parallelism) throws Exception {
        String slot = "snapshot_bench_lib" + parallelism + "_" + run;
        AtomicLong read = new AtomicLong();
        AtomicLong lastAt = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        long[] sink = new long[1];
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onRead(ChangeEvent event) {
                Row row = event.after();
                // Read as an application would, so that a lazy row costs what it costs.
                sink[0] += row.getString("transaction_id").length() + row.getDecimal("amount").scale();
                if (read.incrementAndGet() == rows) {
                    lastAt.set(System.nanoTime());
                    done.countDown();
                }
            }
        };
        CdcConfig config = config(db, "snapshot-bench-lib" + parallelism + "-" + run, slot).snapshotParallelism(parallelism).build();
        long start;
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            start = System.nanoTime();
            engine.start();
            awaitDone(done, read, rows,
                    () -> engine.state().isTerminal() ? engine.state() + ": " + engine.failure().map(Throwable::toString).orElse("") : null);
            expect(rows, engine.health().snapshotRows(), "library (health().snapshotRows())");
        }
        expect(rows, read.get(), "library");
        dropSlot(db, slot);
        return rows / ((lastAt.get() - start) / 1e9);
    }

    /** The configuration both engines derive from: the table, the publication made beforehand, a fresh slot. */
    private static CdcConfig.Builder config(TestDatabase db, String name, String slot) {
        return CdcConfig.builder().name(name).host(db.host()).port(db.port()).database(db.name())
                .user(db.user()).password(db.password()).tables("public.transactions").slotName(slot)
                .publicationName(PUBLICATION).property("publication.autocreate.mode", "disabled")
                .snapshotMode(SnapshotMode.INITIAL);
    }

    /**
     * Waits for the last row; fails when the engine ended first ({@code ended} says why, or gives null while it
     * runs) or after {@link #SNAPSHOT_TIMEOUT}.
     */
    private static void awaitDone(CountDownLatch done, AtomicLong read, int rows, Supplier<String> ended) throws InterruptedException {
        long deadline = System.nanoTime() + SNAPSHOT_TIMEOUT.toNanos();
        while (!done.await(20, TimeUnit.MILLISECONDS)) {
            String reason = ended.get();
            if (reason != null) {
                throw new IllegalStateException("engine ended after " + read.get() + " rows: " + reason);
            }
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("snapshot not done within " + SNAPSHOT_TIMEOUT + ": " + read.get() + " of " + rows + " rows");
            }
        }
    }

    /** Drops the slot once its walsender has gone, which may be a moment after the engine closed. */
    private static void dropSlot(TestDatabase db, String slot) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active") > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("slot '" + slot + "' still active 30 s after the engine closed");
            }
            Thread.sleep(50);
        }
        db.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }

    private static void expect(long expected, long actual, String variant) {
        if (actual != expected) {
            throw new IllegalStateException(variant + " read " + actual + " rows, expected " + expected);
        }
    }

    private static String rate(double rowsPerSecond) {
        return String.format(Locale.ROOT, "%,.0f rows/s", rowsPerSecond);
    }

    private static String ratio(double ratio) {
        return String.format(Locale.ROOT, "%.3f", ratio);
    }

    private static double median(double[] values) {
        double[] sorted = values.clone();
        Arrays.sort(sorted);
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static double medianRatio(double[] values, double[] reference) {
        List<Double> ratios = new ArrayList<>();
        for (int i = 0; i < values.length; i++) {
            ratios.add(values[i] / reference[i]);
        }
        return median(ratios.stream().mapToDouble(Double::doubleValue).toArray());
    }

    /** Counts the lines of COPY's text output and throws the bytes away. */
    private static final class LineCounter extends OutputStream {
        long lines;

        @Override
        public void write(int b) {
            if (b == '\n') {
                lines++;
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    lines++;
                }
            }
        }
    }
}
