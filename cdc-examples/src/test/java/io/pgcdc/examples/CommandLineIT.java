package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.generator.Schema;
import io.pgcdc.testkit.ChildJvm;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The examples driven by hand, as a new user would: which server they touch, what a failure prints,
 * how they stop, {@code -V}, and how much they say at start. Each runs in its own JVM with the
 * logging configuration the jar ships.
 */
@ExtendWith(PostgresExtension.class)
class CommandLineIT {

    private static final ObjectMapper JSON = new ObjectMapper();

    private static ChildJvm.Result run(Class<?> main, Map<String, String> env, String... args) throws IOException, InterruptedException {
        return ChildJvm.run(Duration.ofMinutes(3), main, env, args);
    }

    private static String[] hostOptions(TestDatabase db, String... more) {
        List<String> args = new ArrayList<>(List.of("--host", db.host(), "--port", Integer.toString(db.port()), "--database", db.name(),
                "--user", db.user()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private static String[] urlOptions(TestDatabase db, String... more) {
        List<String> args = new ArrayList<>(List.of("--url", db.jdbcUrl(), "--user", db.user()));
        args.addAll(List.of(more));
        return args.toArray(String[]::new);
    }

    private static boolean exists(TestDatabase db, String sql) {
        return db.queryLong("SELECT count(*) FROM (" + sql + ") found") > 0;
    }

    @Test
    void tailAppliesSqlToANamedServerOnlyWithApplySql(TestDatabase db) throws Exception {
        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        ChildJvm.Result without = run(Tail.class, env, hostOptions(db, "--max-events", "1"));
        assertThat(without.exit()).as(without.err()).isEqualTo(1);
        assertThat(without.err()).contains("error: captured table public.transactions does not exist", "(reason: MISSING_TABLE)");
        assertThat(exists(db, "SELECT 1 FROM pg_class WHERE relname = 'transactions'")).as("sql/ applied without --apply-sql").isFalse();

        ChildJvm.Result with = run(Tail.class, env, urlOptions(db, "--apply-sql", "--generate", "20"));
        assertThat(with.exit()).as(with.err()).isZero();
        assertThat(with.lines()).hasSize(20);
        assertThat(with.err()).contains("capturing public.transactions from slot 'tail' through publication '" + Schema.PUBLICATION + "'");
        assertThat(exists(db, "SELECT 1 FROM pg_trigger WHERE tgrelid = 'transactions'::regclass AND NOT tgisinternal")).isTrue();
        assertThat(exists(db, "SELECT 1 FROM pg_publication WHERE pubname = '" + Schema.PUBLICATION + "'")).isTrue();
        assertThat(exists(db, "SELECT 1 FROM pg_roles WHERE rolname = '" + Schema.CAPTURE_ROLE + "'")).isTrue();
    }

    @Test
    void replicaSinkAppliesSqlOnlyWithApplySqlAndSigtermStopsItWithExitZero(TestPostgres pg, TestDatabase db) throws Exception {
        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        try (TestDatabase replica = pg.createDatabase("replica")) {
            ChildJvm.Result without = run(ReplicaSink.class, env, hostOptions(db, "--replica-database", replica.name()));
            assertThat(without.exit()).as(without.err()).isEqualTo(1);
            assertThat(without.err()).contains("error: captured table public.transactions does not exist", "(reason: MISSING_TABLE)");

            ChildJvm sink = ChildJvm.start(ReplicaSink.class, env, hostOptions(db, "--apply-sql", "--replica-database", replica.name()));
            try {
                await().atMost(Duration.ofMinutes(2)).until(() -> sink.linesSoFar().contains("replicating into " + replica.name()));
                db.execute("INSERT INTO transactions (transaction_id, amount) VALUES ('by-hand', 1)");
                await().atMost(Duration.ofMinutes(1)).ignoreExceptions()
                        .until(() -> replica.queryLong("SELECT count(*) FROM transactions WHERE transaction_id = 'by-hand'") == 1);
                ChildJvm.Result stopped = sink.terminate(Duration.ofMinutes(1));
                assertThat(stopped.exit()).as(stopped.err()).isZero();
            } finally {
                sink.process().destroyForcibly();
            }
        }
    }

    @Test
    void replicaSinkOnTheEmbeddedServerCreatesItsReplicaDatabase() throws Exception {
        ChildJvm sink = ChildJvm.start(ReplicaSink.class, Map.of(), "--replica-database", "replica");
        try {
            await().atMost(Duration.ofMinutes(2)).until(() -> sink.linesSoFar().contains("replicating into replica") || !sink.process().isAlive());
            ChildJvm.Result stopped = sink.terminate(Duration.ofMinutes(1));
            assertThat(stopped.out()).contains("embedded PostgreSQL", "replicating into replica");
            assertThat(stopped.exit()).as(stopped.err()).isZero();
        } finally {
            sink.process().destroyForcibly();
        }
    }

    @Test
    void startErrorsAreOneLineWithTheirReasonAndNoStackTrace(TestDatabase db) throws Exception {
        ChildJvm.Result wrongPassword = run(Tail.class, Map.of("PGPASSWORD", "not-the-password"), hostOptions(db));
        assertOneLineError(wrongPassword, "error: authentication failed for user '" + db.user() + "'", "AUTHENTICATION");
        assertThat(wrongPassword.err()).doesNotContain("not-the-password");

        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        assertOneLineError(run(Tail.class, Map.of(), "--host", "127.0.0.1", "--port", Integer.toString(port)),
                "error: cannot connect to PostgreSQL at 127.0.0.1:" + port, "UNREACHABLE");

        assertOneLineError(run(Tail.class, Map.of("PGPASSWORD", db.password()), hostOptions(db, "--tables", "public.nope")),
                "error: captured table public.nope does not exist", "MISSING_TABLE");
    }

    private static void assertOneLineError(ChildJvm.Result r, String start, String reason) {
        assertThat(r.exit()).as(r.err()).isEqualTo(1);
        List<String> errors = r.err().lines().filter(l -> l.startsWith("error: ")).collect(Collectors.toList());
        assertThat(errors).hasSize(1);
        assertThat(errors.get(0)).startsWith(start).endsWith("(reason: " + reason + ")");
        assertThat(r.err()).doesNotContain("\tat ", "Exception");
        assertThat(r.err().lines().count()).as(r.err()).isLessThanOrEqualTo(5);
    }

    @Test
    void verboseAddsTheStackTrace(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(Tail.class, Map.of("PGPASSWORD", "not-the-password"), hostOptions(db, "--verbose"));
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("error: authentication failed", "io.pgcdc.CdcException: authentication failed", "\tat ");
    }

    @Test
    void sigtermStopsTailWithExitZeroAndItsOffsetsStored(TestDatabase db, @TempDir Path dir) throws Exception {
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'old-' || i, i FROM generate_series(1, 10) i");
        Map<String, String> env = Map.of("PGPASSWORD", db.password());
        String[] args = hostOptions(db, "--offsets", dir.resolve("tail.offsets").toString(), "--snapshot", "initial");

        ChildJvm tail = ChildJvm.start(Tail.class, env, args);
        ChildJvm.Result first;
        try {
            await().atMost(Duration.ofMinutes(2)).until(() -> tail.linesSoFar().size() == 10);
            db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'streamed-' || i, i FROM generate_series(1, 5) i");
            await().atMost(Duration.ofMinutes(1)).until(() -> tail.linesSoFar().size() == 15);
            first = tail.terminate(Duration.ofMinutes(1));
        } finally {
            tail.process().destroyForcibly();
        }
        assertThat(first.exit()).as(first.err()).isZero();
        assertThat(first.err()).doesNotContain("error");

        db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'new-' || i, i FROM generate_series(1, 3) i");
        String[] again = hostOptions(db, "--offsets", dir.resolve("tail.offsets").toString(), "--snapshot", "initial", "--max-events", "3");
        ChildJvm.Result second = run(Tail.class, env, again);
        assertThat(second.exit()).as(second.err()).isZero();
        List<String> ids = new ArrayList<>();
        for (String line : second.lines()) {
            ids.add(JSON.readTree(line).get("after").get("transaction_id").asText());
        }
        assertThat(ids).as("after a SIGTERM the restart repeats nothing").containsExactly("new-1", "new-2", "new-3");
    }

    @Test
    void versionIsTheProjectVersionFromTheClassPathAndFromTheJar() throws Exception {
        for (Class<?> example : List.of(QuickStart.class, AuditTrail.class, Outbox.class, Tail.class, ReplicaSink.class,
                ConnectorRegistration.class)) {
            ChildJvm.Result r = run(example, Map.of(), "-V");
            assertThat(r.exit()).as(example.getSimpleName()).isZero();
            assertThat(r.out().strip()).as(example.getSimpleName()).matches("pgcdc-examples \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
        }
        // The jar users run: built by the package phase, before these tests.
        Path jar = Path.of("target", "pgcdc-examples.jar");
        assertThat(jar).as("run mvn verify, which builds the jar first").exists();
        Process p = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "java").toString(), "-cp", jar.toString(),
                Tail.class.getName(), "-V").redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
        assertThat(p.waitFor(60, TimeUnit.SECONDS)).isTrue();
        assertThat(p.exitValue()).isZero();
        assertThat(out.strip()).isEqualTo(run(Tail.class, Map.of(), "-V").out().strip());
    }

    @Test
    void urlNamesTheServerAsHostPortAndDatabaseDoButNotBoth(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(QuickStart.class, Map.of("PGPASSWORD", db.password()), urlOptions(db, "--changes", "100", "--quiet"));
        assertThat(r.exit()).as(r.out() + r.err()).isZero();
        assertThat(r.out()).contains("PostgreSQL at " + db.host() + ":" + db.port() + "/" + db.name(), "OK: every change");

        ChildJvm.Result both = run(Tail.class, Map.of(), "--url", db.jdbcUrl(), "--host", db.host());
        assertThat(both.exit()).isEqualTo(2);
        assertThat(both.err()).contains("--url=JDBC_URL", "--host=<host>", "are mutually exclusive");

        ChildJvm.Result withPassword = run(Tail.class, Map.of(), "--url", db.jdbcUrl() + "?password=hunter2");
        assertThat(withPassword.exit()).isEqualTo(2);
        assertThat(withPassword.err()).contains("Invalid value for option '--url': it has parameters [password]").doesNotContain("hunter2");
    }

    @Test
    void tailSaysWhatItCapturesInAFewLinesWithoutDebeziumsConfiguration() throws Exception {
        ChildJvm.Result r = run(Tail.class, Map.of(), "--generate", "10");
        assertThat(r.exit()).as(r.err()).isZero();
        List<String> err = r.err().lines().collect(Collectors.toList());
        assertThat(err).as(r.err()).hasSizeLessThan(30)
                .contains("capturing public.transactions from slot 'tail' through publication 'pgcdc_pub', snapshot NONE, offsets memory")
                .noneMatch(l -> l.contains(" INFO ") && !l.contains(" INFO  i.p.") && !l.contains(" INFO  io.pgcdc."));

        ChildJvm.Result verbose = run(Tail.class, Map.of(), "--generate", "10", "--verbose");
        assertThat(verbose.exit()).as(verbose.err()).isZero();
        assertThat(verbose.err().lines().filter(l -> l.contains(" INFO  i.d.")).count()).isGreaterThan(30);
    }
}
