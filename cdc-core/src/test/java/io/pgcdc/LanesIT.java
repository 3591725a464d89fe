package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** Lanes: changes of one row in order, different rows at once, offsets never past an unfinished event. */
@ExtendWith(PostgresExtension.class)
class LanesIT {

    private static final int ROWS = 200;
    private static final int VERSIONS = 10;

    @Test
    void eachRowsChangesArriveInOrderWhileRowsAreHandledAtOnce(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'row-' || i, 0 FROM generate_series(1, " + ROWS + ") i");
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL).lanes(8).build();
        Map<String, List<Integer>> versions = new ConcurrentHashMap<>();
        Set<String> threads = ConcurrentHashMap.newKeySet();
        AtomicInteger running = new AtomicInteger();
        AtomicInteger mostAtOnce = new AtomicInteger();
        AtomicInteger received = new AtomicInteger();
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) throws Exception {
                int now = running.incrementAndGet();
                mostAtOnce.accumulateAndGet(now, Math::max);
                threads.add(Thread.currentThread().getName());
                Thread.sleep(1); // a listener waiting on I/O
                versions.computeIfAbsent(event.after().getString("transaction_id"), k -> new CopyOnWriteArrayList<>())
                        .add(event.after().getDecimal("amount").intValue());
                running.decrementAndGet();
                received.incrementAndGet();
            }
        };
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            // Every row updated VERSIONS times, the rows interleaved, ten rows per transaction.
            for (int v = 1; v <= VERSIONS; v++) {
                for (int from = 1; from <= ROWS; from += 10) {
                    db.execute("UPDATE transactions SET amount = " + v + " WHERE transaction_id IN ("
                            + String.join(",", java.util.stream.IntStream.range(from, from + 10).mapToObj(i -> "'row-" + i + "'").toList()) + ")");
                }
            }
            await().atMost(Duration.ofSeconds(60)).until(() -> received.get() == ROWS * (VERSIONS + 1));
        }
        assertThat(versions).hasSize(ROWS);
        List<Integer> expected = new ArrayList<>();
        for (int v = 0; v <= VERSIONS; v++) {
            expected.add(v);
        }
        versions.forEach((row, seen) -> assertThat(seen).as("the changes of %s in commit order", row).isEqualTo(expected));
        assertThat(threads).as("lane threads").allMatch(t -> t.contains("-lane-")).hasSizeGreaterThan(1);
        assertThat(mostAtOnce.get()).as("callbacks running at once").isGreaterThan(1);
    }

    @Test
    void aFailureInALaneStopsTheEngineAndItsEventComesAgainAfterARestart(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).lanes(4).offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        RecordingListener failing = new RecordingListener().failOn(e -> "poison".equals(e.after().getString("transaction_id")));
        try (CdcEngine engine = CdcEngine.create(config, failing)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'before-' || i FROM generate_series(1, 50) i",
                    "INSERT INTO transactions (transaction_id) VALUES ('poison')",
                    "INSERT INTO transactions (transaction_id) SELECT 'after-' || i FROM generate_series(1, 50) i");
            assertThat(engine.awaitTermination(Duration.ofSeconds(60))).isTrue();
            assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
            assertThat(engine.failure()).get().isInstanceOf(ListenerException.class);
        }
        RecordingListener healthy = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, healthy)) {
            engine.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> healthy.distinct("transaction_id").containsAll(Set.of("poison", "after-50")));
        }
        Map<String, Integer> seen = new HashMap<>();
        failing.events().forEach(e -> seen.merge(e.after().getString("transaction_id"), 1, Integer::sum));
        healthy.events().forEach(e -> seen.merge(e.after().getString("transaction_id"), 1, Integer::sum));
        assertThat(seen).as("every change at least once over both runs").hasSize(101);
        assertThat(healthy.distinct("transaction_id")).as("the failed event and all after it come again").contains("poison")
                .containsAll(java.util.stream.IntStream.rangeClosed(1, 50).mapToObj(i -> "after-" + i).toList());
    }

    @Test
    void aBatchListenerTakesNoLanes(TestDatabase db) {
        CdcConfig config = TestConfigs.transactions(db).lanes(2).build();
        assertThatThrownBy(() -> CdcEngine.create(config, (BatchListener) batch -> { }))
                .isInstanceOf(IllegalArgumentException.class).hasMessageContaining("apply to a ChangeListener");
    }
}
