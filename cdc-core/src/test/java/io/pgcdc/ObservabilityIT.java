package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.distribution.ValueAtPercentile;
import io.micrometer.core.instrument.simple.SimpleMeterRegistry;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.time.Duration;
import java.time.Instant;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** What an application sees of a running engine: its Micrometer meters and its health, in every state. */
@ExtendWith(PostgresExtension.class)
class ObservabilityIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    private static double counter(MeterRegistry registry, String name, String... tags) {
        Counter c = registry.find(name).tags(tags).counter();
        if (c != null) {
            return c.count();
        }
        FunctionCounter f = registry.find(name).tags(tags).functionCounter();
        return f == null ? -1 : f.count();
    }

    private static double gauge(MeterRegistry registry, String name, String... tags) {
        Gauge g = registry.find(name).tags(tags).gauge();
        return g == null ? Double.NaN : g.value();
    }

    @Test
    void metersCountEventsByTableAndOperationAndMeasureLagSnapshotAndState(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'old-' || i FROM generate_series(1, 25) i");
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL)
                .property("retriable.restart.connector.wait.ms", "3000").build();
        RecordingListener listener = new RecordingListener();
        MeterRegistry registry = new SimpleMeterRegistry();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            CdcMetrics.of(engine, Tags.of("app", "orders")).bindTo(registry);
            assertThat(gauge(registry, "pgcdc.engine.state", "state", "new")).isEqualTo(1);
            engine.start();
            await().atMost(WAIT).until(() -> listener.size() == 25);
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'new-' || i FROM generate_series(1, 4) i");
            db.execute("UPDATE transactions SET amount = 7 WHERE transaction_id IN ('new-1', 'new-2')");
            db.execute("DELETE FROM transactions WHERE transaction_id = 'new-3'");
            db.execute("SELECT pg_logical_emit_message(true, 'outbox', 'hello')");
            await().atMost(WAIT).until(() -> listener.size() == 25 + 7);
            await().atMost(WAIT).until(() -> counter(registry, "pgcdc.messages", "prefix", "outbox") == 1);

            String[] table = {"engine", config.name(), "app", "orders", "table", "public.transactions"};
            assertThat(counter(registry, "pgcdc.events", append(table, "operation", "read"))).isEqualTo(25);
            assertThat(counter(registry, "pgcdc.events", append(table, "operation", "create"))).isEqualTo(4);
            assertThat(counter(registry, "pgcdc.events", append(table, "operation", "update"))).isEqualTo(2);
            assertThat(counter(registry, "pgcdc.events", append(table, "operation", "delete"))).isEqualTo(1);
            assertThat(counter(registry, "pgcdc.snapshot.rows")).isEqualTo(25);
            assertThat(gauge(registry, "pgcdc.snapshot.running")).isZero();

            // Lag: one sample per streamed event (snapshot rows have no commit), with the three percentiles.
            Timer lag = registry.find("pgcdc.lag").tags("engine", config.name()).timer();
            assertThat(lag).isNotNull();
            assertThat(lag.count()).isEqualTo(4 + 2 + 1 + 1);
            assertThat(lag.max(TimeUnit.MILLISECONDS)).isBetween(0.0, 30_000.0);
            assertThat(lag.takeSnapshot().percentileValues()).extracting(ValueAtPercentile::percentile).containsExactly(0.5, 0.95, 0.99);
            Timer changes = registry.find("pgcdc.listener.duration").tags("callback", "change").timer();
            assertThat(changes.count()).isEqualTo(25 + 7);
            assertThat(registry.find("pgcdc.listener.duration").tags("callback", "message").timer().count()).isEqualTo(1);

            await().atMost(WAIT).until(() -> !Double.isNaN(gauge(registry, "pgcdc.slot.lag")));
            assertThat(registry.find("pgcdc.slot.lag").gauge().getId().getBaseUnit()).isEqualTo("bytes");
            assertThat(gauge(registry, "pgcdc.engine.state", "state", "running")).isEqualTo(1);
            assertThat(gauge(registry, "pgcdc.engine.state", "state", "new")).isZero();
            assertThat(counter(registry, "pgcdc.reconnects")).isZero();

            // A lost stream is counted once the health check sees it.
            assertThat(db.queryLong("SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots"
                    + " WHERE slot_name = '" + config.slotName() + "' AND active")).isEqualTo(1);
            await().atMost(WAIT).until(() -> counter(registry, "pgcdc.reconnects") == 1);
            await().atMost(WAIT).until(() -> engine.state() == CdcEngine.State.RUNNING);
        }
        assertThat(gauge(registry, "pgcdc.engine.state", "state", "stopped")).isEqualTo(1);
    }

    @Test
    void retriesAndDeadLettersAreCounted(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        List<ChangeEvent> dead = new CopyOnWriteArrayList<>();
        CdcConfig config = TestConfigs.transactions(db)
                .failurePolicy(FailurePolicy.retry(2, Duration.ofMillis(10), Duration.ofMillis(20)).thenDeadLetter((event, error) -> dead.add(event))).build();
        MeterRegistry registry = new SimpleMeterRegistry();
        ChangeListener poisoned = new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) {
                if (event.after().getString("transaction_id").startsWith("bad")) {
                    throw new IllegalStateException("cannot handle " + event.id());
                }
            }
        };
        try (CdcEngine engine = CdcEngine.create(config, poisoned)) {
            CdcMetrics.of(engine).bindTo(registry);
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('bad-1'), ('good-1')");
            await().atMost(WAIT).until(() -> counter(registry, "pgcdc.events", "operation", "create") == 2);
            await().atMost(WAIT).until(() -> dead.size() == 1);
            assertThat(counter(registry, "pgcdc.listener.retries")).isEqualTo(2);
            assertThat(counter(registry, "pgcdc.dead.letters")).isEqualTo(1);
        }
    }

    @Test
    void healthInEveryState(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).property("retriable.restart.connector.wait.ms", "3000").build();
        CountDownLatch inCallback = new CountDownLatch(1);
        CountDownLatch release = new CountDownLatch(1);
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) throws InterruptedException {
                if (event.after() != null && "slow".equals(event.after().getString("transaction_id"))) {
                    inCallback.countDown();
                    release.await();
                }
            }
        };
        CdcEngine engine = CdcEngine.create(config, listener);
        EngineHealth fresh = engine.health();
        assertThat(fresh.state()).isEqualTo(CdcEngine.State.NEW);
        assertThat(fresh.isHealthy()).isFalse();
        assertThat(fresh.lastEventTime()).isEmpty();
        assertThat(fresh.lag()).isEmpty();
        assertThat(fresh.slotLagBytes()).isEmpty();
        assertThat(fresh.failure()).isEmpty();

        List<CdcEngine.State> seenWhileStarting = new CopyOnWriteArrayList<>();
        CompletableFuture<Void> watcher = CompletableFuture.runAsync(() -> {
            while (engine.state() == CdcEngine.State.NEW || engine.state() == CdcEngine.State.STARTING) {
                seenWhileStarting.add(engine.health().state());
                Thread.onSpinWait();
            }
        });
        engine.start();
        watcher.get(10, TimeUnit.SECONDS);
        assertThat(seenWhileStarting).contains(CdcEngine.State.STARTING);

        Instant before = Instant.now();
        db.execute("INSERT INTO transactions (transaction_id) VALUES ('first')");
        await().atMost(WAIT).until(() -> engine.health().eventsDelivered() == 1 && engine.health().slotLagBytes().isPresent());
        EngineHealth running = engine.health();
        assertThat(running.state()).isEqualTo(CdcEngine.State.RUNNING);
        assertThat(running.isHealthy()).isTrue();
        assertThat(running.lastEventTime()).get().matches(t -> !t.isBefore(before.minusSeconds(1)));
        assertThat(running.lag()).get().matches(l -> !l.isNegative() && l.compareTo(Duration.ofSeconds(30)) < 0);
        assertThat(running.problem()).isEmpty();
        assertThat(running.toString()).startsWith("EngineHealth[RUNNING, events 1");

        assertThat(db.queryLong("SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots"
                + " WHERE slot_name = '" + config.slotName() + "' AND active")).isEqualTo(1);
        await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> engine.health().state() == CdcEngine.State.RECONNECTING);
        EngineHealth reconnecting = engine.health();
        assertThat(reconnecting.isHealthy()).isFalse();
        assertThat(reconnecting.problem()).get().asString().contains("is not active");
        await().atMost(WAIT).until(() -> engine.health().state() == CdcEngine.State.RUNNING);

        db.execute("INSERT INTO transactions (transaction_id) VALUES ('slow')");
        assertThat(inCallback.await(60, TimeUnit.SECONDS)).isTrue();
        CompletableFuture<Void> closing = CompletableFuture.runAsync(engine::close);
        await().atMost(WAIT).until(() -> engine.health().state() == CdcEngine.State.STOPPING);
        release.countDown();
        closing.get(60, TimeUnit.SECONDS);
        EngineHealth stopped = engine.health();
        assertThat(stopped.state()).isEqualTo(CdcEngine.State.STOPPED);
        assertThat(stopped.eventsDelivered()).isEqualTo(2);
        assertThat(stopped.failure()).isEmpty();

        ChangeListener failing = new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) {
                throw new IllegalStateException("listener broke");
            }
        };
        try (CdcEngine broken = CdcEngine.create(TestConfigs.transactions(db).name(config.name() + "-failing").build(), failing)) {
            broken.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('boom')");
            await().atMost(WAIT).until(() -> broken.health().state() == CdcEngine.State.FAILED);
            EngineHealth failed = broken.health();
            assertThat(failed.isHealthy()).isFalse();
            assertThat(failed.failure()).get().extracting(CdcException::reason).isEqualTo(FailureReason.LISTENER);
            assertThat(failed.toString()).contains("failure: ");
        }
    }

    @Test
    void theEndOfASnapshotIsNoFalseReconnectAlarm(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'old-' || i FROM generate_series(1, 2000) i");
        // Reported by a user trying Tail: one first start in four said RECONNECTING between the snapshot and the stream.
        for (int start = 1; start <= 4; start++) {
            CdcConfig config = TestConfigs.transactions(db).name("alarm" + start).snapshotMode(SnapshotMode.INITIAL).build();
            RecordingListener listener = new RecordingListener();
            MeterRegistry registry = new SimpleMeterRegistry();
            List<CdcEngine.State> states = new CopyOnWriteArrayList<>();
            try (CdcEngine engine = CdcEngine.create(config, listener)) {
                CdcMetrics.of(engine).bindTo(registry);
                engine.start();
                await().atMost(WAIT).pollInterval(Duration.ofMillis(20)).until(() -> {
                    states.add(engine.state());
                    return listener.size() == 2000;
                });
                // Three health checks after the snapshot's end.
                long until = System.nanoTime() + Duration.ofSeconds(3).toNanos();
                while (System.nanoTime() < until) {
                    states.add(engine.state());
                    Thread.sleep(20);
                }
                assertThat(states).as("start %d", start).doesNotContain(CdcEngine.State.RECONNECTING);
                assertThat(counter(registry, "pgcdc.reconnects")).isZero();
                assertThat(engine.health().problem()).isEmpty();
            }
            db.execute("SELECT pg_drop_replication_slot('" + config.slotName() + "')");
        }
    }

    private static String[] append(String[] tags, String... more) {
        String[] all = java.util.Arrays.copyOf(tags, tags.length + more.length);
        System.arraycopy(more, 0, all, tags.length, more.length);
        return all;
    }
}
