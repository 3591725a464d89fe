package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.Schema;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import io.pgcdc.testkit.ChildJvm;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.Statement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/**
 * The replica sink, killed with -9 again and again while the generator writes: in the end the replica
 * equals the source, and every change was applied exactly once (its counter equals the changes written).
 */
@ExtendWith(PostgresExtension.class)
class ReplicaSinkIT {

    @Test
    void killedRepeatedlyTheReplicaEndsEqualWithEveryChangeAppliedOnce(TestPostgres pg, TestDatabase db, @TempDir Path dir)
            throws Exception {
        int kills = Integer.getInteger("pgcdc.replica.kills", 8);
        long seed = Long.getLong("pgcdc.crash.seed", System.nanoTime());
        Random random = new Random(seed);
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        try (TestDatabase replica = pg.createDatabase("replica")) {
            Map<String, String> env = Map.of("PGPASSWORD", db.password());
            String[] args = {"--host", db.host(), "--port", Integer.toString(db.port()), "--database", db.name(), "--user", db.user(),
                "--replica-database", replica.name(), "--offsets", dir.resolve("replica.offsets").toString()};
            TransactionGenerator writer = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password())
                    .build();
            // One change first, so the engine has seen a commit: SinkProgress orders changes after one.
            db.execute("INSERT INTO transactions (transaction_id, amount) VALUES ('warm-up', 1)");
            CompletableFuture<GeneratorReport> writing = null;
            try {
                for (int i = 0; i < kills; i++) {
                    ChildJvm sink = ChildJvm.start(ReplicaSink.class, env, args);
                    try {
                        if (i == 0) {
                            waitFor(() -> replica.queryLong("SELECT count(*) FROM information_schema.tables WHERE table_name = 'replica_stats'") == 1
                                    && replica.queryLong("SELECT applied FROM replica_stats") >= 1, Duration.ofSeconds(60));
                            writing = CompletableFuture.supplyAsync(() -> writer.run(Workload.builder().mix(70, 20, 10).rate(500)
                                    .rowsPerTransaction(10).seed(seed).trackIds(false).build()));
                        }
                        Thread.sleep(500 + random.nextInt(2_500));
                    } finally {
                        sink.kill();
                    }
                }
            } finally {
                writer.stop();
            }
            GeneratorReport written = writing.get(60, TimeUnit.SECONDS);
            long expectedChanges = 1 + written.total();

            ChildJvm last = ChildJvm.start(ReplicaSink.class, env, args);
            try {
                waitFor(() -> rows(replica).equals(rows(db)), Duration.ofSeconds(120));
                last.terminate(Duration.ofSeconds(60));
            } finally {
                last.process().destroyForcibly();
            }
            System.out.printf("replica sink (seed %d): %d kill -9, %d changes written, %d applied, %d rows equal%n", seed, kills,
                    expectedChanges, replica.queryLong("SELECT applied FROM replica_stats"), rows(db).size());
            assertThat(rows(replica)).isEqualTo(rows(db));
            assertThat(replica.queryLong("SELECT applied FROM replica_stats")).as("changes applied (seed %d)", seed)
                    .isEqualTo(expectedChanges);
        }
    }

    private static List<String> rows(TestDatabase db) {
        List<String> rows = new ArrayList<>();
        String columns = "\"" + String.join("\", \"", ReplicaSink.COLUMNS) + "\"";
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT row(" + columns + ")::text FROM transactions ORDER BY transaction_id")) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException(e);
        }
        return rows;
    }

    /** Waits until the condition holds; a query against tables the sink has not created yet counts as "not yet". */
    private static void waitFor(java.util.function.BooleanSupplier condition, Duration timeout) {
        org.awaitility.Awaitility.await().atMost(timeout).pollInterval(Duration.ofMillis(100))
                .ignoreException(IllegalStateException.class).until(condition::getAsBoolean);
    }
}
