package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicBoolean;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The replication connection dies under a running engine: it reconnects, says so meanwhile, and loses nothing. */
@ExtendWith(PostgresExtension.class)
class ConnectionFaultsIT {

    @Test
    void walsenderKilledMidStreamTheEngineReconnectsAndLosesNothing(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("engine.offsets")))
                // A 3 s pause before reconnecting, so that the 1 s health check surely sees the stream down.
                .property("retriable.restart.connector.wait.ms", "3000").build();
        RecordingListener listener = new RecordingListener();
        List<CdcEngine.State> states = new CopyOnWriteArrayList<>();
        AtomicBoolean writing = new AtomicBoolean(true);
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            CompletableFuture<Integer> writer = CompletableFuture.supplyAsync(() -> {
                int n = 0;
                while (writing.get()) {
                    db.execute("INSERT INTO transactions (transaction_id) VALUES ('tx-" + (++n) + "')");
                    sleep(5);
                }
                return n;
            });
            for (int kill = 0; kill < 2; kill++) {
                await().atMost(Duration.ofSeconds(30)).until(() -> engine.state() == CdcEngine.State.RUNNING);
                long before = listener.size();
                await().atMost(Duration.ofSeconds(30)).until(() -> listener.size() > before + 50);
                assertThat(db.queryLong("SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots"
                        + " WHERE slot_name = '" + config.slotName() + "' AND active")).isEqualTo(1);
                await().atMost(Duration.ofSeconds(10)).pollInterval(Duration.ofMillis(20)).until(() -> {
                    states.add(engine.state());
                    return engine.state() == CdcEngine.State.RECONNECTING;
                });
                assertThat(engine.problem()).get().asString().contains("is not active");
            }
            writing.set(false);
            int written = writer.get();
            await().atMost(Duration.ofSeconds(60)).until(() -> listener.distinct("transaction_id").size() >= written);
            await().atMost(Duration.ofSeconds(10)).until(() -> engine.state() == CdcEngine.State.RUNNING);
            assertThat(engine.problem()).isEmpty();
            assertThat(engine.slotLagBytes()).isPresent();

            Set<String> expected = new HashSet<>();
            for (int i = 1; i <= written; i++) {
                expected.add("tx-" + i);
            }
            assertThat(listener.distinct("transaction_id")).isEqualTo(expected);
            assertThat(states).contains(CdcEngine.State.RECONNECTING);
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
