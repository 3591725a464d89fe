package io.pgcdc.generator;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcdc.testkit.ChildJvm;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.generator.cli.GeneratorCommand;
import java.io.IOException;
import java.net.ServerSocket;
import java.time.Duration;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The command line as a user runs it: a separate JVM, the password in the environment, exit codes. */
@ExtendWith(PostgresExtension.class)
class GeneratorCommandIT {

    private static ChildJvm.Result run(Map<String, String> env, String... args) throws IOException, InterruptedException {
        return ChildJvm.run(Duration.ofSeconds(60), GeneratorCommand.class, env, args);
    }

    @Test
    void writesTheRequestedChangesAndPrintsAOneLineSummary(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(Map.of("PGPASSWORD", db.password()), "--url", db.jdbcUrl(), "--user", db.user(), "--count", "1000",
                "--mix", "80,10,10", "--rows-per-transaction", "50");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out().strip()).matches("wrote \\d+ inserts, \\d+ updates, \\d+ deletes in 20 transactions, .* changes/s");
        assertThat(r.out() + r.err()).doesNotContain(db.password());
        assertThat(db.queryLong("SELECT count(*) FROM transactions")).isPositive();
    }

    @Test
    void helpListsTheOptions() throws Exception {
        ChildJvm.Result r = run(Map.of(), "--help");
        assertThat(r.exit()).isZero();
        assertThat(r.out()).contains("--url", "--host", "--port", "--database", "--user", "--password-env", "--password", "--count", "--duration", "--rate",
                "--rows-per-transaction", "--mix", "--seed", "--verbose");
    }

    @Test
    void hostPortAndDatabaseNameTheDatabaseAsTheExamplesTakeIt(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(Map.of("PGPASSWORD", db.password()), "--host", db.host(), "--port", Integer.toString(db.port()),
                "--database", db.name(), "--user", db.user(), "--count", "100");
        assertThat(r.exit()).as(r.err()).isZero();
        assertThat(r.out()).startsWith("wrote ");
        assertThat(db.queryLong("SELECT count(*) FROM transactions")).isPositive();
    }

    @Test
    void urlAndHostAreMutuallyExclusive(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(Map.of(), "--host", db.host(), "--url", db.jdbcUrl(), "--count", "10");
        assertThat(r.exit()).isEqualTo(2);
        assertThat(r.err()).contains("--url=JDBC_URL", "--host=<host>", "are mutually exclusive");
    }

    @Test
    void versionPrintsTheVersion() throws Exception {
        ChildJvm.Result r = run(Map.of(), "-V");
        assertThat(r.exit()).isZero();
        assertThat(r.out().strip()).matches("pgcdc-generator \\d+\\.\\d+\\.\\d+(-SNAPSHOT)?");
    }

    @Test
    void wrongPasswordIsAClearErrorWithoutStackTrace(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(Map.of("PGPASSWORD", "wrong"), "--url", db.jdbcUrl(), "--user", db.user(), "--count", "10");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: authentication failed for user '" + db.user() + "'").doesNotContain("\tat ");
    }

    @Test
    void verboseAddsTheStackTrace(TestDatabase db) throws Exception {
        ChildJvm.Result r = run(Map.of("PGPASSWORD", "wrong"), "--url", db.jdbcUrl(), "--user", db.user(), "--count", "10", "--verbose");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).contains("\tat ");
    }

    @Test
    void unreachableDatabaseIsAClearError() throws Exception {
        int port;
        try (ServerSocket s = new ServerSocket(0)) {
            port = s.getLocalPort();
        }
        ChildJvm.Result r = run(Map.of(), "--url", "jdbc:postgresql://127.0.0.1:" + port + "/postgres", "--count", "10");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: cannot connect to jdbc:postgresql://127.0.0.1:" + port + "/postgres")
                .contains("check host and port").doesNotContain("\tat ");
    }

    @Test
    void aTableOfAnotherShapeIsAClearError(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE transactions (id int PRIMARY KEY)");
        ChildJvm.Result r = run(Map.of("PGPASSWORD", db.password()), "--url", db.jdbcUrl(), "--user", db.user(), "--count", "10");
        assertThat(r.exit()).isEqualTo(1);
        assertThat(r.err()).startsWith("error: table transactions does not have the shape the generator writes: ")
                .contains("column transaction_id is missing").doesNotContain("\tat ");
    }

    @Test
    void optionsThatMakeNoSenseAreUsageErrors() throws Exception {
        assertUsageError(run(Map.of(), "--rate", "-5"), "--rate must be 0 (full speed) or a positive number");
        assertUsageError(run(Map.of(), "--count", "0"), "--count must be positive, not 0");
        assertUsageError(run(Map.of(), "--count", "5", "--duration", "10s"), "set --count or --duration, not both");
        assertUsageError(run(Map.of(), "--mix", "50,50,50"), "--mix must be three non-negative percentages adding up to 100");
        assertUsageError(run(Map.of(), "--duration", "soon"), "'soon' is not a duration");
        assertUsageError(run(Map.of(), "--rows-per-transaction", "0"), "--rows-per-transaction must be between 1 and 1000000");
    }

    private static void assertUsageError(ChildJvm.Result r, String message) {
        assertThat(r.exit()).as(r.err()).isEqualTo(2);
        assertThat(r.err()).contains(message).doesNotContain("\tat ");
    }
}
