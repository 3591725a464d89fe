package io.pgcdc.bench;

import static io.pgcdc.bench.Figures.median;
import static io.pgcdc.bench.Figures.medianRatio;
import static io.pgcdc.bench.Figures.rate;
import static io.pgcdc.bench.Figures.ratio;

import io.debezium.embedded.Connect;
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
import java.util.List;
import java.util.Locale;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import org.apache.kafka.connect.data.Struct;
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

    @Option(names = "--in-process", description = "measure every run of every variant in this JVM, one after the other, instead of"
            + " each in a fresh JVM: later variants then run on code the earlier ones compiled")
    boolean inProcess;

    @Option(names = "--measure", hidden = true, description = "internal: measure this variant once on --database and print the result")
    Integer measure;

    @Option(names = "--database", hidden = true, description = "internal: the database the parent filled")
    String database;

    @Option(names = "--run", hidden = true, defaultValue = "1")
    int run;


    /** One way to read the whole table once; returns rows per second. */
    @FunctionalInterface
    private interface Measure {
        Rates rowsPerSecond(TestDatabase db, int rows, int run) throws Exception;
    }

    /**
     * One measurement: rows/s from the start (engine {@code start()}, or the query) to the last row, and from the
     * first row to the last: the rate at which a large table goes, start-up costs left out.
     */
    private record Rates(double fromStart, double afterFirstRow) {
        static Rates of(int rows, long start, long first, long last) {
            return new Rates(rows / ((last - start) / 1e9), (rows - 1) / ((last - first) / 1e9));
        }
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
        if (measure != null) {
            // A child: the parent's server (PGCDC_TEST_JDBC_URL), its database, one measurement.
            TestPostgres server = TestPostgres.fromEnvironment();
            try (TestDatabase db = server.attach(database)) {
                Rates r = variants.get(measure).measure().rowsPerSecond(db, rows, run);
                ChildMeasurement.print(r.fromStart(), r.afterFirstRow());
            } finally {
                server.close();
            }
            return 0;
        }
        double[][] results = new double[variants.size()][runs];
        double[][] steady = new double[variants.size()][runs];
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
            System.out.println(inProcess
                    ? "in one JVM: variants run in the order listed, once per run, each on the code the ones before compiled"
                    : "each run of each variant in a fresh JVM (-Xmx1g), as an application starting its snapshot: connecting, slot"
                            + " creation and JIT warm-up included");
            Rates[][] measured = new Rates[variants.size()][runs];
            String header = "%-5s %-46s %15s %8s %8s %15s %8s %8s%n";
            System.out.printf(Locale.ROOT, header, "", "", "from start()", "", "", "after 1st row", "", "");
            System.out.printf(Locale.ROOT, header, "run", "variant", "rows/s", "x COPY", "x Dbz", "rows/s", "x COPY", "x Dbz");
            for (int run = 1; run <= runs; run++) {
                for (int v = 0; v < variants.size(); v++) {
                    measured[v][run - 1] = inProcess ? variants.get(v).measure().rowsPerSecond(db, rows, run) : forked(pg, db, v, run);
                    results[v][run - 1] = measured[v][run - 1].fromStart();
                    steady[v][run - 1] = measured[v][run - 1].afterFirstRow();
                }
                // Printed once the run is complete: COPY's ratio to Debezium needs Debezium's figure.
                for (int v = 0; v < variants.size(); v++) {
                    int r = run - 1;
                    System.out.printf(Locale.ROOT, header, run, variants.get(v).name(),
                            rate(results[v][r]), ratio(results[v][r] / results[COPY][r]), ratio(results[v][r] / results[DEBEZIUM][r]),
                            rate(steady[v][r]), ratio(steady[v][r] / steady[COPY][r]), ratio(steady[v][r] / steady[DEBEZIUM][r]));
                }
            }
            System.out.println();
            System.out.printf(Locale.ROOT, header, "", "median of " + runs + " runs", "", "", "", "", "", "");
            for (int v = 0; v < variants.size(); v++) {
                System.out.printf(Locale.ROOT, header, "", variants.get(v).name(),
                        rate(median(results[v])), ratio(medianRatio(results[v], results[COPY])), ratio(medianRatio(results[v], results[DEBEZIUM])),
                        rate(median(steady[v])), ratio(medianRatio(steady[v], steady[COPY])), ratio(medianRatio(steady[v], steady[DEBEZIUM])));
            }
            System.out.println("a median ratio is the median of the runs' ratios, each to the same run's COPY or Debezium");
        } finally {
            pg.close();
        }
        return 0;
    }

    /** Measures one variant once in a fresh JVM on the same classpath, against the same server and database. */
    private Rates forked(TestPostgres pg, TestDatabase db, int variant, int run) throws Exception {
        double[] r = ChildMeasurement.run(pg, SnapshotBenchmark.class, List.of("-Xmx1g"), List.of("--measure", Integer.toString(variant),
                "--database", db.name(), "--rows", Integer.toString(rows), "--run", Integer.toString(run)));
        return new Rates(r[0], r[1]);
    }

    /** {@code COPY TO STDOUT} into a stream that counts and discards: what PostgreSQL hands out. */
    private static Rates copyOut(TestDatabase db, int rows, int run) throws Exception {
        LineCounter out = new LineCounter();
        try (Connection c = db.connect()) {
            long start = System.nanoTime();
            c.unwrap(PGConnection.class).getCopyAPI().copyOut("COPY (SELECT * FROM public.transactions) TO STDOUT", out);
            long last = System.nanoTime();
            expect(rows, out.lines, "COPY");
            return Rates.of(rows, start, out.firstLineAt, last);
        }
    }

    /**
     * Debezium's embedded engine alone, with exactly the properties the library would give it for
     * {@link SnapshotMode#INITIAL} (converters and all) but Kafka Connect's in-memory offset store, on a fresh slot,
     * from the engine's start until the consumer has read two fields of {@code after} of the last {@code op=r}
     * record; the slot is dropped afterwards.
     */
    private static Rates rawDebeziumSnapshot(TestDatabase db, int rows, int run) throws Exception {
        String slot = "snapshot_bench_dbz_" + run;
        Properties properties = new Properties();
        properties.putAll(CdcEngine.debeziumProperties(config(db, "snapshot-bench-dbz-" + run, slot).build()));
        // Only the offset store differs: the library's stores need the engine around them.
        properties.stringPropertyNames().stream().filter(k -> k.startsWith("offset.storage")).forEach(properties::remove);
        properties.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        AtomicLong read = new AtomicLong();
        AtomicLong firstAt = new AtomicLong();
        AtomicLong lastAt = new AtomicLong();
        AtomicLong sink = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        long start = System.nanoTime();
        RawDebezium.run(properties, "r", value -> {
            if (firstAt.get() == 0) {
                firstAt.set(System.nanoTime());
            }
            Struct after = value.getStruct("after");
            // What an application does with these fields: numeric arrives as text (decimal.handling.mode=string).
            sink.addAndGet(after.getString("transaction_id").length() + new BigDecimal(after.getString("amount")).scale());
            if (read.incrementAndGet() == rows) {
                lastAt.set(System.nanoTime());
                done.countDown();
            }
        }, "snapshot-bench-debezium-" + run, ended -> awaitDone(done, read, rows, ended));
        expect(rows, read.get(), "raw Debezium");
        dropSlot(db, slot);
        return Rates.of(rows, start, firstAt.get(), lastAt.get());
    }

    /**
     * The library's engine with {@link SnapshotMode#INITIAL} and {@code parallelism} reader connections on a fresh
     * slot, from {@code start()} until the listener has read two columns of the last snapshot row; the slot is
     * dropped afterwards.
     */
    private static Rates librarySnapshot(TestDatabase db, int rows, int run, int parallelism) throws Exception {
        String slot = "snapshot_bench_lib" + parallelism + "_" + run;
        AtomicLong read = new AtomicLong();
        AtomicLong firstAt = new AtomicLong();
        AtomicLong lastAt = new AtomicLong();
        CountDownLatch done = new CountDownLatch(1);
        long[] sink = new long[1];
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onRead(ChangeEvent event) {
                if (firstAt.get() == 0) {
                    firstAt.set(System.nanoTime());
                }
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
        return Rates.of(rows, start, firstAt.get(), lastAt.get());
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





    /** Counts the lines of COPY's text output and throws the bytes away. */
    private static final class LineCounter extends OutputStream {
        long lines;
        long firstLineAt;

        @Override
        public void write(int b) {
            if (b == '\n') {
                line();
            }
        }

        @Override
        public void write(byte[] b, int off, int len) {
            for (int i = off; i < off + len; i++) {
                if (b[i] == '\n') {
                    line();
                }
            }
        }

        private void line() {
            if (lines++ == 0) {
                firstLineAt = System.nanoTime();
            }
        }
    }
}
