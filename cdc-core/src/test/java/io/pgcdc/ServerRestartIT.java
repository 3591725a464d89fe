package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** PostgreSQL crashes (pg_ctl -m immediate) under a running engine: it reconnects and loses nothing. */
class ServerRestartIT {

    @Test
    void anImmediateRestartMidStreamLosesNoCommittedChange(@TempDir Path dir) throws Exception {
        try (TestPostgres pg = TestPostgres.embedded().start(); TestDatabase db = pg.createDatabase("restart")) {
            TestConfigs.createTransactions(db);
            CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
            RecordingListener listener = new RecordingListener();
            Set<String> committed = ConcurrentHashMap.newKeySet();
            AtomicBoolean writing = new AtomicBoolean(true);
            try (CdcEngine engine = CdcEngine.create(config, listener)) {
                engine.start();
                CompletableFuture<Void> writer = CompletableFuture.runAsync(() -> {
                    for (int n = 1; writing.get(); n++) {
                        try (var c = db.connect(); var s = c.createStatement()) {
                            s.execute("INSERT INTO transactions (transaction_id) VALUES ('tx-" + n + "')");
                            committed.add("tx-" + n);
                        } catch (SQLException serverDown) {
                            // Not committed (or unknown): not expected, allowed to arrive.
                        }
                        sleep(10);
                    }
                });
                await().atMost(Duration.ofSeconds(30)).until(() -> listener.size() > 100);
                int beforeRestart = committed.size();
                pg.restart(true);
                // Keep writing after the restart, while the engine reconnects.
                await().atMost(Duration.ofSeconds(60)).until(() -> committed.size() > beforeRestart + 200);
                writing.set(false);
                writer.get();
                await().atMost(Duration.ofSeconds(90)).until(() -> listener.distinct("transaction_id").containsAll(committed));
                await().atMost(Duration.ofSeconds(10)).until(() -> engine.state() == CdcEngine.State.RUNNING);
            }
            assertThat(listener.distinct("transaction_id")).containsAll(committed);
            assertThat(committed).hasSizeGreaterThan(300);
            assertThat(listener.events()).as("a change committed once").allSatisfy(e -> assertThat(e.operation()).isEqualTo(Operation.CREATE));
            // A repeat after the restart carries the id it had; two rows never share one.
            java.util.Map<String, String> idByRow = new java.util.HashMap<>();
            for (ChangeEvent e : listener.events()) {
                String previous = idByRow.putIfAbsent(e.after().getString("transaction_id"), e.idempotencyKey());
                assertThat(previous == null || previous.equals(e.idempotencyKey())).as("id of %s", e.after()).isTrue();
            }
            assertThat(new java.util.HashSet<>(idByRow.values())).hasSameSizeAs(idByRow.keySet());
            System.out.printf("PostgreSQL restart: %d events, %d rows%n", listener.size(), idByRow.size());
        }
    }

    private static void sleep(long millis) {
        try {
            Thread.sleep(millis);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
