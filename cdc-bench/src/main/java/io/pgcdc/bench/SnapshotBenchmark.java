package io.pgcdc.bench;

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
import java.sql.Connection;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.postgresql.PGConnection;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * How fast the existing rows of a table can be read: the {@code transactions} table of {@code sql/}, filled
 * with generated rows by the generator's COPY path, read whole in each run by every variant in turn. The
 * reference is {@code COPY ... TO STDOUT} (what PostgreSQL hands out); the others are the engine's
 * snapshot paths. Prints rows/s per run and the medians; asserts nothing.
 *
 * <p>The server is the test kit's, as for the other benchmarks: an embedded PostgreSQL 17, or the one
 * {@code PGCDC_TEST_JDBC_URL} names (see {@link TestPostgres}).
 *
 * <p>Run: {@code mvn -q -pl cdc-bench -am package -DskipTests && java -cp cdc-bench/target/pgcdc-bench.jar
 * io.pgcdc.bench.SnapshotBenchmark --rows 200000 --runs 3}
 */
@Command(name = "SnapshotBenchmark", mixinStandardHelpOptions = true,
        description = "Rows/s of the engine's snapshot against COPY TO STDOUT of the same table, same run.")
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

    /** A row of the table: a name and its measurement, or none while it is not built. */
    private record Variant(String name, Measure measure) {
        static Variant notBuilt(String name) {
            return new Variant(name, null);
        }
    }

    /** The reference first: the ratios are to it. Add a variant here. */
    private static List<Variant> variants() {
        return List.of(
                new Variant("COPY TO STDOUT (reference)", SnapshotBenchmark::copyOut),
                new Variant("engine, Debezium snapshot (INITIAL)", SnapshotBenchmark::debeziumSnapshot),
                Variant.notBuilt("library fast snapshot (issue 12)"));
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
            System.out.printf(Locale.ROOT, "%-5s %-40s %22s %14s%n", "run", "variant", "rows/s", "ratio to COPY");
            for (int run = 1; run <= runs; run++) {
                for (int v = 0; v < variants.size(); v++) {
                    Variant variant = variants.get(v);
                    double measured = variant.measure() == null ? Double.NaN : variant.measure().rowsPerSecond(db, rows, run);
                    results[v][run - 1] = measured;
                    System.out.printf(Locale.ROOT, "%-5d %-40s %22s %14s%n", run, variant.name(), rate(measured),
                            Double.isNaN(measured) ? "" : String.format(Locale.ROOT, "%.3f", measured / results[0][run - 1]));
                }
            }
            System.out.printf(Locale.ROOT, "%n%-5s %-40s %22s %14s%n", "", "variant", "median, " + runs + " runs", "ratio to COPY");
            for (int v = 0; v < variants.size(); v++) {
                Variant variant = variants.get(v);
                String ratio = variant.measure() == null ? "" : String.format(Locale.ROOT, "%.3f", medianRatio(results[v], results[0]));
                System.out.printf(Locale.ROOT, "%-5s %-40s %22s %14s%n", "", variant.name(), rate(median(results[v])), ratio);
            }
            System.out.println("the median ratio is the median of the runs' ratios, each to the same run's COPY");
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
     * The library's engine with {@link SnapshotMode#INITIAL} on a fresh slot, from {@code start()} until the
     * listener has read two columns of the last snapshot row; the slot is dropped afterwards.
     */
    private static double debeziumSnapshot(TestDatabase db, int rows, int run) throws Exception {
        String slot = "snapshot_bench_" + run;
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
        CdcConfig config = CdcConfig.builder().name("snapshot-bench-" + run).host(db.host()).port(db.port()).database(db.name())
                .user(db.user()).password(db.password()).tables("public.transactions").slotName(slot)
                .publicationName(PUBLICATION).property("publication.autocreate.mode", "disabled")
                .snapshotMode(SnapshotMode.INITIAL).build();
        long start;
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            start = System.nanoTime();
            engine.start();
            long deadline = System.nanoTime() + SNAPSHOT_TIMEOUT.toNanos();
            while (!done.await(20, TimeUnit.MILLISECONDS)) {
                if (engine.state().isTerminal()) {
                    throw new IllegalStateException("engine ended after " + read.get() + " rows: " + engine.failure());
                }
                if (System.nanoTime() > deadline) {
                    throw new IllegalStateException("snapshot not done within " + SNAPSHOT_TIMEOUT + ": " + read.get() + " of " + rows + " rows");
                }
            }
        }
        expect(rows, read.get(), "engine");
        dropSlot(db, slot);
        return rows / ((lastAt.get() - start) / 1e9);
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
        return Double.isNaN(rowsPerSecond) ? "not built yet" : String.format(Locale.ROOT, "%,.0f rows/s", rowsPerSecond);
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
