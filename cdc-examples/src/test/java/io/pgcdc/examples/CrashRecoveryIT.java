package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.generator.ChangeKind;
import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.Schema;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import io.pgcdc.testkit.ChildJvm;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * kill -9 of the consumer at random moments while the generator writes: the {@code Tail} example in a
 * child JVM with an offsets file, killed and restarted over and over. Every committed change must be
 * printed at least once, repeats must stay within one batch per crash, and nothing is read twice by a
 * new snapshot. Every other run prints through 4 lanes ({@code CdcConfig.lanes}): offsets must not pass an event
 * a lane has not finished. {@code -Dpgcdc.crash.kills=100} for the longer run, {@code -Dpgcdc.crash.lanes=N} for
 * N lanes in every run.
 */
@ExtendWith(PostgresExtension.class)
class CrashRecoveryIT {

    /**
     * Debezium's max.batch.size (offsets are stored after every batch, so a crash repeats at most one) plus the rest of
     * one group of rows sharing an LSN (a COPY's rows on one page, at most 291), whose offset is held until it ends.
     */
    private static final int BATCH_BOUND = 2048 + 291;
    private static final int EXISTING_ROWS = 200;
    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void killedAtRandomMomentsTheConsumerLosesNothingAndRepeatsAtMostOneBatchPerCrash(TestDatabase db, @TempDir Path dir)
            throws Exception {
        int kills = Integer.getInteger("pgcdc.crash.kills", 20);
        long seed = Long.getLong("pgcdc.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        TransactionGenerator generator = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build();
        GeneratorReport existing = generator.run(Workload.builder().mix(100, 0, 0).count(EXISTING_ROWS).seed(seed).build());

        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        String[] args = {"--host", db.host(), "--port", Integer.toString(db.port()), "--database", db.name(), "--user", db.user(),
            "--name", "crash", "--publication", Schema.PUBLICATION, "--snapshot", "initial",
            "--offsets", dir.resolve("tail.offsets").toString()};

        TransactionGenerator writer = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build();
        CompletableFuture<GeneratorReport> writing = null;

        List<List<JsonNode>> runs = new ArrayList<>();
        try {
            for (int i = 0; i < kills; i++) {
                // Every other run prints through 4 lanes (CdcConfig.lanes), unless -Dpgcdc.crash.lanes=N fixes it.
                int lanes = Integer.getInteger("pgcdc.crash.lanes", i % 2 == 0 ? 1 : 4);
                String[] runArgs = java.util.stream.Stream.concat(java.util.Arrays.stream(args),
                        java.util.stream.Stream.of("--lanes", Integer.toString(lanes))).toArray(String[]::new);
                ChildJvm tail = ChildJvm.start(Tail.class, env, runArgs);
                try {
                    if (i == 0) {
                        // The first run finishes its snapshot before the writer starts, so that every later change is a
                        // change event (rows written before the slot existed are snapshot rows), and a snapshot cut
                        // short is redone by design, which is not what this test is about.
                        waitFor(() -> tail.linesSoFar().size() >= EXISTING_ROWS, Duration.ofSeconds(60));
                        writing = CompletableFuture.supplyAsync(() -> writer.run(
                                Workload.builder().mix(70, 20, 10).rate(1_000).rowsPerTransaction(10).seed(seed + 1).build()));
                        Thread.sleep(500 + random.nextInt(1_500));
                    } else if (i % 2 == 0) {
                        // Any moment: during JVM start-up, engine start, or delivery.
                        Thread.sleep(random.nextInt(3_000));
                    } else {
                        // During delivery.
                        int before = tail.linesSoFar().size();
                        awaitQuietly(() -> tail.linesSoFar().size() > before, Duration.ofSeconds(30));
                        Thread.sleep(random.nextInt(1_500));
                    }
                } finally {
                    runs.add(parse(tail.kill().lines()));
                }
            }
        } finally {
            writer.stop();
        }
        GeneratorReport written = writing.get(60, TimeUnit.SECONDS);

        Map<String, Integer> expected = new HashMap<>();
        existing.ids(ChangeKind.INSERT).forEach(id -> expected.merge("r:" + id, 1, Integer::sum));
        written.ids(ChangeKind.INSERT).forEach(id -> expected.merge("c:" + id, 1, Integer::sum));
        written.ids(ChangeKind.UPDATE).forEach(id -> expected.merge("u:" + id, 1, Integer::sum));
        written.ids(ChangeKind.DELETE).forEach(id -> expected.merge("d:" + id, 1, Integer::sum));
        int expectedTotal = expected.values().stream().mapToInt(Integer::intValue).sum();

        ChildJvm last = ChildJvm.start(Tail.class, env, args);
        try {
            // Everything should arrive; if something never does, the assertions below name it.
            // The writer ran through every kill: a long run leaves a large backlog for this last run to catch up.
            awaitQuietly(() -> distinctEvents(runs, parse(last.linesSoFar())).size() >= expectedTotal,
                    Duration.ofSeconds(120 + 6L * kills));
            runs.add(parse(last.terminate(Duration.ofSeconds(60)).lines()));
        } finally {
            last.process().destroyForcibly();
        }

        // An event is (lsn, op, id): two changes never share all three, a repeat does. Its idempotency key
        // must name exactly one of them, the same in every run.
        Map<String, String> byKey = new HashMap<>();
        for (List<JsonNode> run : runs) {
            for (JsonNode e : run) {
                String event = event(e);
                String previous = byKey.putIfAbsent(e.get("id").asText(), event);
                assertThat(previous == null || previous.equals(event)).as("key %s names %s and %s", e.get("id"), previous, event).isTrue();
            }
        }
        assertThat(byKey).hasSameSizeAs(distinctEvents(runs, List.of()));
        Set<String> seen = new HashSet<>();
        Map<String, Integer> received = new HashMap<>();
        int maxRepeats = 0;
        int totalRepeats = 0;
        for (int run = 0; run < runs.size(); run++) {
            int repeats = 0;
            for (JsonNode e : runs.get(run)) {
                String op = e.get("op").asText();
                if (seen.add(event(e))) {
                    received.merge(op + ":" + transactionId(e), 1, Integer::sum);
                } else {
                    repeats++;
                }
                assertThat(run == 0 || !op.equals("r")).as("run %d re-read the snapshot", run + 1).isTrue();
            }
            maxRepeats = Math.max(maxRepeats, repeats);
            totalRepeats += repeats;
        }
        List<String> lost = new ArrayList<>();
        expected.forEach((event, count) -> {
            if (received.getOrDefault(event, 0) < count) {
                lost.add(event);
            }
        });
        if (!lost.isEmpty()) {
            // Where the lost changes sit, to tell a lost transaction from a lost tail.
            List<String> order = new ArrayList<>();
            written.ids(ChangeKind.INSERT).forEach(id -> order.add("c:" + id));
            System.out.printf("lost %d of %d; in insert order, lost inserts at positions %s%n", lost.size(), expectedTotal,
                    lost.stream().filter(l -> l.startsWith("c:")).map(order::indexOf).sorted().limit(40).toList());
            for (int run = 0; run < runs.size(); run++) {
                List<JsonNode> r = runs.get(run);
                System.out.printf("run %d: %d events, first %s, last %s%n", run + 1, r.size(),
                        r.isEmpty() ? "-" : r.get(0).get("source"), r.isEmpty() ? "-" : r.get(r.size() - 1).get("source"));
            }
        }
        System.out.printf("crash test (seed %d): %d runs, %d kill -9, %d changes checked, lost %d, repeats %d in all, at most %d"
                + " after one crash%n", seed, runs.size(), kills, expectedTotal, lost.size(), totalRepeats, maxRepeats);
        assertThat(lost).as("changes never received (seed %d), first: %s", seed, lost.subList(0, Math.min(10, lost.size()))).isEmpty();
        assertThat(received).as("changes received that nobody wrote").containsOnlyKeys(expected.keySet());
        assertThat(maxRepeats).as("repeats after one crash").isLessThanOrEqualTo(BATCH_BOUND);
        assertThat(written.total()).as("the generator kept writing through the crashes").isGreaterThan(1_000);
    }

    @Test
    void aHundredThousandRowTransactionKilledMidDeliveryIsCompleteAfterRestart(TestDatabase db, @TempDir Path dir) throws Exception {
        int rows = 100_000;
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        String[] args = {"--host", db.host(), "--port", Integer.toString(db.port()), "--database", db.name(), "--user", db.user(),
            "--name", "big", "--publication", Schema.PUBLICATION, "--snapshot", "none",
            "--offsets", dir.resolve("tail.offsets").toString()};
        List<List<JsonNode>> runs = new ArrayList<>();
        ChildJvm first = ChildJvm.start(Tail.class, env, args);
        try {
            waitFor(() -> first.process().isAlive() && db.queryLong(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'big' AND active") == 1, Duration.ofSeconds(60));
            StringBuilder copy = new StringBuilder();
            for (int i = 1; i <= rows; i++) {
                copy.append("big-").append(i).append('\n');
            }
            // One transaction, written by COPY: PostgreSQL decodes it only after its commit, spilling to disk.
            try (Connection c = db.connect()) {
                c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyIn("COPY transactions (transaction_id) FROM STDIN",
                        new java.io.StringReader(copy.toString()));
            }
            waitFor(() -> first.linesSoFar().size() >= rows / 3, Duration.ofSeconds(120));
        } finally {
            runs.add(parse(first.kill().lines()));
        }
        assertThat(runs.get(0).size()).as("killed mid-delivery").isLessThan(rows);

        ChildJvm second = ChildJvm.start(Tail.class, env, args);
        try {
            awaitQuietly(() -> distinctEvents(runs, parse(second.linesSoFar())).size() >= rows, Duration.ofSeconds(180));
            runs.add(parse(second.terminate(Duration.ofSeconds(60)).lines()));
        } finally {
            second.process().destroyForcibly();
        }
        Set<String> ids = new HashSet<>();
        runs.forEach(run -> run.forEach(e -> ids.add(e.get("after").get("transaction_id").asText())));
        int repeats = runs.stream().mapToInt(List::size).sum() - distinctEvents(runs, List.of()).size();
        System.out.printf("100k-row transaction: first run printed %d, second %d, distinct %d, repeats %d%n",
                runs.get(0).size(), runs.get(1).size(), ids.size(), repeats);
        assertThat(ids).hasSize(rows);
        assertThat(repeats).isLessThanOrEqualTo(BATCH_BOUND);
    }

    /** Events of every run so far plus the current one, as distinct (lsn, op, id). */
    private static Set<String> distinctEvents(List<List<JsonNode>> runs, List<JsonNode> current) {
        Set<String> events = new HashSet<>();
        List<List<JsonNode>> all = new ArrayList<>(runs);
        all.add(current);
        for (List<JsonNode> run : all) {
            for (JsonNode e : run) {
                events.add(event(e));
            }
        }
        return events;
    }

    /** An event as (lsn, op, id): two changes never share all three, a repeat does. */
    private static String event(JsonNode e) {
        return e.get("source").get("lsn").asText() + "|" + e.get("op").asText() + "|" + transactionId(e);
    }

    private static String transactionId(JsonNode e) {
        return (e.get("after").isNull() ? e.get("key") : e.get("after")).get("transaction_id").asText();
    }

    /** Parses JSON lines; a line cut off by the kill was not acknowledged, and is skipped. */
    private static List<JsonNode> parse(List<String> lines) {
        List<JsonNode> events = new ArrayList<>();
        for (String line : lines) {
            try {
                events.add(JSON.readTree(line));
            } catch (IOException e) {
                // The child died mid-line: that event's callback never returned.
            }
        }
        return events;
    }

    /** Waits like {@link #waitFor} but returns false instead of failing, so that the assertions can name what is missing. */
    private static boolean awaitQuietly(java.util.function.BooleanSupplier condition, Duration timeout) {
        try {
            waitFor(condition, timeout);
            return true;
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            return false;
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout) {
        org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
    }
}
