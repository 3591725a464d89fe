package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;
import static org.junit.jupiter.api.Assertions.assertTimeoutPreemptively;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.math.BigDecimal;
import java.nio.file.Path;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDateTime;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

@ExtendWith(PostgresExtension.class)
class CdcEngineIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void deliversInsertUpdateDeleteAndTruncateWithExactValues(TestDatabase db) {
        TestConfigs.createTransactions(db);
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), listener)) {
            engine.start();
            assertThat(engine.state()).isEqualTo(CdcEngine.State.RUNNING);
            Instant beforeCommit = Instant.now().minusSeconds(5);

            db.execute("INSERT INTO transactions VALUES ('tx-1', 'alice', '2026-11-25 13:45:12.123456', 12345678901234567890.123456789,"
                    + " 'USD', 'Lisbon', 'Portugal', 'Acme Corp', 'credit_card', '10.1.2.3', 'SPRING20', 'aff-1')");
            db.execute("UPDATE transactions SET amount = 10.50, city = 'Porto' WHERE transaction_id = 'tx-1'");
            db.execute("DELETE FROM transactions WHERE transaction_id = 'tx-1'");
            db.execute("INSERT INTO transactions (transaction_id, amount) VALUES ('tx-2', 1)");
            db.execute("TRUNCATE transactions");

            await().atMost(WAIT).until(() -> listener.size() >= 5);
            List<ChangeEvent> events = listener.events();
            assertThat(events).extracting(ChangeEvent::operation).containsExactly(
                    Operation.CREATE, Operation.UPDATE, Operation.DELETE, Operation.CREATE, Operation.TRUNCATE);
            assertThat(events).allSatisfy(e -> assertThat(e.table()).isEqualTo(new TableId("public", "transactions")));

            ChangeEvent insert = events.get(0);
            assertThat(insert.before()).isNull();
            assertThat(insert.isSnapshot()).isFalse();
            assertThat(insert.key().getString("transaction_id")).isEqualTo("tx-1");
            Row row = insert.after();
            assertThat(row.columns()).containsExactly("transaction_id", "user_id", "timestamp", "amount", "currency", "city",
                    "country", "merchant_name", "payment_method", "ip_address", "voucher_code", "affiliateid");
            assertThat(row.getDecimal("amount")).isEqualTo(new BigDecimal("12345678901234567890.123456789"));
            assertThat(row.getString("amount")).isEqualTo("12345678901234567890.123456789");
            assertThat(row.getTimestamp("timestamp")).isEqualTo(LocalDateTime.of(2026, 11, 25, 13, 45, 12, 123_456_000));
            assertThat(row.getString("user_id")).isEqualTo("alice");
            assertThat(row.getString("currency")).isEqualTo("USD");
            assertThat(row.getString("city")).isEqualTo("Lisbon");
            assertThat(row.getString("country")).isEqualTo("Portugal");
            assertThat(row.getString("merchant_name")).isEqualTo("Acme Corp");
            assertThat(row.getString("payment_method")).isEqualTo("credit_card");
            assertThat(row.getString("ip_address")).isEqualTo("10.1.2.3");
            assertThat(row.getString("voucher_code")).isEqualTo("SPRING20");
            assertThat(row.getString("affiliateid")).isEqualTo("aff-1");
            assertThat(insert.source().transactionId()).isPositive();
            assertThat(insert.source().commitTime()).isAfter(beforeCommit).isBefore(Instant.now().plusSeconds(5));

            ChangeEvent update = events.get(1);
            assertThat(update.after().getDecimal("amount")).isEqualByComparingTo("10.50");
            assertThat(update.after().getDecimal("amount").scale()).isEqualTo(2);
            assertThat(update.after().getString("city")).isEqualTo("Porto");
            assertThat(update.before()).as("no before image with REPLICA IDENTITY DEFAULT").isNull();
            assertThat(update.changedColumns()).isEmpty();

            ChangeEvent delete = events.get(2);
            assertThat(delete.after()).isNull();
            assertThat(delete.before().getString("transaction_id")).isEqualTo("tx-1");
            assertThat(delete.key().getString("transaction_id")).isEqualTo("tx-1");

            ChangeEvent truncate = events.get(4);
            assertThat(truncate.key()).isNull();
            assertThat(truncate.before()).isNull();
            assertThat(truncate.after()).isNull();

            assertThat(events).extracting(e -> e.source().lsn()).isSorted();
        }
    }

    @Test
    void deliversInCommitOrderNotStatementOrder(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), listener);
             var first = db.connect(); var second = db.connect()) {
            engine.start();
            first.setAutoCommit(false);
            second.setAutoCommit(false);
            first.createStatement().execute("INSERT INTO transactions (transaction_id) VALUES ('first-begun')");
            second.createStatement().execute("INSERT INTO transactions (transaction_id) VALUES ('second-begun')");
            second.commit();
            first.commit();

            await().atMost(WAIT).until(() -> listener.size() >= 2);
            assertThat(listener.events()).extracting(e -> e.after().getString("transaction_id"))
                    .containsExactly("second-begun", "first-begun");
        }
    }

    @Test
    void beforeImageAndChangedColumnsWithReplicaIdentityFull(TestDatabase db) {
        TestConfigs.createTransactions(db);
        db.execute("ALTER TABLE transactions REPLICA IDENTITY FULL",
                "INSERT INTO transactions (transaction_id, amount, city) VALUES ('tx-1', 5.00, 'Oslo')");
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), listener)) {
            engine.start();
            db.execute("UPDATE transactions SET amount = 7.25 WHERE transaction_id = 'tx-1'");
            await().atMost(WAIT).until(() -> listener.size() >= 1);
            ChangeEvent update = listener.events().get(0);
            assertThat(update.before().getDecimal("amount")).isEqualTo(new BigDecimal("5.00"));
            assertThat(update.after().getDecimal("amount")).isEqualTo(new BigDecimal("7.25"));
            assertThat(update.changedColumns()).contains(Set.of("amount"));
        }
    }

    @Test
    void snapshotsExistingRowsThenStreams(TestDatabase db) {
        TestConfigs.createTransactions(db);
        db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'old-' || i, i FROM generate_series(1, 50) i");
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL).build(), listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id, amount) VALUES ('new-1', 51)");
            await().atMost(WAIT).until(() -> listener.size() >= 51);
            List<ChangeEvent> events = listener.events();
            assertThat(events.subList(0, 50)).allSatisfy(e -> {
                assertThat(e.operation()).isEqualTo(Operation.READ);
                assertThat(e.isSnapshot()).isTrue();
            });
            assertThat(events.subList(0, 50)).extracting(e -> e.after().getString("transaction_id"))
                    .containsExactlyInAnyOrderElementsOf(
                            java.util.stream.IntStream.rangeClosed(1, 50).mapToObj(i -> "old-" + i).collect(Collectors.toList()));
            assertThat(events.get(50).operation()).isEqualTo(Operation.CREATE);
            assertThat(events.get(50).after().getString("transaction_id")).isEqualTo("new-1");
        }
    }

    @Test
    void resumesAfterRestartWithoutLosingOrRepeatingCommittedChanges(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL)
                .offsetStore(OffsetStore.file(dir.resolve("offsets").resolve("engine.offsets"))).build();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'snap-' || i FROM generate_series(1, 10) i");

        RecordingListener first = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, first)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'a-' || i FROM generate_series(1, 100) i");
            await().atMost(WAIT).until(() -> first.size() >= 110);
        }
        // Written while no engine runs: the slot keeps them.
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'b-' || i FROM generate_series(1, 100) i");
        db.execute("UPDATE transactions SET amount = 1 WHERE transaction_id LIKE 'a-%'");

        RecordingListener second = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, second)) {
            engine.start();
            db.execute("DELETE FROM transactions WHERE transaction_id LIKE 'snap-%'");
            await().atMost(WAIT).until(() -> second.size() >= 210);
            Thread.sleep(500); // a repeat would arrive right behind the expected events; give it the chance
        }
        assertThat(first.events()).hasSize(110);
        List<String> secondSeen = second.events().stream()
                .map(e -> e.operation() + ":" + (e.after() != null ? e.after() : e.before()).getString("transaction_id"))
                .collect(Collectors.toList());
        assertThat(secondSeen).hasSize(210).doesNotHaveDuplicates();
        assertThat(second.events()).noneMatch(ChangeEvent::isSnapshot);
        assertThat(secondSeen.subList(0, 100)).allMatch(s -> s.startsWith("CREATE:b-"));
        assertThat(secondSeen.subList(100, 200)).allMatch(s -> s.startsWith("UPDATE:a-"));
        assertThat(secondSeen.subList(200, 210)).allMatch(s -> s.startsWith("DELETE:snap-"));
    }

    @Test
    void aThrowingListenerStopsTheEngineAndItsEventIsDeliveredAgainAfterRestart(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        RecordingListener failing = new RecordingListener()
                .failOn(e -> e.after() != null && "tx-3".equals(e.after().getString("transaction_id")));
        CdcEngine engine = CdcEngine.create(config, failing);
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 5) i");

        assertThat(engine.awaitTermination(WAIT)).isTrue();
        assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
        assertThat(engine.failure()).get().isInstanceOf(ListenerException.class)
                .satisfies(f -> assertThat(f.getCause()).isInstanceOf(IllegalStateException.class)
                        .hasMessageContaining("listener refuses CREATE"))
                .satisfies(f -> assertThat(((ChangeEvent) ((ListenerException) f).event()).after().getString("transaction_id")).isEqualTo("tx-3"));
        assertThat(failing.events()).extracting(e -> e.after().getString("transaction_id")).containsExactly("tx-1", "tx-2");
        engine.close();
        assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);

        RecordingListener healthy = new RecordingListener();
        try (CdcEngine restarted = CdcEngine.create(config, healthy)) {
            restarted.start();
            await().atMost(WAIT).until(() -> healthy.size() >= 3);
            Thread.sleep(300);
        }
        assertThat(healthy.events()).extracting(e -> e.after().getString("transaction_id")).containsExactly("tx-3", "tx-4", "tx-5");
    }

    @Test
    void callbacksRunOnOneEngineThreadAndCloseIsIdempotent(TestDatabase db) {
        TestConfigs.createTransactions(db);
        RecordingListener listener = new RecordingListener();
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), listener);
        assertThat(engine.state()).isEqualTo(CdcEngine.State.NEW);
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 3000) i");
        await().atMost(WAIT).until(() -> listener.size() >= 3000);
        assertThat(Set.copyOf(listener.threads())).hasSize(1);
        assertThat(listener.threads().get(0)).isNotEqualTo(Thread.currentThread().getName());
        engine.close();
        assertThat(engine.state()).isEqualTo(CdcEngine.State.STOPPED);
        assertThat(engine.failure()).isEmpty();
        engine.close();
        assertThat(engine.state()).isEqualTo(CdcEngine.State.STOPPED);
        org.assertj.core.api.Assertions.assertThatThrownBy(engine::start).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("STOPPED");
    }

    @Test
    void closeIsBoundedEvenWhenTheListenerBlocks(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        CountDownLatch entered = new CountDownLatch(1);
        AtomicBoolean interrupted = new AtomicBoolean();
        ChangeListener blocking = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) throws InterruptedException {
                entered.countDown();
                try {
                    new CountDownLatch(1).await();
                } catch (InterruptedException e) {
                    interrupted.set(true);
                    throw e;
                }
            }
        };
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).stopTimeout(Duration.ofSeconds(2)).build(), blocking);
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) VALUES ('stuck')");
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();

        assertTimeoutPreemptively(Duration.ofSeconds(30), engine::close);
        assertThat(interrupted).isTrue();
        assertThat(engine.awaitTermination(Duration.ofSeconds(10))).isTrue();
        assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
        assertThat(engine.failure()).get().extracting(Throwable::getMessage).asString()
                .contains("did not stop within PT2S because the listener was blocked");
    }

    @Test
    void closeLetsTheCallbackInProgressFinishAndTheRestComesOnTheNextStart(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        CountDownLatch entered = new CountDownLatch(1);
        List<String> completed = new java.util.concurrent.CopyOnWriteArrayList<>();
        AtomicBoolean interrupted = new AtomicBoolean();
        ChangeListener slow = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) {
                entered.countDown();
                try {
                    Thread.sleep(500); // simulated work that close() must not cut short
                } catch (InterruptedException e) {
                    interrupted.set(true);
                    Thread.currentThread().interrupt();
                    return;
                }
                completed.add(event.after().getString("transaction_id"));
            }
        };
        CdcEngine engine = CdcEngine.create(config, slow);
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 5) i");
        assertThat(entered.await(30, TimeUnit.SECONDS)).isTrue();
        engine.close();

        assertThat(interrupted).as("the callback in progress was interrupted").isFalse();
        assertThat(engine.state()).isEqualTo(CdcEngine.State.STOPPED);
        assertThat(completed).containsExactly("tx-1");

        RecordingListener rest = new RecordingListener();
        try (CdcEngine restarted = CdcEngine.create(config, rest)) {
            restarted.start();
            await().atMost(WAIT).until(() -> rest.size() >= 4);
            Thread.sleep(300);
        }
        assertThat(rest.events()).extracting(e -> e.after().getString("transaction_id")).containsExactly("tx-2", "tx-3", "tx-4", "tx-5");
    }

    @Test
    void aStopInsideAMultiRowInsertLosesNoneOfItsRows(TestDatabase db, @TempDir Path dir) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        RecordingListener failing = new RecordingListener()
                .failOn(e -> e.after() != null && "copy-3".equals(e.after().getString("transaction_id")));
        CdcEngine engine = CdcEngine.create(config, failing);
        engine.start();
        // COPY logs its rows as one multi-insert WAL record: all five changes carry the same LSN.
        try (var c = db.connect()) {
            c.unwrap(org.postgresql.PGConnection.class).getCopyAPI().copyIn("COPY transactions (transaction_id) FROM STDIN",
                    new java.io.StringReader("copy-1\ncopy-2\ncopy-3\ncopy-4\ncopy-5\n"));
        }
        assertThat(engine.awaitTermination(WAIT)).isTrue();
        assertThat(failing.events()).extracting(e -> e.after().getString("transaction_id")).containsExactly("copy-1", "copy-2");
        assertThat(failing.events().get(0).source().lsn()).isEqualTo(failing.events().get(1).source().lsn());

        RecordingListener healthy = new RecordingListener();
        try (CdcEngine restarted = CdcEngine.create(config, healthy)) {
            restarted.start();
            await().atMost(WAIT).until(() -> healthy.size() >= 3);
            Thread.sleep(300);
        }
        // The group is replayed whole (copy-1 and copy-2 repeat); Debezium alone would skip copy-3 to copy-5.
        assertThat(healthy.events()).extracting(e -> e.after().getString("transaction_id"))
                .containsExactly("copy-1", "copy-2", "copy-3", "copy-4", "copy-5");
        // Repeats carry the same idempotency keys; the five rows sharing one LSN get five different ones.
        String commit = healthy.events().get(0).id().commitLsn().toString();
        assertThat(healthy.events()).extracting(ChangeEvent::idempotencyKey)
                .containsExactly(commit + ":1", commit + ":2", commit + ":3", commit + ":4", commit + ":5");
        assertThat(failing.events()).extracting(ChangeEvent::idempotencyKey).containsExactly(commit + ":1", commit + ":2");
    }
}
