package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.generator.Schema;
import io.pgcdc.testkit.ChildJvm;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.IOException;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Every example as a user runs it: its own JVM, on the embedded default and on a server given by options. */
@ExtendWith(PostgresExtension.class)
class ExamplesIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ChildJvm.Result run(Class<?> main, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return ChildJvm.run(Duration.ofMinutes(3), main, env, args);
    }

    private static String[] serverOptions(TestDatabase db, String... more) {
        List<String> args = new ArrayList<>(List.of("--host", db.host(), "--port", Integer.toString(db.port()), "--database", db.name(),
                "--user", db.user()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    @Test
    void quickStartOnTheEmbeddedDefaultReceivesEveryChange() throws Exception {
        ChildJvm.Result r = run(QuickStart.class, Map.of(), "--changes", "600", "--rate", "2000");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("embedded PostgreSQL 17", "OK: every change the generator committed was received, once");
        String wrote = r.lines().stream().filter(l -> l.startsWith("generator wrote: ")).findFirst().orElseThrow();
        long inserts = Long.parseLong(wrote.replaceAll("generator wrote: (\\d+) inserts.*", "$1"));
        assertThat(r.lines().stream().filter(l -> l.startsWith("+ ")).count()).isEqualTo(inserts);
        assertThat(r.lines().stream().filter(l -> l.startsWith("~ ")).findFirst().orElseThrow()).contains("amount ", " -> ", "by ");
    }

    @Test
    void quickStartAgainstAServerGivenByOptionsLeavesNoSlotBehind(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(QuickStart.class, Map.of("PGPASSWORD", db.password()), serverOptions(db, "--changes", "300", "--quiet"));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("PostgreSQL at " + db.host() + ":" + db.port() + "/" + db.name(), "OK: every change");
        assertThat(db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE database = current_database()")).isZero();
    }

    @Test
    void auditTrailPrintsOneLinePerUpdateOnBothKindsOfServer(TestDatabase db) throws Exception {
        for (ChildJvm.Result r : List.of(run(AuditTrail.class, Map.of(), "--changes", "100"),
                run(AuditTrail.class, Map.of("PGPASSWORD", db.password()), serverOptions(db, "--changes", "100")))) {
            assertThat(r.exit()).as(r.out() + r.err()).isZero();
            List<String> audit = r.lines().stream().filter(l -> l.contains(" changed ")).collect(Collectors.toList());
            String summary = r.lines().stream().filter(l -> l.endsWith("audit lines printed")).findFirst().orElseThrow();
            assertThat(summary).isEqualTo(audit.size() + " updates written, " + audit.size() + " audit lines printed");
            assertThat(audit).isNotEmpty().allMatch(l -> l.matches("\\d{4}-\\d\\d-\\d\\dT.* changed [0-9a-f-]{36}: amount \\S+ -> \\S+"));
        }
    }

    @Test
    void outboxRelaysEachMessageOnTheCommitOfItsOrdersTransaction() throws Exception {
        ChildJvm.Result r = run(Outbox.class, Map.of(), "--orders", "10");
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        List<String> relayed = r.lines().stream().filter(l -> l.contains(": relay ")).collect(Collectors.toList());
        assertThat(relayed).hasSize(10).allMatch(l -> l.matches("tx \\d+ commit [0-9A-F]+/[0-9A-F]+: relay [0-9A-F]+/[0-9A-F]+:2 \\{\"type\":\"OrderPlaced\".*"));
        assertThat(r.out()).contains("10 orders written, 10 messages relayed, each in the transaction of its order: yes");
    }

    @Test
    void tailPrintsOneJsonObjectPerChange() throws Exception {
        ChildJvm.Result r = run(Tail.class, Map.of(), "--generate", "50");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.lines()).hasSize(50);
        for (String line : r.lines()) {
            JsonNode event = JSON.readTree(line);
            assertThat(event.get("op").asText()).isIn("c", "u", "d");
            assertThat(event.get("table").asText()).isEqualTo("public.transactions");
            assertThat(event.get("key").get("transaction_id").asText()).hasSize(36);
            assertThat(event.get("source").get("lsn").asText()).matches("[0-9A-F]+/[0-9A-F]+");
            if (event.get("op").asText().equals("c")) {
                assertThat(event.get("after").get("amount").isNumber()).isTrue();
            }
        }
    }

    @Test
    void tailResumesFromItsOffsetsFileWithoutRepeating(TestDatabase db, @TempDir Path dir) throws Exception {
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'old-' || i, i FROM generate_series(1, 10) i");
        Path offsets = dir.resolve("tail.offsets");
        ChildJvm.Result first = run(Tail.class, Map.of("PGPASSWORD", db.password()),
                serverOptions(db, "--offsets", offsets.toString(), "--snapshot", "initial", "--max-events", "10"));
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.lines()).hasSize(10).allSatisfy(l -> assertThat(JSON.readTree(l).get("op").asText()).isEqualTo("r"));

        db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'new-' || i, i FROM generate_series(1, 5) i");
        ChildJvm.Result second = run(Tail.class, Map.of("PGPASSWORD", db.password()),
                serverOptions(db, "--offsets", offsets.toString(), "--snapshot", "initial", "--max-events", "5"));
        assertThat(second.exit()).as(second.err()).isZero();
        List<String> ids = new ArrayList<>();
        for (String line : second.lines()) {
            JsonNode event = JSON.readTree(line);
            assertThat(event.get("op").asText()).isEqualTo("c");
            ids.add(event.get("after").get("transaction_id").asText());
        }
        assertThat(ids).containsExactly("new-1", "new-2", "new-3", "new-4", "new-5");
    }
}
