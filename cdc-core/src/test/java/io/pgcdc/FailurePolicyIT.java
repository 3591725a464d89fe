package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Each listener failure policy behaves as documented, and offsets never pass an unhandled event. */
@ExtendWith(PostgresExtension.class)
class FailurePolicyIT {

    private static final Duration WAIT = Duration.ofSeconds(30);
    private static final FailurePolicy QUICK_RETRY = FailurePolicy.retry(3, Duration.ofMillis(10), Duration.ofMillis(40));

    /** Fails on tx-2 the given number of times (or always, with -1), records everything else. */
    private static final class Flaky implements ChangeListener {
        final List<String> handled = new CopyOnWriteArrayList<>();
        final AtomicInteger attemptsOnTx2 = new AtomicInteger();
        private final int failures;

        Flaky(int failures) {
            this.failures = failures;
        }

        @Override
        public void onInsert(ChangeEvent event) {
            String id = event.after().getString("transaction_id");
            if (id.equals("tx-2") && (failures < 0 || attemptsOnTx2.incrementAndGet() <= failures)) {
                if (failures < 0) {
                    attemptsOnTx2.incrementAndGet();
                }
                throw new IllegalStateException("downstream unavailable");
            }
            handled.add(id);
        }
    }

    private static CdcConfig config(TestDatabase db, Path dir, FailurePolicy policy) {
        TestConfigs.createTransactions(db);
        return TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).failurePolicy(policy).build();
    }

    @Test
    void retryRecoversFromATransientFailureWithoutReordering(TestDatabase db, @TempDir Path dir) {
        Flaky listener = new Flaky(2);
        try (CdcEngine engine = CdcEngine.create(config(db, dir, QUICK_RETRY), listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 4) i");
            await().atMost(WAIT).until(() -> listener.handled.size() >= 4);
            assertThat(engine.state()).isEqualTo(CdcEngine.State.RUNNING);
        }
        assertThat(listener.handled).containsExactly("tx-1", "tx-2", "tx-3", "tx-4");
        assertThat(listener.attemptsOnTx2).hasValue(3);
    }

    @Test
    void retryThatNeverSucceedsStopsAndTheEventComesBack(TestDatabase db, @TempDir Path dir) throws Exception {
        CdcConfig config = config(db, dir, QUICK_RETRY);
        Flaky listener = new Flaky(-1);
        CdcEngine engine = CdcEngine.create(config, listener);
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 4) i");
        assertThat(engine.awaitTermination(WAIT)).isTrue();
        assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
        assertThat(engine.failure()).get().isInstanceOf(ListenerException.class);
        assertThat(listener.attemptsOnTx2).hasValue(4);
        assertThat(listener.handled).containsExactly("tx-1");

        Flaky healthy = new Flaky(0);
        try (CdcEngine restarted = CdcEngine.create(config, healthy)) {
            restarted.start();
            await().atMost(WAIT).until(() -> healthy.handled.size() >= 3);
        }
        assertThat(healthy.handled).containsExactly("tx-2", "tx-3", "tx-4");
    }

    @Test
    void deadLetteredEventsAreHandedOverOnceAndTheEngineGoesOn(TestDatabase db, @TempDir Path dir) throws Exception {
        List<String> deadLetters = new CopyOnWriteArrayList<>();
        FailurePolicy policy = QUICK_RETRY.thenDeadLetter((event, error) ->
                deadLetters.add(event.after().getString("transaction_id") + ": " + error.getMessage()));
        CdcConfig config = config(db, dir, policy);
        Flaky listener = new Flaky(-1);
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 4) i");
            await().atMost(WAIT).until(() -> listener.handled.size() >= 3);
            assertThat(engine.state()).isEqualTo(CdcEngine.State.RUNNING);
        }
        assertThat(listener.handled).containsExactly("tx-1", "tx-3", "tx-4");
        assertThat(deadLetters).containsExactly("tx-2: downstream unavailable");

        Flaky afterRestart = new Flaky(0);
        try (CdcEngine restarted = CdcEngine.create(config, afterRestart)) {
            restarted.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('tx-5')");
            await().atMost(WAIT).until(() -> afterRestart.handled.size() >= 1);
            Thread.sleep(300);
        }
        assertThat(afterRestart.handled).as("a dead-lettered event is handled: it does not come back").containsExactly("tx-5");
    }

    @Test
    void aDeadLetterHandlerThatThrowsStopsTheEngineAndTheEventComesBack(TestDatabase db, @TempDir Path dir) throws Exception {
        FailurePolicy policy = QUICK_RETRY.thenDeadLetter((event, error) -> {
            throw new IllegalStateException("dead-letter table is full");
        });
        CdcConfig config = config(db, dir, policy);
        CdcEngine engine = CdcEngine.create(config, new Flaky(-1));
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 4) i");
        assertThat(engine.awaitTermination(WAIT)).isTrue();
        assertThat(engine.failure()).get().isInstanceOf(ListenerException.class)
                .satisfies(f -> assertThat(f.getSuppressed()).extracting(Throwable::getMessage).containsExactly("dead-letter table is full"));

        Flaky healthy = new Flaky(0);
        try (CdcEngine restarted = CdcEngine.create(config.toBuilder().failurePolicy(FailurePolicy.stop()).build(), healthy)) {
            restarted.start();
            await().atMost(WAIT).until(() -> healthy.handled.size() >= 3);
        }
        assertThat(healthy.handled).containsExactly("tx-2", "tx-3", "tx-4");
    }

    @Test
    void closeCutsARetryBackoffShortAndLeavesTheEventUnacknowledged(TestDatabase db, @TempDir Path dir) throws Exception {
        CdcConfig config = config(db, dir, FailurePolicy.retry(100, Duration.ofSeconds(10), Duration.ofSeconds(10)));
        Flaky listener = new Flaky(-1);
        CdcEngine engine = CdcEngine.create(config, listener);
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 3) i");
        await().atMost(WAIT).until(() -> listener.attemptsOnTx2.get() >= 1);
        long started = System.nanoTime();
        engine.close();
        assertThat(Duration.ofNanos(System.nanoTime() - started)).as("close waited for a 10 s backoff").isLessThan(Duration.ofSeconds(9));
        assertThat(engine.state()).isEqualTo(CdcEngine.State.STOPPED);

        Flaky healthy = new Flaky(0);
        try (CdcEngine restarted = CdcEngine.create(config.toBuilder().failurePolicy(FailurePolicy.stop()).build(), healthy)) {
            restarted.start();
            await().atMost(WAIT).until(() -> healthy.handled.size() >= 2);
        }
        assertThat(healthy.handled).containsExactly("tx-2", "tx-3");
    }
}
