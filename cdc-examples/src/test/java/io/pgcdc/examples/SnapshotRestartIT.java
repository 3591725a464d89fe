package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.cfg.JsonNodeFeature;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pgcdc.generator.ChangeKind;
import io.pgcdc.generator.Schema;
import io.pgcdc.generator.Transaction;
import io.pgcdc.generator.TransactionFaker;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.BufferedReader;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.concurrent.locks.LockSupport;
import java.util.function.BooleanSupplier;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The initial snapshot of a 200,000-row table while a writer updates, deletes and inserts rows: the {@code Tail}
 * example in a child JVM with an offsets file, its stdout in a file per run. The table is rebuilt from every line
 * Tail printed, in order, the way a sink applies events (snapshot reads, inserts and updates as upserts of the
 * {@code after} image by key, deletes remove the key, a truncate clears), and compared with the table itself.
 * {@code -Dpgcdc.snapshot.seed=N} repeats a run's writer choices.
 */
@ExtendWith(PostgresExtension.class)
class SnapshotRestartIT {

    private static final int PRELOADED = 200_000;
    /** Where the consumer is killed, as a share of the preloaded rows printed as snapshot rows by the current run. */
    private static final double[] KILL_POINTS = {0.05, 0.50, 0.95};
    private static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");
    private static final Duration SNAPSHOT_TIMEOUT = Duration.ofMinutes(4);
    /** How many differing keys a failure message names. */
    private static final int SHOWN = 5;
    /** Separates the columns of a normalised row; appears in no value the writer or the generator writes. */
    private static final String SEP = "\u001f";
    /** Exact decimals: {@code 982.40} stays {@code 982.40}, as PostgreSQL prints it. */
    private static final ObjectMapper JSON = JsonMapper.builder().enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .disable(JsonNodeFeature.STRIP_TRAILING_BIGDECIMAL_ZEROES).build();

    @Test
    void crashDuringSnapshotLosesNothingAndKeepsNoDeletedRow(TestDatabase db, @TempDir Path dir) throws Exception {
        long seed = Long.getLong("pgcdc.snapshot.seed", System.nanoTime());
        long started = System.nanoTime();
        List<String> preloaded = preload(db, seed);
        List<TailRun> runs = new ArrayList<>();
        List<String> kills = new ArrayList<>();
        double preloadSeconds = (System.nanoTime() - started) / 1e9;
        double lastSnapshotSeconds;
        Writer writer = Writer.start(db, preloaded, 700, seed);
        try {
            // Committed before the first run starts: the writer runs through every snapshot.
            awaitWriter(writer, 200);
            for (double point : KILL_POINTS) {
                TailRun run = TailRun.start(db, dir, runs.size() + 1);
                runs.add(run);
                long target = (long) (PRELOADED * point);
                run.waitUntil("" + target + " snapshot rows", () -> run.snapshotRows() >= target || run.streamedRows() > 0);
                run.kill();
                long tableRows = db.queryLong("SELECT count(*) FROM transactions");
                kills.add(String.format(Locale.ROOT, "run %d killed at %.0f%% after %.1f s: %,d snapshot rows and %,d changes printed,"
                        + " table %,d rows", run.index, point * 100, run.seconds(), run.snapshotRows(), run.streamedRows(), tableRows));
                // Premise: the kill came during the snapshot.
                assertThat(run.snapshotRows()).as("snapshot rows printed by run %d before its kill (table %,d rows)", run.index, tableRows)
                        .isPositive().isLessThan(tableRows);
                assertThat(run.streamedRows()).as("changes streamed by run %d before its kill: it was meant to die inside the snapshot",
                        run.index).isZero();
            }
            TailRun last = TailRun.start(db, dir, runs.size() + 1);
            runs.add(last);
            last.waitUntil("the end of the snapshot (its first streamed change)", () -> last.streamedRows() > 0);
            lastSnapshotSeconds = last.seconds();
            // Some streaming while the writer still writes, then a quiet end.
            long afterSnapshot = writer.committed();
            awaitWriter(writer, afterSnapshot + 1_000);
            writer.stop();
            finish(db, last);
        } finally {
            writer.close();
            runs.forEach(TailRun::close);
        }

        long comparing = System.nanoTime();
        Diff diff = compare(db, runs);
        TailRun last = runs.get(runs.size() - 1);
        String summary = String.format(Locale.ROOT, "snapshot restart (seed %d, %.0f s; preload %.1f s, compare %.1f s): %s; run %d: %,d"
                        + " snapshot rows in %.1f s, then %,d changes; writer: %s; %s", seed, (System.nanoTime() - started) / 1e9, preloadSeconds,
                (System.nanoTime() - comparing) / 1e9, String.join("; ", kills), last.index, last.snapshotRows(), lastSnapshotSeconds,
                last.streamedRows(), writer, diff.describe(writer, last));
        System.out.println(summary);
        assertThat(writer.deletedPreloaded().size()).as("preloaded rows the writer deleted during the test").isGreaterThan(1_000);
        assertDiff(diff, summary);
    }

    @Test
    void snapshotUnderConcurrentWritesEqualsTheFinalTable(TestDatabase db, @TempDir Path dir) throws Exception {
        long seed = Long.getLong("pgcdc.snapshot.seed", System.nanoTime());
        long started = System.nanoTime();
        List<String> preloaded = preload(db, seed);
        List<TailRun> runs = new ArrayList<>();
        Writer writer = Writer.start(db, preloaded, 1_000, seed);
        long beforeStart;
        long atFirstRow;
        long atSnapshotEnd;
        long snapshotNanos;
        try {
            awaitWriter(writer, 500);
            beforeStart = writer.committed();
            TailRun run = TailRun.start(db, dir, 1);
            runs.add(run);
            run.waitUntil("the first snapshot row", () -> run.snapshotRows() > 0);
            atFirstRow = writer.committed();
            long firstRowAt = System.nanoTime();
            run.waitUntil("the end of the snapshot (its first streamed change)", () -> run.streamedRows() > 0);
            atSnapshotEnd = writer.committed();
            snapshotNanos = System.nanoTime() - firstRowAt;
            awaitWriter(writer, atSnapshotEnd + 1_000);
            writer.stop();
            finish(db, run);
        } finally {
            writer.close();
            runs.forEach(TailRun::close);
        }

        Diff diff = compare(db, runs);
        long duringSnapshot = atSnapshotEnd - atFirstRow;
        String summary = String.format(Locale.ROOT, "snapshot under writes (seed %d, %.0f s): %,d snapshot rows in %.1f s, %,d changes"
                        + " printed; writer: %,d changes committed before Tail started, %,d during the snapshot (%.0f/s), %,d after it;"
                        + " %s; %s", seed, (System.nanoTime() - started) / 1e9, runs.get(0).snapshotRows(), snapshotNanos / 1e9,
                runs.get(0).streamedRows(), beforeStart, duringSnapshot, duringSnapshot / (snapshotNanos / 1e9),
                writer.committed() - atSnapshotEnd, writer, diff.describe(writer, runs.get(runs.size() - 1)));
        System.out.println(summary);
        // Premise: the writer committed before the first snapshot row, all through the snapshot, and after its last row.
        assertThat(beforeStart).as("changes committed before Tail started").isPositive();
        assertThat(duringSnapshot).as("changes committed between the first snapshot row and the end of the snapshot (%.1f s)",
                snapshotNanos / 1e9).isGreaterThan((long) (snapshotNanos / 1e9 * 100));
        assertThat(writer.committed() - atSnapshotEnd).as("changes committed after the end of the snapshot").isPositive();
        assertThat(writer.deletedPreloaded().size()).as("preloaded rows the writer deleted").isPositive();
        assertDiff(diff, summary);
        assertThat(java.nio.file.Files.readString(runs.get(0).err)).as("Tail reports the snapshot's end on stderr")
                .contains(String.format(Locale.ROOT, "snapshot done: %,d rows", runs.get(0).snapshotRows()));
    }

    /** The {@code sql/} schema and {@link #PRELOADED} generated rows, by the generator's COPY path; returns their keys. */
    private static List<String> preload(TestDatabase db, long seed) throws SQLException {
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        List<String> ids = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build()
                .run(Workload.builder().mix(100, 0, 0).count(PRELOADED).rowsPerTransaction(5_000).seed(seed)
                        .timestamps(FROM, Duration.ofDays(1)).insertMethod(Workload.InsertMethod.COPY).build())
                .ids(ChangeKind.INSERT);
        db.execute("VACUUM ANALYZE transactions");
        assertThat(db.queryLong("SELECT count(*) FROM transactions")).as("preloaded rows").isEqualTo(PRELOADED);
        return ids;
    }

    /** After the writer stopped: one last change, and once Tail printed it, a graceful stop (SIGTERM, exit 0). */
    private static void finish(TestDatabase db, TailRun run) throws Exception {
        String marker = "marker-" + UUID.randomUUID();
        db.execute("INSERT INTO transactions (transaction_id, amount) VALUES ('" + marker + "', 1)");
        run.waitUntil("the last change, " + marker, () -> run.lastLine().contains(marker));
        assertThat(run.terminate()).as("Tail's exit code after SIGTERM; stderr:%n%s", run.stderrTail()).isZero();
    }

    private static void awaitWriter(Writer writer, long committed) {
        await().atMost(Duration.ofMinutes(2)).pollInterval(Duration.ofMillis(20)).until(() -> {
            writer.check();
            return writer.committed() >= committed;
        });
    }

    private static void assertDiff(Diff diff, String summary) {
        assertThat(diff.missing.size()).as("rows of the table missing from the rebuilt table: %s", summary).isZero();
        assertThat(diff.extra.size()).as("rows of the rebuilt table that the table does not have: %s", summary).isZero();
        assertThat(diff.differing.size()).as("rows whose values differ: %s", summary).isZero();
    }

    /**
     * Rebuilds the table from every run's output, in order, and compares it row by row with
     * {@code SELECT * FROM transactions}, every column as text.
     */
    private static Diff compare(TestDatabase db, List<TailRun> runs) throws SQLException, IOException {
        Diff diff = new Diff();
        try (Connection c = db.connect()) {
            c.setAutoCommit(false);
            try (Statement s = c.createStatement()) {
                s.setFetchSize(5_000);
                try (ResultSet rs = s.executeQuery("SELECT * FROM transactions")) {
                    ResultSetMetaData md = rs.getMetaData();
                    List<String> columns = new ArrayList<>();
                    for (int i = 1; i <= md.getColumnCount(); i++) {
                        columns.add(md.getColumnName(i));
                    }
                    Map<String, Applied> rebuilt = rebuild(runs, columns, diff);
                    diff.rebuiltRows = rebuilt.size();
                    while (rs.next()) {
                        diff.tableRows++;
                        String[] values = new String[columns.size()];
                        for (int i = 1; i <= values.length; i++) {
                            values[i - 1] = text(rs, i, md.getColumnTypeName(i));
                        }
                        String key = rs.getString("transaction_id");
                        String row = String.join(SEP, values);
                        Applied fromOutput = rebuilt.remove(key);
                        if (fromOutput == null) {
                            diff.missing.add(key);
                        } else if (!fromOutput.row().equals(row)) {
                            diff.differing.add(key);
                            if (diff.differences.size() < SHOWN) {
                                diff.differences.add(key + " (last printed by run " + fromOutput.run() + " as '" + fromOutput.op() + "') "
                                        + columnDifferences(columns, row, fromOutput.row()));
                            }
                        }
                    }
                    rebuilt.forEach((key, applied) -> {
                        diff.extra.add(key);
                        diff.extraLastPrinted.merge("run " + applied.run() + " '" + applied.op() + "'", 1L, Long::sum);
                    });
                }
            }
            c.rollback();
        }
        return diff;
    }

    /** The table as a sink that applies every printed event in order ends up with: key to normalised row. */
    private static Map<String, Applied> rebuild(List<TailRun> runs, List<String> columns, Diff diff) throws IOException {
        Map<String, Applied> table = new HashMap<>();
        for (TailRun run : runs) {
            boolean complete = run.endsWithNewline();
            try (BufferedReader in = Files.newBufferedReader(run.out, StandardCharsets.UTF_8)) {
                String line = in.readLine();
                while (line != null) {
                    String next = in.readLine();
                    if (next == null && !complete) {
                        break; // cut off by kill -9: its callback never returned
                    }
                    JsonNode e = JSON.readTree(line);
                    String op = e.get("op").asText();
                    diff.events.merge(op, 1L, Long::sum);
                    switch (op) {
                        case "r", "c", "u" -> table.put(e.get("key").get("transaction_id").asText(),
                                new Applied(normalise(e.get("after"), columns), run.index, op));
                        case "d" -> table.remove(e.get("key").get("transaction_id").asText());
                        case "t" -> table.clear();
                        default -> throw new AssertionError("run " + run.index + " printed an event with op '" + op + "': " + line);
                    }
                    line = next;
                }
            }
        }
        return table;
    }

    /** A row of Tail's JSON as the text {@link #text} gives for the same row read by JDBC. */
    private static String normalise(JsonNode after, List<String> columns) {
        String[] values = new String[columns.size()];
        for (int i = 0; i < values.length; i++) {
            JsonNode v = after.get(columns.get(i));
            values[i] = v == null ? "<absent>" : v.isNull() ? "\\N" : v.isNumber() ? v.decimalValue().toPlainString() : v.asText();
        }
        return String.join(SEP, values);
    }

    /** A column as Tail prints it: numbers in plain notation, timestamps as {@code LocalDateTime.toString()}, JSON and text as PostgreSQL's text. */
    private static String text(ResultSet rs, int column, String type) throws SQLException {
        if (rs.getObject(column) == null) {
            return "\\N";
        }
        return switch (type) {
            case "numeric" -> rs.getBigDecimal(column).toPlainString();
            case "timestamp" -> rs.getObject(column, LocalDateTime.class).toString();
            default -> rs.getString(column);
        };
    }

    private static String columnDifferences(List<String> columns, String table, String output) {
        String[] t = table.split(SEP, -1);
        String[] o = output.split(SEP, -1);
        List<String> differences = new ArrayList<>();
        for (int i = 0; i < columns.size(); i++) {
            if (!t[i].equals(o[i])) {
                differences.add(columns.get(i) + ": table " + t[i] + ", output " + o[i]);
            }
        }
        return differences.toString();
    }

    /** A row of the rebuilt table: its values, and the run and operation of the event that last wrote it. */
    private record Applied(String row, int run, String op) {
    }

    /** The rebuilt table against the real one. */
    private static final class Diff {
        final List<String> missing = new ArrayList<>();
        final List<String> extra = new ArrayList<>();
        final List<String> differing = new ArrayList<>();
        final List<String> differences = new ArrayList<>();
        final Map<String, Long> events = new TreeMap<>();
        final Map<String, Long> extraLastPrinted = new TreeMap<>();
        long tableRows;
        long rebuiltRows;

        String describe(Writer writer, TailRun lastRun) {
            long extraDeleted = extra.stream().filter(writer.deletedPreloaded()::containsKey).count();
            long deletedBeforeLastSnapshot = extra.stream().map(writer.deletedPreloaded()::get)
                    .filter(at -> at != null && at < lastRun.firstSnapshotRowSeenAt).count();
            return String.format(Locale.ROOT, "output events by op %s; rebuilt %,d rows, table %,d rows: missing %,d%s, extra %,d%s%s,"
                            + " differing %,d%s", events, rebuiltRows, tableRows, missing.size(), first(missing), extra.size(), first(extra),
                    extra.isEmpty() ? "" : String.format(Locale.ROOT, " (%,d of them preloaded rows the writer deleted, %,d before the"
                            + " last run printed its first snapshot row; last printed by %s)", extraDeleted, deletedBeforeLastSnapshot,
                            extraLastPrinted),
                    differing.size(), differences.isEmpty() ? "" : " " + differences);
        }

        private static String first(List<String> keys) {
            return keys.isEmpty() ? "" : " (first " + keys.subList(0, Math.min(SHOWN, keys.size())) + ")";
        }
    }

    /**
     * Plain JDBC with auto-commit on its own thread: about {@code rate} changes a second, 40% updates and 30% deletes
     * of random preloaded rows still there, 30% inserts of new rows, until {@link #stop()}.
     */
    private static final class Writer implements Runnable, AutoCloseable {
        private final TestDatabase db;
        private final List<String> alive;
        private final double rate;
        private final SplittableRandom random;
        private final TransactionFaker faker;
        private final AtomicLong committed = new AtomicLong();
        private final AtomicReference<Throwable> failure = new AtomicReference<>();
        private final Map<String, Long> deletedPreloaded = new HashMap<>();
        private final Thread thread;
        private volatile boolean stopping;
        private long updates;
        private long deletes;
        private long inserts;
        private long elapsedNanos;

        private Writer(TestDatabase db, List<String> preloaded, double rate, long seed) {
            this.db = db;
            this.alive = new ArrayList<>(preloaded);
            this.rate = rate;
            this.random = new SplittableRandom(seed + 1);
            this.faker = new TransactionFaker(seed + 2, FROM, Duration.ofDays(1));
            this.thread = new Thread(this, "snapshot-restart-writer");
        }

        static Writer start(TestDatabase db, List<String> preloaded, double rate, long seed) {
            Writer writer = new Writer(db, preloaded, rate, seed);
            writer.thread.start();
            return writer;
        }

        @Override
        public void run() {
            try (Connection c = db.connect();
                 PreparedStatement update = c.prepareStatement("UPDATE transactions SET amount = ?, city = ? WHERE transaction_id = ?");
                 PreparedStatement delete = c.prepareStatement("DELETE FROM transactions WHERE transaction_id = ?");
                 PreparedStatement insert = c.prepareStatement("INSERT INTO transactions (transaction_id, user_id, \"timestamp\", amount,"
                         + " currency, city, country, merchant_name, payment_method, ip_address, voucher_code, affiliateid)"
                         + " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)")) {
                long start = System.nanoTime();
                long periodNanos = (long) (1e9 / rate);
                for (long n = 0; !stopping; n++) {
                    long wait = start + n * periodNanos - System.nanoTime();
                    if (wait > 0) {
                        LockSupport.parkNanos(wait); // pacing, not waiting for an event
                    }
                    int dice = random.nextInt(100);
                    Transaction t = faker.next();
                    if (dice < 40) {
                        update.setBigDecimal(1, t.amount());
                        update.setString(2, t.city());
                        update.setString(3, alive.get(random.nextInt(alive.size())));
                        expectOneRow(update.executeUpdate());
                        updates++;
                    } else if (dice < 70) {
                        int i = random.nextInt(alive.size());
                        String id = alive.get(i);
                        alive.set(i, alive.get(alive.size() - 1));
                        alive.remove(alive.size() - 1);
                        delete.setString(1, id);
                        expectOneRow(delete.executeUpdate());
                        deletedPreloaded.put(id, System.nanoTime());
                        deletes++;
                    } else {
                        insert.setString(1, t.transactionId());
                        insert.setString(2, t.userId());
                        insert.setObject(3, LocalDateTime.ofInstant(t.timestamp(), ZoneOffset.UTC));
                        insert.setBigDecimal(4, t.amount());
                        insert.setString(5, t.currency());
                        insert.setString(6, t.city());
                        insert.setString(7, t.country());
                        insert.setString(8, t.merchantName());
                        insert.setString(9, t.paymentMethod());
                        insert.setString(10, t.ipAddress());
                        insert.setString(11, t.voucherCode());
                        insert.setString(12, t.affiliateId());
                        expectOneRow(insert.executeUpdate());
                        inserts++;
                    }
                    committed.incrementAndGet();
                }
                elapsedNanos = System.nanoTime() - start;
            } catch (Throwable e) {
                failure.set(e);
            }
        }

        private static void expectOneRow(int rows) {
            if (rows != 1) {
                throw new IllegalStateException("the writer's statement changed " + rows + " rows, not 1");
            }
        }

        long committed() {
            return committed.get();
        }

        /** Fails the test if the writer failed. */
        void check() {
            if (failure.get() != null) {
                throw new AssertionError("the writer failed: " + failure.get(), failure.get());
            }
        }

        /** Stops the writer, waits for its last statement and fails if it failed; idempotent. */
        void stop() throws InterruptedException {
            close();
            assertThat(thread.isAlive()).as("writer still running 30 s after stop").isFalse();
            check();
        }

        /** Stops the writer and waits for its last statement, at most 30 s; idempotent, never fails. */
        @Override
        public void close() throws InterruptedException {
            stopping = true;
            thread.join(TimeUnit.SECONDS.toMillis(30));
        }

        /** Preloaded rows the writer deleted, with the {@link System#nanoTime()} of each delete; read after {@link #stop()}. */
        Map<String, Long> deletedPreloaded() {
            return deletedPreloaded;
        }

        @Override
        public String toString() {
            return String.format(Locale.ROOT, "%,d updates, %,d deletes, %,d inserts in %.1f s (%.0f/s)", updates, deletes, inserts,
                    elapsedNanos / 1e9, committed() / (elapsedNanos / 1e9));
        }
    }

    /**
     * One run of {@code Tail --snapshot INITIAL --offsets} in a child JVM (-Xmx256m) whose stdout goes to a file of its own,
     * watched as it grows: snapshot rows and streamed changes are counted by the {@code "snapshot"} flag of each line's source.
     */
    private static final class TailRun implements AutoCloseable {
        /** The source's flag; inside a JSON string value its quotes would be escaped, so only the key matches. */
        private static final byte[] SNAPSHOT_FLAG = "\"snapshot\":".getBytes(StandardCharsets.US_ASCII);

        final int index;
        final Path out;
        final Path err;
        final long startedAt = System.nanoTime();
        /** When a poll first saw a snapshot row: a little after it was printed. */
        volatile long firstSnapshotRowSeenAt = Long.MAX_VALUE;
        private final Process process;
        private final ByteBuffer buffer = ByteBuffer.allocate(1 << 20);
        private byte[] line = new byte[4096];
        private int lineLength;
        private byte[] lastLine = new byte[0];
        private long position;
        private long snapshotRows;
        private long streamedRows;
        private String unrecognised;

        private TailRun(int index, Path out, Path err, Process process) {
            this.index = index;
            this.out = out;
            this.err = err;
            this.process = process;
        }

        static TailRun start(TestDatabase db, Path dir, int index) throws IOException {
            Path out = dir.resolve("tail-" + index + ".jsonl");
            Path err = dir.resolve("tail-" + index + ".err");
            List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                    "-Xmx256m", "-cp", System.getProperty("java.class.path"), Tail.class.getName(),
                    "--host", db.host(), "--port", Integer.toString(db.port()), "--database", db.name(), "--user", db.user(),
                    "--name", "snaprestart", "--publication", Schema.PUBLICATION, "--snapshot", "INITIAL",
                    "--offsets", dir.resolve("tail.offsets").toString()));
            ProcessBuilder pb = new ProcessBuilder(command).redirectOutput(out.toFile()).redirectError(err.toFile());
            pb.environment().put("PGPASSWORD", db.password());
            Process process = pb.start();
            process.getOutputStream().close();
            return new TailRun(index, out, err, process);
        }

        /** Waits for {@code condition} over what the run printed; fails at once, naming its stderr, if the child exits. */
        void waitUntil(String what, BooleanSupplier condition) {
            await().alias("run " + index + ": " + what).atMost(SNAPSHOT_TIMEOUT).pollInterval(Duration.ofMillis(20)).until(() -> {
                boolean alive = process.isAlive();
                poll();
                checkLines();
                if (condition.getAsBoolean()) {
                    return true;
                }
                if (!alive) {
                    throw new AssertionError("run " + index + " exited with " + process.exitValue() + " before " + what + " ("
                            + snapshotRows + " snapshot rows, " + streamedRows + " changes printed); stderr:\n" + stderrTail());
                }
                return false;
            });
        }

        /** Fails if a line had no {@code "snapshot"} flag: then the counts would mean nothing. */
        synchronized void checkLines() {
            if (unrecognised != null) {
                throw new AssertionError("run " + index + " printed a line without \"snapshot\": true or false in its source: " + unrecognised);
            }
        }

        /** Seconds since this run started. */
        double seconds() {
            return (System.nanoTime() - startedAt) / 1e9;
        }

        synchronized long snapshotRows() {
            return snapshotRows;
        }

        synchronized long streamedRows() {
            return streamedRows;
        }

        /** The last complete line printed so far. */
        synchronized String lastLine() {
            return new String(lastLine, StandardCharsets.UTF_8);
        }

        /** kill -9, then reads what it printed. */
        void kill() throws Exception {
            process.destroyForcibly();
            process.waitFor();
            poll();
            checkLines();
        }

        /** SIGTERM, as Ctrl-C; returns the exit code. */
        int terminate() throws Exception {
            process.destroy();
            if (!process.waitFor(60, TimeUnit.SECONDS)) {
                throw new AssertionError("run " + index + " still running 60 s after SIGTERM; stderr:\n" + stderrTail());
            }
            poll();
            checkLines();
            return process.exitValue();
        }

        /** Whether the output ends with a complete line (not so after a kill -9 mid-line). */
        synchronized boolean endsWithNewline() {
            return lineLength == 0;
        }

        String stderrTail() {
            try {
                List<String> lines = Files.readAllLines(err, StandardCharsets.UTF_8);
                return String.join("\n", lines.subList(Math.max(0, lines.size() - 30), lines.size()));
            } catch (IOException e) {
                return "(cannot read " + err + ": " + e + ")";
            }
        }

        /** Reads what was appended since the last call and counts the lines it completes. */
        private synchronized void poll() throws IOException {
            try (FileChannel channel = FileChannel.open(out, StandardOpenOption.READ)) {
                channel.position(position);
                int n;
                while ((n = channel.read(buffer)) > 0) {
                    position += n;
                    buffer.flip();
                    while (buffer.hasRemaining()) {
                        byte b = buffer.get();
                        if (b == '\n') {
                            endLine();
                        } else {
                            if (lineLength == line.length) {
                                line = Arrays.copyOf(line, line.length * 2);
                            }
                            line[lineLength++] = b;
                        }
                    }
                    buffer.clear();
                }
            }
        }

        private void endLine() {
            int flag = lastIndexOf(SNAPSHOT_FLAG) + SNAPSHOT_FLAG.length;
            if (flag < SNAPSHOT_FLAG.length || flag >= lineLength) {
                if (unrecognised == null) {
                    unrecognised = new String(line, 0, lineLength, StandardCharsets.UTF_8);
                }
            } else if (line[flag] == 't') {
                if (snapshotRows++ == 0) {
                    firstSnapshotRowSeenAt = System.nanoTime();
                }
            } else if (line[flag] == 'f') {
                streamedRows++;
            } else if (unrecognised == null) {
                unrecognised = new String(line, 0, lineLength, StandardCharsets.UTF_8);
            }
            lastLine = Arrays.copyOf(line, lineLength);
            lineLength = 0;
        }

        /** Where {@code pattern} last starts in the current line, or -1; the source comes last, so the search is short. */
        private int lastIndexOf(byte[] pattern) {
            for (int i = lineLength - pattern.length; i >= 0; i--) {
                if (Arrays.equals(line, i, i + pattern.length, pattern, 0, pattern.length)) {
                    return i;
                }
            }
            return -1;
        }

        @Override
        public void close() {
            if (process.isAlive()) {
                process.destroyForcibly();
                try {
                    process.waitFor(30, TimeUnit.SECONDS);
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }
}
