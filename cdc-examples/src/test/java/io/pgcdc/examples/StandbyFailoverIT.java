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
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Replicas of one engine ({@code Tail --standby} in child JVMs, offsets in the captured database): the leader killed
 * with -9 twenty times while the generator writes (the union of everything printed holds every committed change; each
 * takeover within 5 s), frozen with SIGSTOP past its lease (replaced; after SIGCONT it fails and prints nothing more),
 * and stopped gracefully (the next change from a standby within one poll plus a second, nothing repeated).
 */
@ExtendWith(PostgresExtension.class)
class StandbyFailoverIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    @Test
    void killedLeadersAreReplacedWithinSecondsAndNothingIsLost(TestDatabase db) throws Exception {
        int kills = Integer.getInteger("pgcdc.standby.kills", 20);
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        List<ChildJvm> replicas = new ArrayList<>();
        List<String> names = new ArrayList<>();
        List<List<String>> outputs = new ArrayList<>();
        int next = 0;
        for (; next < 3; next++) {
            replicas.add(start(db, env, "r" + next));
            names.add("r" + next);
        }
        TransactionGenerator writer = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build();
        List<Long> takeovers = new ArrayList<>();
        CompletableFuture<GeneratorReport> writing = null;
        try {
            // Streaming, not only leading: changes written before the slot exists are not this test's (snapshot none).
            waitFor(() -> leader(db) != null && slotActive(db), Duration.ofSeconds(60));
            for (int j = 0; j < replicas.size(); j++) {
                awaitStandingBy(replicas.get(j), names.get(j));
            }
            writing = CompletableFuture.supplyAsync(() -> writer.run(
                    Workload.builder().mix(70, 20, 10).rate(1_000).rowsPerTransaction(10).seed(42).build()));
            for (int k = 0; k < kills; k++) {
                String leading = leader(db);
                int i = names.indexOf(leading);
                ChildJvm leader = replicas.get(i);
                int printed = leader.linesSoFar().size();
                waitFor(() -> leader.linesSoFar().size() > printed, Duration.ofSeconds(60));
                Thread.sleep(500);
                long killedAt = System.nanoTime();
                outputs.add(leader.kill().lines());
                replicas.set(i, null);
                // The first new line from any other replica: the new leader delivers.
                Map<Integer, Integer> before = new java.util.HashMap<>();
                for (int j = 0; j < replicas.size(); j++) {
                    if (replicas.get(j) != null) {
                        before.put(j, replicas.get(j).linesSoFar().size());
                    }
                }
                waitFor(() -> before.entrySet().stream().anyMatch(e -> replicas.get(e.getKey()).linesSoFar().size() > e.getValue()),
                        Duration.ofSeconds(60));
                takeovers.add((System.nanoTime() - killedAt) / 1_000_000);
                // Three engines again: the replacement stands by (its JVM up, its checks made) before the next kill.
                ChildJvm joined = start(db, env, "r" + next);
                awaitStandingBy(joined, "r" + next);
                replicas.add(joined);
                names.add("r" + next);
                next++;
            }
        } catch (RuntimeException | AssertionError e) {
            // What the replicas said, to tell why.
            for (int j = 0; j < replicas.size(); j++) {
                if (replicas.get(j) != null) {
                    ChildJvm.Result r = replicas.get(j).kill();
                    System.out.printf("replica %s: %d lines; stderr:%n%s%n", names.get(j), r.lines().size(), r.err());
                }
            }
            throw e;
        } finally {
            writer.stop();
        }
        GeneratorReport written = writing.get(60, TimeUnit.SECONDS);
        Set<String> expected = new HashSet<>();
        written.ids(ChangeKind.INSERT).forEach(id -> expected.add("c:" + id));
        written.ids(ChangeKind.DELETE).forEach(id -> expected.add("d:" + id));
        Set<String> received = new HashSet<>();
        try {
            waitFor(() -> {
                Set<String> all = new HashSet<>();
                outputs.forEach(o -> collect(o, all));
                replicas.stream().filter(r -> r != null).forEach(r -> collect(r.linesSoFar(), all));
                received.clear();
                received.addAll(all);
                return all.containsAll(expected);
            }, Duration.ofSeconds(120));
        } catch (org.awaitility.core.ConditionTimeoutException e) {
            // The assertions below name what is missing.
        }
        StringBuilder finalLogs = new StringBuilder();
        for (int j = 0; j < replicas.size(); j++) {
            ChildJvm r = replicas.get(j);
            if (r != null) {
                ChildJvm.Result result = r.terminate(Duration.ofSeconds(60));
                outputs.add(result.lines());
                finalLogs.append("replica ").append(names.get(j)).append(" (exit ").append(result.exit()).append("):\n").append(result.err());
            }
        }
        List<Long> sorted = new ArrayList<>(takeovers);
        Collections.sort(sorted);
        Set<String> lost = new HashSet<>(expected);
        lost.removeAll(received);
        System.out.printf("standby failover: %d kill -9, %d inserts and deletes checked, lost %d; takeover (kill to the new leader's"
                + " first event) p50 %d ms, max %d ms: %s%n", kills, expected.size(), lost.size(), sorted.get(sorted.size() / 2),
                sorted.get(sorted.size() - 1), takeovers);
        if (!lost.isEmpty()) {
            // Where the lost changes sit among the inserts written (in commit order), and what the last replicas said.
            List<String> inserts = written.ids(ChangeKind.INSERT);
            List<Integer> positions = lost.stream().filter(l -> l.startsWith("c:")).map(l -> inserts.indexOf(l.substring(2))).sorted().toList();
            System.out.printf("lost inserts at positions %s of %d written; lease: %s%n%s%n", positions, inserts.size(), leaseRow(db), finalLogs);
        }
        assertThat(lost).as("lost, first: %s", lost.stream().limit(10).toList()).isEmpty();
        // A change printed again by the next leader carries the id it had: the distinct ids are exactly the changes
        // written; and each takeover repeats at most what a crash does (one batch plus the rest of one LSN group).
        Set<String> ids = new HashSet<>();
        long maxRepeats = 0;
        for (List<String> out : outputs) {
            Set<String> mine = new HashSet<>();
            long repeats = 0;
            for (String line : out) {
                String id = JSON.readTree(line).get("id").asText();
                if (mine.add(id) && ids.contains(id)) {
                    repeats++;
                }
            }
            ids.addAll(mine);
            maxRepeats = Math.max(maxRepeats, repeats);
        }
        long changes = written.count(ChangeKind.INSERT) + written.count(ChangeKind.UPDATE) + written.count(ChangeKind.DELETE);
        System.out.printf("distinct event ids %d for %d changes written; at most %d repeated after one takeover%n", ids.size(), changes, maxRepeats);
        assertThat(ids).as("distinct event ids").hasSize((int) changes);
        assertThat(maxRepeats).as("repeats after one takeover").isLessThanOrEqualTo(2048 + 291);
        assertThat(sorted.get(sorted.size() - 1)).as("slowest takeover, ms").isLessThanOrEqualTo(5_000L);
    }

    @Test
    void aLeaderFrozenPastItsLeaseIsReplacedAndEndsFailedWithoutDeliveringMore(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        List<ChildJvm> children = new ArrayList<>();
        try {
            leaderAndStandby(db, env, children, "--lease-timeout", "PT3S", "--standby-poll", "PT0.5S");
            ChildJvm first = children.get(0);
            ChildJvm standby = children.get(1);
            TransactionGenerator writer = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build();
            writer.run(Workload.builder().mix(100, 0, 0).count(100).rowsPerTransaction(10).seed(1).build());
            waitFor(() -> first.linesSoFar().size() >= 100, Duration.ofSeconds(60));
            assertThat(standby.linesSoFar()).as("the standby printed nothing while r0 led").isEmpty();

            long pid = first.process().pid();
            signal("STOP", pid);
            long frozenAt = System.nanoTime();
            int printedBeforeFreeze = first.linesSoFar().size();
            writer.run(Workload.builder().mix(100, 0, 0).count(100).rowsPerTransaction(10).seed(2).build());
            waitFor(() -> standby.linesSoFar().size() >= 100, Duration.ofSeconds(60));
            long takeoverMillis = (System.nanoTime() - frozenAt) / 1_000_000;
            assertThat(leader(db)).isEqualTo("r1");
            long epoch = db.queryLong("SELECT epoch FROM pgcdc_offsets WHERE engine = 'ha'");

            signal("CONT", pid);
            ChildJvm.Result woken = first.await(Duration.ofSeconds(60));
            System.out.printf("frozen leader: replaced %d ms after SIGSTOP (lease 3 s); after SIGCONT it exited %d: %s%n", takeoverMillis,
                    woken.exit(), woken.err().lines().filter(l -> l.contains("leadership")).findFirst().orElse("?"));
            assertThat(woken.exit()).as("the old leader ends failed").isNotZero();
            assertThat(woken.err()).contains("lost its leadership to r1");
            assertThat(woken.lines()).as("nothing printed after the freeze").hasSize(printedBeforeFreeze);

            writer.run(Workload.builder().mix(100, 0, 0).count(10).rowsPerTransaction(10).seed(3).build());
            waitFor(() -> standby.linesSoFar().size() >= 110, Duration.ofSeconds(60));
            assertThat(db.queryLong("SELECT epoch FROM pgcdc_offsets WHERE engine = 'ha'")).as("r1 still holds it").isEqualTo(epoch);
            assertThat(leader(db)).isEqualTo("r1");
        } finally {
            children.forEach(c -> c.process().destroyForcibly());
        }
    }

    @Test
    void aLeaderThatStopsGracefullyHandsOverWithinAPollAndASecondWithoutRepeats(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        List<ChildJvm> children = new ArrayList<>();
        try {
            // A 1 s poll, so that the bar is the "one poll interval plus 1 s"; the release wakes the standby anyway.
            leaderAndStandby(db, env, children, "--standby-poll", "PT1S");
            ChildJvm first = children.get(0);
            ChildJvm standby = children.get(1);
            TransactionGenerator writer = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build();
            GeneratorReport before = writer.run(Workload.builder().mix(100, 0, 0).count(50).rowsPerTransaction(10).seed(1).build());
            waitFor(() -> first.linesSoFar().size() >= 50, Duration.ofSeconds(60));

            // SIGTERM: Tail closes its engine, which gives the slot and then the lease up.
            ChildJvm.Result stopped = first.terminate(Duration.ofSeconds(60));
            assertThat(stopped.exit()).isZero();
            long stoppedAt = System.nanoTime();
            GeneratorReport after = writer.run(Workload.builder().mix(100, 0, 0).count(10).rowsPerTransaction(10).seed(2).build());
            waitFor(() -> standby.linesSoFar().size() >= 10, Duration.ofSeconds(60));
            long handoverMillis = (System.nanoTime() - stoppedAt) / 1_000_000;
            Set<String> printed = new HashSet<>();
            collect(standby.linesSoFar(), printed);
            System.out.printf("graceful handover: the old leader's exit to the new leader's first event %d ms (poll 1 s)%n", handoverMillis);
            assertThat(printed).as("the new leader prints the new changes and repeats none of the old leader's")
                    .containsExactlyInAnyOrderElementsOf(after.ids(ChangeKind.INSERT).stream().map(id -> "c:" + id).toList());
            assertThat(before.ids(ChangeKind.INSERT)).hasSize(50);
            assertThat(handoverMillis).as("one poll (1 s) plus 1 s").isLessThanOrEqualTo(2_000L);
        } finally {
            children.forEach(c -> c.process().destroyForcibly());
        }
    }

    /** Starts r0 and waits until it streams, then r1 until it stands by; both with {@code options}, added to {@code children}. */
    private static void leaderAndStandby(TestDatabase db, Map<String, String> env, List<ChildJvm> children, String... options) throws Exception {
        children.add(start(db, env, "r0", options));
        waitFor(() -> "r0".equals(leader(db)) && slotActive(db), Duration.ofSeconds(60));
        children.add(start(db, env, "r1", options));
        awaitStandingBy(children.get(1), "r1");
    }

    /** Waits until {@code replica} logged that it stands by: its JVM is up and its checks were made. */
    private static void awaitStandingBy(ChildJvm replica, String name) {
        String standsBy = "stands by as " + name;
        waitFor(() -> replica.errLinesSoFar().stream().anyMatch(l -> l.contains(standsBy)), Duration.ofSeconds(60));
    }

    private static boolean slotActive(TestDatabase db) {
        return db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'ha' AND active") == 1;
    }

    private static void signal(String signal, long pid) throws Exception {
        Process kill = new ProcessBuilder("kill", "-" + signal, Long.toString(pid)).inheritIO().start();
        assertThat(kill.waitFor()).as("kill -%s %d", signal, pid).isZero();
    }

    private static ChildJvm start(TestDatabase db, Map<String, String> env, String name, String... more) throws IOException {
        List<String> args = new ArrayList<>(List.of("--host", db.host(), "--port", Integer.toString(db.port()), "--database", db.name(),
                "--user", db.user(), "--name", "ha", "--publication", Schema.PUBLICATION, "--snapshot", "none", "--standby",
                "--replica", name));
        args.addAll(List.of(more));
        return ChildJvm.start(Tail.class, env, args.toArray(String[]::new));
    }

    private static String leaseRow(TestDatabase db) {
        try (Connection c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery(
                "SELECT epoch, holder, lease_until, streaming, presence_pid, now() FROM pgcdc_offsets WHERE engine = 'ha'")) {
            return rs.next() ? "epoch " + rs.getLong(1) + ", holder " + rs.getString(2) + ", until " + rs.getString(3) + ", streaming "
                    + rs.getBoolean(4) + ", presence " + rs.getString(5) + ", now " + rs.getString(6) : "no row";
        } catch (java.sql.SQLException e) {
            return e.getMessage();
        }
    }

    /** The replica holding the lease now, or null. */
    private static String leader(TestDatabase db) {
        try (Connection c = db.connect(); PreparedStatement ps = c.prepareStatement(
                "SELECT holder FROM pgcdc_offsets WHERE engine = ? AND lease_until > now()")) {
            ps.setString(1, "ha");
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? rs.getString(1) : null;
            }
        } catch (java.sql.SQLException e) {
            return null;
        }
    }

    /** Adds {@code c:<id>} for inserts and {@code d:<id>} for deletes printed. */
    private static void collect(List<String> lines, Set<String> into) {
        for (String line : lines) {
            try {
                JsonNode e = JSON.readTree(line);
                String op = e.get("op").asText();
                if (op.equals("c")) {
                    into.add("c:" + e.get("after").get("transaction_id").asText());
                } else if (op.equals("d")) {
                    into.add("d:" + e.get("key").get("transaction_id").asText());
                }
            } catch (IOException | RuntimeException e) {
                // A line cut off by the kill.
            }
        }
    }

    private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout) {
        org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(50)).until(condition::getAsBoolean);
    }
}
