package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.nio.file.Path;
import java.time.Duration;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** The engine's own initial snapshot: parallel ranges, restart after close(), ALWAYS, progress, batches. */
@ExtendWith(PostgresExtension.class)
class SnapshotIT {

    private static final String PRELOAD = "INSERT INTO transactions (transaction_id, user_id, amount, currency, merchant_name)"
            + " SELECT 'pre-' || i, 'user-' || (i % 97), (i % 1000) + 0.25, 'EUR', repeat(md5(i::text), 3) FROM generate_series(1, ?) i";

    private static String preload(int rows) {
        return PRELOAD.replace("?", Integer.toString(rows));
    }

    @Test
    void aLargeTableReadInParallelRangesGivesEveryRowOnceWithItsSnapshotInfo(TestDatabase db) {
        TestConfigs.createTransactions(db);
        db.execute(preload(150_000), "ANALYZE transactions");
        long pages = db.queryLong("SELECT pg_relation_size('transactions') / current_setting('block_size')::bigint");
        assertThat(pages).as("premise: the table is large enough to be split into block ranges").isGreaterThan(2_048);
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL).snapshotParallelism(4).build();
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            await().atMost(Duration.ofSeconds(120)).until(() -> listener.size() >= 150_000 && !engine.health().isSnapshotRunning());
            EngineHealth health = engine.health();
            assertThat(health.snapshotRows()).isEqualTo(150_000);
            assertThat(health.snapshotRowsEstimated()).as("reltuples after ANALYZE").isBetween(140_000L, 160_000L);
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('after-snapshot')");
            await().atMost(Duration.ofSeconds(30)).until(() -> listener.size() == 150_001);
        }
        List<ChangeEvent> events = listener.events();
        Set<String> keys = new HashSet<>();
        for (ChangeEvent e : events.subList(0, 150_000)) {
            assertThat(e.operation()).isEqualTo(Operation.READ);
            assertThat(keys.add(e.key().getString("transaction_id"))).as("read once: %s", e.key()).isTrue();
        }
        ChangeEvent first = events.get(0);
        SnapshotInfo info = first.snapshot().orElseThrow();
        assertThat(info.attempt()).isEqualTo(1);
        assertThat(info.consistentAt()).as("a slot created for the snapshot: the stream starts at its point").isEqualTo(info.streamFrom());
        assertThat(first.source().lsn()).isEqualTo(info.consistentAt());
        assertThat(first.source().commitTime()).isEqualTo(info.startedAt());
        assertThat(first.after().getDecimal("amount")).isNotNull();
        ChangeEvent last = events.get(150_000);
        assertThat(last.operation()).isEqualTo(Operation.CREATE);
        assertThat(last.snapshot()).isEmpty();
        assertThat(last.transaction().orElseThrow().commitLsn()).isGreaterThan(info.streamFrom());
    }

    @Test
    void closeDuringTheSnapshotTakesItAgainAndStreamsFromTheFirstAttemptsPosition(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        db.execute(preload(20_000));
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL).snapshotParallelism(2)
                .offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        List<ChangeEvent> firstRun = new CopyOnWriteArrayList<>();
        CdcEngine[] holder = new CdcEngine[1];
        try (CdcEngine engine = CdcEngine.create(config, new ChangeListener() {
            @Override
            public void onRead(ChangeEvent event) {
                firstRun.add(event);
                if (firstRun.size() == 3_000) {
                    holder[0].close();
                }
            }
        })) {
            holder[0] = engine;
            engine.start();
            assertThat(engine.awaitTermination(Duration.ofSeconds(60))).isTrue();
            assertThat(engine.state()).isEqualTo(CdcEngine.State.STOPPED);
        }
        assertThat(firstRun).as("stopped mid-snapshot").hasSizeBetween(3_000, 3_999);
        String deleted = firstRun.get(0).key().getString("transaction_id");
        // While no engine runs: a row the abandoned attempt delivered is deleted, another one changes, one is added.
        db.execute("DELETE FROM transactions WHERE transaction_id = '" + deleted + "'",
                "UPDATE transactions SET currency = 'USD' WHERE transaction_id = 'pre-20000'",
                "INSERT INTO transactions (transaction_id) VALUES ('between-runs')");

        RecordingListener second = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, second)) {
            engine.start();
            await().atMost(Duration.ofSeconds(60)).until(() -> second.events().stream().anyMatch(e -> !e.isSnapshot()
                    && e.operation() == Operation.CREATE && "between-runs".equals(e.after().getString("transaction_id"))));
        }
        List<ChangeEvent> events = second.events();
        SnapshotInfo info = events.get(0).snapshot().orElseThrow();
        assertThat(info.attempt()).isEqualTo(2);
        assertThat(info.streamFrom()).as("the stream starts where the first attempt did")
                .isEqualTo(firstRun.get(0).snapshot().orElseThrow().streamFrom());
        assertThat(info.overlapsStream()).isTrue();
        long reads = events.stream().filter(ChangeEvent::isSnapshot).count();
        assertThat(reads).isEqualTo(20_000);
        assertThat(events.stream().filter(e -> !e.isSnapshot()).map(e -> e.operation() + " " + e.key().getString("transaction_id")))
                .as("every change since the first attempt's position arrives after the rows")
                .containsExactly("DELETE " + deleted, "UPDATE pre-20000", "CREATE between-runs");
        assertThat(events.subList(0, 20_000)).allMatch(ChangeEvent::isSnapshot);

        // Applied in order as upserts and deletes, both runs give the table's content.
        Map<String, String> replica = new HashMap<>();
        for (List<ChangeEvent> run : List.of(firstRun, events)) {
            for (ChangeEvent e : run) {
                if (e.operation() == Operation.DELETE) {
                    replica.remove(e.key().getString("transaction_id"));
                } else {
                    replica.put(e.after().getString("transaction_id"), e.after().getString("currency"));
                }
            }
        }
        assertThat(replica).hasSize((int) db.queryLong("SELECT count(*) FROM transactions")).doesNotContainKey(deleted);
        assertThat(replica.get("pre-20000")).isEqualTo("USD");

        // A third start resumes streaming: the snapshot completed.
        RecordingListener third = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, third)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('third')");
            await().atMost(Duration.ofSeconds(30)).until(() -> third.size() >= 1);
        }
        assertThat(third.events()).extracting(e -> e.operation() + " " + e.key().getString("transaction_id")).containsExactly("CREATE third");
    }

    @Test
    void alwaysReadsTheRowsOnEveryStartAndLosesNoChangeBetweenRuns(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        db.execute(preload(100));
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.ALWAYS)
                .offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        RecordingListener first = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, first)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('first-run')");
            await().atMost(Duration.ofSeconds(30)).until(() -> first.size() == 101);
        }
        db.execute("DELETE FROM transactions WHERE transaction_id = 'pre-1'");
        RecordingListener second = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, second)) {
            engine.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> second.events().stream().anyMatch(e -> e.operation() == Operation.DELETE));
        }
        List<ChangeEvent> events = second.events();
        assertThat(events.stream().filter(ChangeEvent::isSnapshot).count()).as("the rows again, pre-1 gone").isEqualTo(100);
        assertThat(events.get(0).snapshot().orElseThrow().attempt()).as("the first snapshot completed").isEqualTo(1);
        assertThat(events.stream().filter(e -> !e.isSnapshot()).map(e -> e.operation() + " " + e.key().getString("transaction_id")))
                .as("the stream resumes from the stored offsets: the delete made while stopped arrives")
                .containsExactly("DELETE pre-1");
    }

    @Test
    void aBatchListenerGetsTheRowsInBatchesOfAtMostMaxBatchSize(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        db.execute(preload(2_500));
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL).maxBatchSize(1_000).build();
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        AtomicInteger rows = new AtomicInteger();
        try (CdcEngine engine = CdcEngine.create(config, (BatchListener) batch -> {
            sizes.add(batch.size());
            rows.addAndGet((int) batch.changes().stream().filter(ChangeEvent::isSnapshot).count());
        })) {
            engine.start();
            await().atMost(Duration.ofSeconds(30)).until(() -> rows.get() == 2_500);
        }
        assertThat(sizes).allMatch(s -> s <= 1_000);
        assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(2_500);
    }

    @Test
    void withoutASnapshotTheStreamStartsAtAnExistingSlotsPositionNotAtTheServersCurrentOne(TestDatabase db) {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.NONE).build();
        db.execute("CREATE PUBLICATION " + config.publicationName() + " FOR TABLE transactions",
                "SELECT pg_create_logical_replication_slot('" + config.slotName() + "', 'pgoutput')",
                "INSERT INTO transactions (transaction_id) VALUES ('after-the-slot')");
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('after-the-start')");
            await().atMost(Duration.ofSeconds(30)).until(() -> listener.size() >= 2);
        }
        assertThat(listener.events()).extracting(e -> e.after().getString("transaction_id")).containsExactly("after-the-slot", "after-the-start");
    }

    @Test
    void debeziumSnapshotPropertiesAreRefusedBecauseTheyWouldDoNothing() {
        assertThatThrownBy(() -> CdcConfig.builder().property("snapshot.select.statement.overrides", "public.transactions"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("the engine reads the initial snapshot itself");
    }
}
