package io.pgcdc.bench;

import static io.pgcdc.bench.Figures.median;

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
import java.io.IOException;
import java.lang.management.GarbageCollectorMXBean;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.Supplier;
import java.util.function.UnaryOperator;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Streaming throughput of one WAL read by every variant in turn: one replication slot per variant, all at the
 * same LSN (the first created, the others copied from it with {@code pg_copy_logical_replication_slot}), then
 * N rows of the {@code transactions} table of {@code sql/} inserted once by the generator (COPY, 1,000 rows per
 * transaction, inserts only), then each slot drained until its variant has received N inserts. The variants:
 * {@code pg_recvlogical} with pgoutput to {@code /dev/null} (the ceiling, when installed); Debezium's embedded
 * engine with only the properties it needs to run; the same engine with the library's properties
 * ({@link CdcEngine#debeziumProperties}); the library, its listener only counting or also reading two columns.
 * Prints rows/s with ratios to {@code pg_recvlogical} and to stock Debezium, and checks that every variant
 * received exactly N inserts.
 *
 * <p>The cold round ({@code --rows}) drains each slot in a fresh JVM, as an application starting on a backlog: JIT
 * warm-up included, JVM start-up not (the clock starts when the engine does). The warm round ({@code --warm-rows})
 * drains in this JVM, after an untimed warm-up drain of a small slot per variant. {@code --ablation} instead runs a
 * warm round of the library with each of its Debezium defaults set back to Debezium's own value, one at a time.
 *
 * <p>The server is the test kit's, as for the other benchmarks: an embedded PostgreSQL 17, or the one
 * {@code PGCDC_TEST_JDBC_URL} names (see {@link TestPostgres}).
 *
 * <p>Run: {@code mvn -q -pl cdc-bench -am package -DskipTests && java -cp cdc-bench/target/pgcdc-bench.jar
 * io.pgcdc.bench.ThroughputBenchmark} (then again with {@code --ablation})
 */
@Command(name = "ThroughputBenchmark", mixinStandardHelpOptions = true,
        description = "Rows/s of streaming the same WAL: pg_recvlogical, raw Debezium (stock and with the library's properties)"
                + " and the library; cold (fresh JVM per variant) and warm (in this JVM), or an ablation of the library's defaults.")
public final class ThroughputBenchmark implements Callable<Integer> {

    private static final int ROWS_PER_TRANSACTION = 1_000;
    private static final long SEED = 7;
    private static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");
    private static final String TABLE = "public.transactions";
    private static final String PUBLICATION = "throughput_bench_pub";
    /** A variant that receives nothing new for this long has failed (or started past the slot's position). */
    private static final Duration STALL_TIMEOUT = Duration.ofSeconds(60);
    /** How long a variant keeps running after its N-th insert, untimed, to show it receives no more than N. */
    private static final Duration SETTLE = Duration.ofMillis(1_500);

    @Option(names = "--rows", defaultValue = "200000", description = "rows of the cold round (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--warm-rows", defaultValue = "1000000", description = "rows of the warm and ablation rounds (default: ${DEFAULT-VALUE})")
    int warmRows;

    @Option(names = "--warmup-rows", defaultValue = "100000",
            description = "rows of the untimed warm-up drain per variant before the warm or ablation rounds (default: ${DEFAULT-VALUE})")
    int warmupRows;

    @Option(names = "--runs", defaultValue = "1", description = "times each round is repeated; medians printed when more than one"
            + " (default: ${DEFAULT-VALUE})")
    int runs;

    @Option(names = "--ablation", description = "instead of the cold and warm rounds: a warm round of the library with each default"
            + " set back to Debezium's own value, one at a time")
    boolean ablation;

    @Option(names = "--measure", hidden = true, description = "internal: drain --slot with this variant once and print the result")
    Integer measure;

    @Option(names = "--database", hidden = true, description = "internal: the database the parent loaded")
    String database;

    @Option(names = "--slot", hidden = true, description = "internal: the slot to drain")
    String slot;

    @Option(names = "--end-lsn", hidden = true, description = "internal: the LSN after the load")
    String endLsn;

    /** What a variant drains: the round's database, the LSN after the load, the rows loaded. */
    private record Round(TestDatabase db, String endLsn, int rows) {
    }

    /** One way to drain a slot; returns what it measured. */
    @FunctionalInterface
    private interface Drain {
        Result drain(Round round, String slot) throws Exception;
    }

    /**
     * One drain: rows/s from the variant's start to its N-th insert and from its first insert to its N-th (NaN when
     * unknown), inserts received (-1 when not counted), peak RSS of the JVM that drained it in kB (-1 when not known).
     */
    private record Result(double fromStart, double afterFirstRow, long received, long peakRssKb) {
        static Result of(int rows, long start, long first, long last, long received) {
            return new Result(rows / ((last - start) / 1e9), (rows - 1) / ((last - first) / 1e9), received, -1);
        }

        Result withPeakRss(long kb) {
            return new Result(fromStart, afterFirstRow, received, kb);
        }
    }

    /**
     * A row of a table: a name, its drain, whether it runs in a JVM (and so can be forked), or why it is skipped
     * (then {@code drain} is null).
     */
    private record Variant(String name, Drain drain, boolean jvm, String skipped, boolean mayFail) {
        Variant(String name, Drain drain, boolean jvm, String skipped) {
            this(name, drain, jvm, skipped, false);
        }

        static Variant skipped(String name, String why) {
            return new Variant(name, null, false, why);
        }

        /** The same variant, but one whose failure (say Debezium rejecting the changed configuration) is a finding to print. */
        Variant allowingFailure() {
            return new Variant(name, drain, jvm, skipped, true);
        }
    }

    /** Index of {@code pg_recvlogical}, the first reference, in every list of variants. */
    private static final int RECV = 0;
    /** Index of stock Debezium, the second reference, in every list of variants. */
    private static final int STOCK = 1;

    public static void main(String[] args) {
        System.exit(new CommandLine(new ThroughputBenchmark()).execute(args));
    }

    /** The variants of the cold and warm rounds, references first. Add a variant here. */
    private static List<Variant> variants(Optional<Path> recvlogical) {
        return List.of(
                recvlogicalVariant(recvlogical),
                new Variant("raw Debezium embedded, stock properties", (round, slot) -> debezium(round, slot, stockProperties(round, slot),
                        "raw Debezium, stock"), true, null),
                new Variant("raw Debezium embedded, the library's properties",
                        (round, slot) -> debezium(round, slot, libraryProperties(round, slot), "raw Debezium, library's properties"), true, null),
                new Variant("library, listener only counts", (round, slot) -> library(round, slot, UnaryOperator.identity(), false), true, null),
                new Variant("library, listener reads two columns", (round, slot) -> library(round, slot, UnaryOperator.identity(), true), true,
                        null));
    }

    private static Variant recvlogicalVariant(Optional<Path> recvlogical) {
        String name = "pg_recvlogical, pgoutput to /dev/null";
        return recvlogical.<Variant>map(path -> new Variant(name, (round, slot) -> recvlogical(path, round, slot), false, null))
                .orElseGet(() -> Variant.skipped(name, "pg_recvlogical is not installed (neither in `pg_config --bindir` nor on PATH)"));
    }

    /**
     * The ablation: the references, the library as it is, then the library with one of its Debezium settings put
     * back to Debezium's own value per row, and all of those at once. The library's value is read from
     * {@link CdcEngine#debeziumProperties}, so the table says what was changed from what.
     */
    private static List<Variant> ablationVariants(Optional<Path> recvlogical) {
        Properties ours = CdcEngine.debeziumProperties(dummyConfig().build());
        List<Variant> variants = new ArrayList<>(variants(recvlogical).subList(0, 2));
        variants.add(new Variant("library, all defaults (listener only counts)",
                (round, slot) -> library(round, slot, UnaryOperator.identity(), false), true, null));
        List<UnaryOperator<CdcConfig.Builder>> accepted = new ArrayList<>();
        record Change(String key, String value, String how, boolean stock, UnaryOperator<CdcConfig.Builder> tweak) {
        }
        List<Change> changes = List.of(
                new Change("poll.interval.ms", "500", "pollInterval(500 ms)", true, b -> b.pollInterval(Duration.ofMillis(500))),
                new Change("offset.flush.interval.ms", "60000", "property", true, b -> b.property("offset.flush.interval.ms", "60000")),
                new Change("heartbeat.interval.ms", "0", "heartbeatInterval(ZERO)", true, b -> b.heartbeatInterval(Duration.ZERO)),
                // Debezium has no default for it (no column propagates); an empty list is the closest a property can say.
                new Change("column.propagate.source.type", "''", "property", true, b -> b.property("column.propagate.source.type", "")),
                new Change("provide.transaction.metadata", "false", "property", true, b -> b.property("provide.transaction.metadata", "false")),
                new Change("decimal.handling.mode", "precise", "property", true, b -> b.property("decimal.handling.mode", "precise")),
                new Change("include.unknown.datatypes", "false", "property", true, b -> b.property("include.unknown.datatypes", "false")),
                new Change("skipped.operations", "t", "property", true, b -> b.property("skipped.operations", "t")),
                // Not a default the library changes: a larger batch than Debezium's, which wants its queue larger than a batch.
                new Change("max.batch.size", "8192", "property, with max.queue.size 8192 -> 16384", false,
                        b -> b.property("max.batch.size", "8192").property("max.queue.size", "16384")),
                // Not a default the library changes: Debezium hands every record to a thread pool (a new thread per
                // record when idle, its default) before the batch reaches the handler; one thread instead.
                new Change("record.processing.threads", "1", "property", false, b -> b.property("record.processing.threads", "1")));
        for (Change change : changes) {
            String from = ours.getProperty(change.key(), "unset (Debezium's " + debeziumDefault(change.key()) + ")");
            String name = "library, " + change.key() + " " + from + " -> " + change.value() + " (" + change.how() + ")";
            try {
                change.tweak().apply(dummyConfig()).build();
            } catch (IllegalArgumentException e) {
                variants.add(Variant.skipped(name, "the builder refuses it: " + e.getMessage()));
                continue;
            }
            if (change.stock()) {
                accepted.add(change.tweak());
            }
            variants.add(new Variant(name, (round, slot) -> library(round, slot, change.tweak(), false), true, null).allowingFailure());
        }
        UnaryOperator<CdcConfig.Builder> all = b -> {
            for (UnaryOperator<CdcConfig.Builder> tweak : accepted) {
                tweak.apply(b);
            }
            return b;
        };
        variants.add(new Variant("library, every accepted Debezium value above at once (batch size left alone)",
                (round, slot) -> library(round, slot, all, false), true, null).allowingFailure());
        return variants;
    }

    /** Debezium's value for a key the library does not set, for the ablation's labels. */
    private static String debeziumDefault(String key) {
        return "max.batch.size".equals(key) ? "2048" : "record.processing.threads".equals(key) ? "a cached thread pool" : "default";
    }

    @Override
    public Integer call() throws Exception {
        if (measure != null) {
            return child();
        }
        Optional<Path> recvlogical = findRecvLogical();
        TestPostgres pg = TestPostgres.shared();
        try {
            printSetup(pg, recvlogical);
            if (ablation) {
                List<Variant> variants = warmUp(pg, ablationVariants(recvlogical));
                List<Result[]> results = new ArrayList<>();
                for (int run = 1; run <= runs; run++) {
                    results.add(round(pg, "ablation", run, variants, warmRows, false));
                }
                printMedians("ablation, warm", variants, results);
            } else {
                List<Variant> variants = variants(recvlogical);
                List<Result[]> cold = new ArrayList<>();
                for (int run = 1; run <= runs; run++) {
                    cold.add(round(pg, "cold", run, variants, rows, true));
                }
                printMedians("cold", variants, cold);
                variants = warmUp(pg, variants);
                List<Result[]> warm = new ArrayList<>();
                for (int run = 1; run <= runs; run++) {
                    warm.add(round(pg, "warm", run, variants, warmRows, false));
                }
                printMedians("warm", variants, warm);
            }
            System.out.printf(Locale.ROOT, "peak RSS of this (parent) JVM: %s (VmHWM)%n", megabytes(peakRssKb()));
        } finally {
            pg.close();
        }
        return 0;
    }

    /** A child: the parent's server ({@code PGCDC_TEST_JDBC_URL}) and database, one drain, its result on stdout. */
    private int child() throws Exception {
        TestPostgres server = TestPostgres.fromEnvironment();
        try (TestDatabase db = server.attach(database)) {
            Result r = variants(Optional.empty()).get(measure).drain().drain(new Round(db, endLsn, rows), slot);
            ChildMeasurement.print(r.fromStart(), r.afterFirstRow(), r.received(), peakRssKb());
        } finally {
            server.close();
        }
        return 0;
    }

    private void printSetup(TestPostgres pg, Optional<Path> recvlogical) {
        System.out.printf(Locale.ROOT, "PostgreSQL %d, Java %s, %d cores; rows inserted by the generator's COPY, %,d rows per transaction,"
                        + " inserts only; one slot per variant, all at one LSN%n", pg.versionNumber(), System.getProperty("java.vm.version"),
                Runtime.getRuntime().availableProcessors(), ROWS_PER_TRANSACTION);
        System.out.printf(Locale.ROOT, "JVM options: %s (max heap %,d MB, GC %s)%s%n", ChildMeasurement.jvmOptions().isEmpty() ? "none" : String.join(" ", ChildMeasurement.jvmOptions()),
                Runtime.getRuntime().maxMemory() >> 20,
                ManagementFactory.getGarbageCollectorMXBeans().stream().map(GarbageCollectorMXBean::getName).collect(Collectors.joining(", ")),
                ablation ? "" : "; the cold round's child JVMs get the same options");
        System.out.println(recvlogical.map(p -> "pg_recvlogical: " + p + " (" + version(p) + ")")
                .orElse("pg_recvlogical is not installed (neither in `pg_config --bindir` nor on PATH): its row is skipped"));
        System.out.printf(Locale.ROOT, "every JVM variant must receive exactly N inserts (counted, then %.1f s more, untimed, without another);"
                + " pg_recvlogical's output goes to /dev/null, so it is checked by reaching the end LSN instead%n", SETTLE.toMillis() / 1e3);
        if (ablation) {
            System.out.println("ablation: the library (listener only counts) with one Debezium setting changed per row, from the value the"
                    + " library gives (CdcEngine.debeziumProperties) to Debezium's own. Not ablated: the library's converter (always first in"
                    + " 'converters', cannot be removed), hstore/interval handling (no such columns here), retry and slot-retry settings"
                    + " (act only on errors)");
        }
        System.out.println();
    }

    /**
     * One round: a fresh database, one slot per variant at one LSN, {@code n} rows loaded, each slot drained in
     * turn (forked: each in a fresh JVM) and dropped; prints the round's table and returns its results (null for a
     * skipped variant).
     */
    private Result[] round(TestPostgres pg, String kind, int run, List<Variant> variants, int n, boolean forked) throws Exception {
        Result[] results = new Result[variants.size()];
        String[] failures = new String[variants.size()];
        try (TestDatabase db = pg.createDatabase("throughput_" + kind)) {
            String[] slots = prepare(db, variants.size(), n, kind + (runs > 1 ? " run " + run : ""));
            Round round = new Round(db, currentLsn(db), n);
            System.out.printf(Locale.ROOT, "  end LSN %s, %,.1f MB of WAL from the slots' LSN%n", round.endLsn(),
                    db.queryLong("SELECT pg_wal_lsn_diff('" + round.endLsn() + "', confirmed_flush_lsn) FROM pg_replication_slots"
                            + " WHERE slot_name = '" + slots[0] + "'") / 1e6);
            long checkpointsBefore = checkpoints(db);
            for (int v = 0; v < variants.size(); v++) {
                Variant variant = variants.get(v);
                if (variant.skipped() == null) {
                    System.err.printf(Locale.ROOT, "[%s] draining %,d rows: %s%n", kind, n, variant.name());
                    try {
                        results[v] = forked && variant.jvm() ? forked(pg, db, round, v, slots[v]) : variant.drain().drain(round, slots[v]);
                    } catch (RuntimeException e) {
                        if (!variant.mayFail()) {
                            throw e;
                        }
                        failures[v] = e.getMessage();
                    }
                }
                dropSlot(db, slots[v]);
            }
            System.out.printf(Locale.ROOT, "  checkpoints while the slots were drained: %d%n", checkpoints(db) - checkpointsBefore);
        }
        printTable(kind + (runs > 1 ? ", run " + run : "") + ", " + String.format(Locale.ROOT, "%,d rows", n)
                + (forked ? ", each JVM variant in a fresh JVM, timed from its engine's start (JVM start-up excluded, JIT warm-up included)"
                : ", in this JVM after the warm-up"), variants, results, failures, forked);
        if (!forked) {
            System.out.printf(Locale.ROOT, "  peak RSS of this JVM so far: %s%n", megabytes(peakRssKb()));
        }
        System.out.println();
        return results;
    }

    /**
     * The untimed warm-up of the warm and ablation rounds: a small slot drained by each JVM variant in this JVM.
     * Returns the variants, those that may fail and did replaced by a skipped one that says why.
     */
    private List<Variant> warmUp(TestPostgres pg, List<Variant> variants) throws Exception {
        long start = System.nanoTime();
        List<Variant> kept = new ArrayList<>(variants);
        try (TestDatabase db = pg.createDatabase("throughput_warmup")) {
            String[] slots = prepare(db, variants.size(), warmupRows, "warm-up");
            Round round = new Round(db, currentLsn(db), warmupRows);
            for (int v = 0; v < variants.size(); v++) {
                Variant variant = variants.get(v);
                if (variant.skipped() == null && variant.jvm()) {
                    System.err.printf(Locale.ROOT, "[warm-up] draining %,d rows: %s%n", warmupRows, variant.name());
                    try {
                        variant.drain().drain(round, slots[v]);
                    } catch (RuntimeException e) {
                        if (!variant.mayFail()) {
                            throw e;
                        }
                        kept.set(v, Variant.skipped(variant.name(), "failed in the warm-up: " + e.getMessage()));
                    }
                }
                dropSlot(db, slots[v]);
            }
        }
        System.out.printf(Locale.ROOT, "  warm-up: each JVM variant drained its own %,d-row slot in this JVM, untimed (%.0f s in all)%n%n",
                warmupRows, (System.nanoTime() - start) / 1e9);
        return kept;
    }

    /**
     * Creates the table (autovacuum off, so that no vacuum competes with the drains) and the publication, one slot
     * per variant at one LSN, then loads {@code n} rows; returns the slot names.
     */
    private static String[] prepare(TestDatabase db, int count, int n, String label) throws Exception {
        db.execute(Schema.script("010_transactions.sql"), "ALTER TABLE " + TABLE + " SET (autovacuum_enabled = false)",
                "CREATE PUBLICATION " + PUBLICATION + " FOR TABLE " + TABLE);
        String[] slots = new String[count];
        for (int i = 0; i < count; i++) {
            slots[i] = db.name() + "_v" + i;
        }
        try (Connection c = db.connect();
             PreparedStatement create = c.prepareStatement("SELECT pg_create_logical_replication_slot(?, 'pgoutput')");
             PreparedStatement copy = c.prepareStatement("SELECT pg_copy_logical_replication_slot(?, ?)");
             PreparedStatement check = c.prepareStatement("SELECT count(*), count(DISTINCT confirmed_flush_lsn) FROM pg_replication_slots"
                     + " WHERE slot_name = ANY (?)")) {
            // Copies start exactly where the first slot does: the same LSN for every variant, nothing written in between.
            create.setString(1, slots[0]);
            create.execute();
            for (int i = 1; i < count; i++) {
                copy.setString(1, slots[0]);
                copy.setString(2, slots[i]);
                copy.execute();
            }
            check.setArray(1, c.createArrayOf("text", slots));
            try (ResultSet rs = check.executeQuery()) {
                rs.next();
                if (rs.getLong(1) != count || rs.getLong(2) != 1) {
                    throw new IllegalStateException("the " + count + " slots do not all start at one LSN");
                }
            }
        }
        GeneratorReport load = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build()
                .run(Workload.builder().mix(100, 0, 0).count(n).rowsPerTransaction(ROWS_PER_TRANSACTION).seed(SEED)
                        .timestamps(FROM, Duration.ofDays(1)).insertMethod(Workload.InsertMethod.COPY).trackIds(false).build());
        long loaded = db.queryLong("SELECT count(*) FROM " + TABLE);
        expect(n, loaded, "the load (rows in the table)");
        // The checkpoint the load's WAL asks for would otherwise run during the first drain, pg_recvlogical's.
        db.execute("CHECKPOINT");
        String lsn;
        try (Connection c = db.connect();
             PreparedStatement q = c.prepareStatement("SELECT confirmed_flush_lsn FROM pg_replication_slots WHERE slot_name = ?")) {
            q.setString(1, slots[0]);
            try (ResultSet rs = q.executeQuery()) {
                rs.next();
                lsn = rs.getString(1);
            }
        }
        System.out.printf(Locale.ROOT, "%s: %d slots at LSN %s, then %,d rows loaded at %,.0f rows/s (%,d transactions), then CHECKPOINT%n",
                label, count,
                lsn, loaded, load.changesPerSecond(), load.transactions());
        return slots;
    }

    /** Drains one slot with one variant in a fresh JVM with this JVM's options, against the same server and database. */
    private Result forked(TestPostgres pg, TestDatabase db, Round round, int variant, String slotName) throws Exception {
        double[] r = ChildMeasurement.run(pg, ThroughputBenchmark.class, ChildMeasurement.jvmOptions(), List.of(
                "--measure", Integer.toString(variant), "--database", db.name(), "--slot", slotName, "--end-lsn", round.endLsn(),
                "--rows", Integer.toString(round.rows())));
        return new Result(r[0], r[1], (long) r[2], (long) r[3]);
    }

    /**
     * {@code pg_recvlogical} with pgoutput into {@code /dev/null} until the end LSN, timed from its start until it
     * exits; checked by its exit code and its slot's confirmed position, since it counts nothing.
     */
    private static Result recvlogical(Path executable, Round round, String slot) throws Exception {
        TestDatabase db = round.db();
        String conninfo = "host=" + db.host() + " port=" + db.port() + " dbname=" + db.name() + " user=" + db.user();
        ProcessBuilder builder = new ProcessBuilder(executable.toString(), "-d", conninfo, "--slot", slot, "--start",
                "-o", "proto_version=1", "-o", "publication_names=" + PUBLICATION, "-f", "/dev/null", "--endpos", round.endLsn())
                .redirectErrorStream(true).redirectOutput(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("PGPASSWORD", db.password());
        long start = System.nanoTime();
        Process process = builder.start();
        if (!process.waitFor(10, TimeUnit.MINUTES)) {
            process.destroyForcibly();
            throw new IllegalStateException("pg_recvlogical did not reach " + round.endLsn() + " within 10 minutes");
        }
        long end = System.nanoTime();
        if (process.exitValue() != 0) {
            throw new IllegalStateException("pg_recvlogical exited with " + process.exitValue());
        }
        awaitInactive(db, slot);
        if (db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND confirmed_flush_lsn >= '"
                + round.endLsn() + "'") != 1) {
            throw new IllegalStateException("pg_recvlogical exited but its slot was not confirmed up to " + round.endLsn());
        }
        return new Result(round.rows() / ((end - start) / 1e9), Double.NaN, -1, -1);
    }

    /**
     * Debezium's embedded engine alone (Connect format, a record consumer), timed from handing it to its thread until
     * the consumer has counted the N-th record with {@code op=c}.
     */
    private static Result debezium(Round round, String slot, Properties properties, String label) throws Exception {
        int n = round.rows();
        Tally tally = new Tally(n);
        long start = System.nanoTime();
        RawDebezium.run(properties, "c", value -> tally.count(), "throughput-bench-debezium", ended -> {
            tally.await(ended, label);
            Thread.sleep(SETTLE.toMillis());
        });
        long count = tally.received.get();
        expect(n, count, label);
        return tally.result(start, count);
    }

    /**
     * The library with {@link SnapshotMode#NONE} and memory offsets ({@code tweak} may change its configuration),
     * timed from {@code start()} until the listener has seen the N-th insert, reading two columns of each when
     * {@code readColumns}.
     */
    private static Result library(Round round, String slot, UnaryOperator<CdcConfig.Builder> tweak, boolean readColumns) throws Exception {
        int n = round.rows();
        Tally tally = new Tally(n);
        long[] sink = new long[1];
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) {
                if (readColumns) {
                    Row row = event.after();
                    sink[0] += row.getString("transaction_id").length() + row.getDecimal("amount").scale();
                }
                tally.count();
            }
        };
        String label = readColumns ? "library, reading two columns" : "library";
        CdcConfig config = tweak.apply(libraryConfig(round, slot)).build();
        long start;
        long count;
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            start = System.nanoTime();
            engine.start();
            tally.await(() -> engine.state().isTerminal() ? engine.state() + ": " + engine.failure().map(Throwable::toString).orElse("")
                    : null, label);
            Thread.sleep(SETTLE.toMillis());
            count = tally.received.get();
        }
        expect(n, count, label);
        return tally.result(start, count);
    }

    /** The library's configuration of a variant: the round's slot, the publication made beforehand, no snapshot, memory offsets. */
    private static CdcConfig.Builder libraryConfig(Round round, String slot) {
        TestDatabase db = round.db();
        return CdcConfig.builder().name(slot).host(db.host()).port(db.port()).database(db.name()).user(db.user()).password(db.password())
                .tables(TABLE).slotName(slot).publicationName(PUBLICATION).property("publication.autocreate.mode", "disabled")
                .snapshotMode(SnapshotMode.NONE);
    }

    /** A configuration that builds, to see which changes the builder accepts and what the library sets. */
    private static CdcConfig.Builder dummyConfig() {
        return CdcConfig.builder().database("d").user("u").tables(TABLE).snapshotMode(SnapshotMode.NONE);
    }

    /** The properties Debezium needs to run and nothing else: its stock behaviour. */
    private static Properties stockProperties(Round round, String slot) {
        TestDatabase db = round.db();
        Properties p = new Properties();
        p.setProperty("name", slot);
        p.setProperty("connector.class", "io.debezium.connector.postgresql.PostgresConnector");
        p.setProperty("database.hostname", db.host());
        p.setProperty("database.port", Integer.toString(db.port()));
        p.setProperty("database.user", db.user());
        p.setProperty("database.password", db.password());
        p.setProperty("database.dbname", db.name());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", slot);
        p.setProperty("publication.name", PUBLICATION);
        p.setProperty("publication.autocreate.mode", "disabled");
        p.setProperty("table.include.list", "public\\.transactions");
        p.setProperty("snapshot.mode", "no_data");
        p.setProperty("topic.prefix", slot);
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        return p;
    }

    /** Exactly what the library gives Debezium, but Kafka Connect's memory offset store: the library's stores need the engine around them. */
    private static Properties libraryProperties(Round round, String slot) {
        Properties p = new Properties();
        p.putAll(CdcEngine.debeziumProperties(libraryConfig(round, slot).build()));
        p.stringPropertyNames().stream().filter(k -> k.startsWith("offset.storage")).forEach(p::remove);
        p.setProperty("offset.storage", "org.apache.kafka.connect.storage.MemoryOffsetBackingStore");
        return p;
    }

    /** Counts the inserts a variant's consumer sees, and when the first and the N-th arrived. */
    private static final class Tally {
        final int n;
        final AtomicLong received = new AtomicLong();
        final AtomicLong firstAt = new AtomicLong();
        final AtomicLong lastAt = new AtomicLong();
        final CountDownLatch done = new CountDownLatch(1);

        Tally(int n) {
            this.n = n;
        }

        /** One insert seen, on the consumer's thread. */
        void count() {
            long count = received.incrementAndGet();
            if (count == 1) {
                firstAt.set(System.nanoTime());
            }
            if (count == n) {
                lastAt.set(System.nanoTime());
                done.countDown();
            }
        }

        /**
         * Waits for the N-th insert; fails when the engine ended first ({@code ended} says why, or gives null while it
         * runs) or when nothing new arrived for {@link #STALL_TIMEOUT}.
         */
        void await(Supplier<String> ended, String label) throws InterruptedException {
            long seen = -1;
            long progressAt = System.nanoTime();
            while (!done.await(20, TimeUnit.MILLISECONDS)) {
                String reason = ended.get();
                if (reason != null) {
                    throw new IllegalStateException(label + ": engine ended after " + received.get() + " of " + n + " inserts: " + reason);
                }
                long count = received.get();
                if (count != seen) {
                    seen = count;
                    progressAt = System.nanoTime();
                } else if (System.nanoTime() - progressAt > STALL_TIMEOUT.toNanos()) {
                    throw new IllegalStateException(label + " received " + count + " of " + n + " inserts and nothing more for "
                            + STALL_TIMEOUT + (count == 0 ? ": did it start at the current WAL position instead of the slot's?" : ""));
                }
            }
        }

        Result result(long start, long count) {
            return Result.of(n, start, firstAt.get(), lastAt.get(), count);
        }
    }

    /** Checkpoints the server has made so far (timed and requested). */
    private static long checkpoints(TestDatabase db) {
        return db.queryLong(db.server().versionNumber() >= 170000 ? "SELECT num_timed + num_requested FROM pg_stat_checkpointer"
                : "SELECT checkpoints_timed + checkpoints_req FROM pg_stat_bgwriter");
    }

    private static String currentLsn(TestDatabase db) throws Exception {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT pg_current_wal_lsn()")) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Waits until the slot's walsender has gone, which may be a moment after its consumer stopped. */
    private static void awaitInactive(TestDatabase db, String slot) throws InterruptedException {
        long deadline = System.nanoTime() + TimeUnit.SECONDS.toNanos(30);
        while (db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + slot + "' AND active") > 0) {
            if (System.nanoTime() > deadline) {
                throw new IllegalStateException("slot '" + slot + "' still active 30 s after its consumer stopped");
            }
            Thread.sleep(50);
        }
    }

    private static void dropSlot(TestDatabase db, String slot) throws InterruptedException {
        awaitInactive(db, slot);
        db.execute("SELECT pg_drop_replication_slot('" + slot + "')");
    }

    private void printTable(String title, List<Variant> variants, Result[] results, String[] failures, boolean rss) {
        int width = nameWidth(variants);
        String format = "%-" + width + "s %14s %7s %7s %16s %7s %9s%n";
        System.out.println(title);
        System.out.printf(Locale.ROOT, format, "variant", "rows/s", "x recv", "x Dbz", "after 1st row", "x Dbz", rss ? "peak RSS" : "");
        for (int v = 0; v < variants.size(); v++) {
            Variant variant = variants.get(v);
            Result r = results[v];
            if (r == null) {
                System.out.printf(Locale.ROOT, "%-" + width + "s %s%n", variant.name(),
                        variant.skipped() != null ? "skipped: " + variant.skipped() : "failed: " + failures[v]);
                continue;
            }
            Result recv = results[RECV];
            Result stock = results[STOCK];
            System.out.printf(Locale.ROOT, format, variant.name(), rate(r.fromStart()),
                    recv == null ? "-" : ratio(r.fromStart() / recv.fromStart()), ratio(r.fromStart() / stock.fromStart()),
                    rate(r.afterFirstRow()), ratio(r.afterFirstRow() / stock.afterFirstRow()), rss ? megabytes(r.peakRssKb()) : "");
        }
    }

    /** Medians over the runs of a round, each ratio the median of the runs' ratios to the same run's reference. */
    private void printMedians(String kind, List<Variant> variants, List<Result[]> results) {
        if (results.size() < 2) {
            return;
        }
        String format = "%-" + nameWidth(variants) + "s %14s %7s %7s %16s %7s%n";
        System.out.printf(Locale.ROOT, "%s, median of %d runs%n", kind, results.size());
        System.out.printf(Locale.ROOT, format, "variant", "rows/s", "x recv", "x Dbz", "after 1st row", "x Dbz");
        for (int v = 0; v < variants.size(); v++) {
            int i = v;
            if (results.stream().anyMatch(r -> r[i] == null)) {
                continue;
            }
            double[] rates = results.stream().mapToDouble(r -> r[i].fromStart()).toArray();
            double[] steady = results.stream().mapToDouble(r -> r[i].afterFirstRow()).toArray();
            double[] xRecv = results.stream().filter(r -> r[RECV] != null).mapToDouble(r -> r[i].fromStart() / r[RECV].fromStart()).toArray();
            double[] xStock = results.stream().mapToDouble(r -> r[i].fromStart() / r[STOCK].fromStart()).toArray();
            double[] xStockSteady = results.stream().mapToDouble(r -> r[i].afterFirstRow() / r[STOCK].afterFirstRow()).toArray();
            System.out.printf(Locale.ROOT, format, variants.get(v).name(), rate(median(rates)), xRecv.length == 0 ? "-" : ratio(median(xRecv)),
                    ratio(median(xStock)), rate(median(steady)), ratio(median(xStockSteady)));
        }
        System.out.println();
    }

    private static int nameWidth(List<Variant> variants) {
        return variants.stream().mapToInt(v -> v.name().length()).max().orElse(10);
    }

    /** {@code pg_recvlogical} from {@code pg_config --bindir}, else from PATH. */
    private static Optional<Path> findRecvLogical() {
        try {
            Process p = new ProcessBuilder("pg_config", "--bindir").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            if (p.waitFor() == 0) {
                Path candidate = Path.of(out, "pg_recvlogical");
                if (Files.isExecutable(candidate)) {
                    return Optional.of(candidate);
                }
            }
        } catch (IOException e) {
            // No pg_config: look on PATH.
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        String path = System.getenv("PATH");
        if (path == null) {
            return Optional.empty();
        }
        return Arrays.stream(path.split(java.io.File.pathSeparator)).filter(d -> !d.isEmpty()).map(d -> Path.of(d, "pg_recvlogical"))
                .filter(Files::isExecutable).findFirst();
    }

    private static String version(Path executable) {
        try {
            Process p = new ProcessBuilder(executable.toString(), "--version").redirectErrorStream(true).start();
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8).trim();
            p.waitFor();
            return out;
        } catch (IOException e) {
            return "version unknown: " + e.getMessage();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return "version unknown";
        }
    }

    /** This process's peak resident set size in kB ({@code VmHWM} of {@code /proc/self/status}); -1 where there is none. */
    private static long peakRssKb() {
        try {
            for (String line : Files.readAllLines(Path.of("/proc/self/status"))) {
                if (line.startsWith("VmHWM:")) {
                    return Long.parseLong(line.substring("VmHWM:".length()).replace("kB", "").trim());
                }
            }
        } catch (IOException | NumberFormatException e) {
            return -1;
        }
        return -1;
    }

    private static void expect(long expected, long actual, String variant) {
        if (actual != expected) {
            throw new IllegalStateException(variant + " received " + actual + " inserts, expected " + expected);
        }
    }

    private static String megabytes(long kb) {
        return kb < 0 ? "-" : String.format(Locale.ROOT, "%,d MB", kb / 1024);
    }

    private static String rate(double rowsPerSecond) {
        return Double.isNaN(rowsPerSecond) ? "-" : String.format(Locale.ROOT, "%,.0f", rowsPerSecond);
    }

    private static String ratio(double ratio) {
        return Double.isNaN(ratio) ? "-" : String.format(Locale.ROOT, "%.3f", ratio);
    }
}
