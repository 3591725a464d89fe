package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.nio.file.Path;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.junit.jupiter.api.io.TempDir;

/** What a listener receives: identity, transactions, messages, batches, threads. */
@ExtendWith(PostgresExtension.class)
class EventModelIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    /** Records every callback as a line, and the events. */
    static class Transcript implements ChangeListener {
        final List<String> lines = new CopyOnWriteArrayList<>();
        final List<CdcEvent> events = new CopyOnWriteArrayList<>();
        final List<Transaction> commits = new CopyOnWriteArrayList<>();
        final List<String> threads = new CopyOnWriteArrayList<>();

        @Override
        public void onBegin(Transaction transaction) {
            lines.add("BEGIN " + transaction.commitLsn());
        }

        @Override
        public void onChange(ChangeEvent event) {
            threads.add(Thread.currentThread().getName());
            events.add(event);
            lines.add(event.operation() + " " + event.id());
        }

        @Override
        public void onMessage(LogicalMessage message) {
            events.add(message);
            lines.add("MESSAGE " + message.prefix() + " " + message.id());
        }

        @Override
        public void onCommit(Transaction transaction, long eventCount) {
            commits.add(transaction);
            lines.add("COMMIT " + transaction.commitLsn() + " " + eventCount);
        }
    }

    @Test
    void everyEventCarriesItsOwnTransactionsCommitLsnAndOrdinalBetweenBeginAndCommit(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        Transcript listener = new Transcript();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'a-' || i FROM generate_series(1, 3) i");
            db.execute("BEGIN; INSERT INTO transactions (transaction_id) VALUES ('b-1');"
                    + " UPDATE transactions SET amount = 1 WHERE transaction_id = 'a-1'; DELETE FROM transactions WHERE transaction_id = 'a-2'; COMMIT");
            await().atMost(WAIT).until(() -> listener.commits.size() >= 2);
            long walAfter = db.queryLong("SELECT pg_current_wal_lsn() - '0/0'");

            assertThat(listener.commits).hasSize(2);
            Transaction first = listener.commits.get(0);
            Transaction second = listener.commits.get(1);
            assertThat(first.commitLsn()).isLessThan(second.commitLsn());
            assertThat(second.commitLsn().asLong()).isLessThanOrEqualTo(walAfter);
            assertThat(listener.lines).containsExactly(
                    "BEGIN " + first.commitLsn(),
                    "CREATE " + first.commitLsn() + ":1", "CREATE " + first.commitLsn() + ":2", "CREATE " + first.commitLsn() + ":3",
                    "COMMIT " + first.commitLsn() + " 3",
                    "BEGIN " + second.commitLsn(),
                    "CREATE " + second.commitLsn() + ":1", "UPDATE " + second.commitLsn() + ":2", "DELETE " + second.commitLsn() + ":3",
                    "COMMIT " + second.commitLsn() + " 3");
            for (CdcEvent e : listener.events) {
                ChangeEvent change = (ChangeEvent) e;
                Transaction tx = change.transaction().orElseThrow();
                assertThat(tx.commitLsn()).isEqualTo(change.id().commitLsn());
                assertThat(change.source().lsn()).isLessThan(tx.commitLsn());
                assertThat(change.idempotencyKey()).isEqualTo(change.id().toString());
                assertThat(EventId.parse(change.idempotencyKey())).isEqualTo(change.id());
                assertThat(tx.xid()).isEqualTo(change.source().transactionId());
            }
            assertThat(listener.threads).containsOnly("pgcdc-" + engine.config().name());
        }
    }

    @Test
    void anOutboxMessageArrivesInTheTransactionOfItsOrderAndHeartbeatsStayHidden(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        Transcript listener = new Transcript();
        CdcConfig config = TestConfigs.transactions(db).heartbeatInterval(Duration.ofMillis(200)).build();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            db.execute("BEGIN; INSERT INTO transactions (transaction_id) VALUES ('order-1');"
                    + " SELECT pg_logical_emit_message(true, 'outbox', '{\"order\":\"order-1\",\"event\":\"created\"}'); COMMIT");
            db.execute("SELECT pg_logical_emit_message(false, 'audit', 'non-transactional')");
            db.execute("BEGIN; SELECT pg_logical_emit_message(true, 'outbox', 'rolled back'); ROLLBACK");
            await().atMost(WAIT).until(() -> listener.events.size() >= 3);
            Thread.sleep(1_000); // several heartbeats meanwhile

            assertThat(listener.events).hasSize(3);
            ChangeEvent order = (ChangeEvent) listener.events.get(0);
            LogicalMessage outbox = (LogicalMessage) listener.events.get(1);
            LogicalMessage audit = (LogicalMessage) listener.events.get(2);
            assertThat(order.after().getString("transaction_id")).isEqualTo("order-1");
            assertThat(outbox.prefix()).isEqualTo("outbox");
            assertThat(outbox.contentAsString()).isEqualTo("{\"order\":\"order-1\",\"event\":\"created\"}");
            assertThat(outbox.isTransactional()).isTrue();
            assertThat(outbox.transaction()).isEqualTo(order.transaction());
            assertThat(outbox.id()).isEqualTo(EventId.of(order.id().commitLsn(), 2));
            assertThat(order.id().ordinal()).isEqualTo(1);
            assertThat(listener.commits).hasSize(1);
            assertThat(listener.lines.get(listener.lines.size() - 2)).isEqualTo("COMMIT " + order.id().commitLsn() + " 2");
            assertThat(audit.isTransactional()).isFalse();
            assertThat(audit.transaction()).isEmpty();
            assertThat(audit.contentAsString()).isEqualTo("non-transactional");
            assertThat(audit.id()).isEqualTo(EventId.of(audit.lsn(), 0));
            assertThat(audit.id()).isGreaterThan(outbox.id());
        }
    }

    @Test
    void aListenerWrittenForInsertsSeesTheSnapshotRowsWithStableUnambiguousIds(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE keyed (k bytea PRIMARY KEY, v text)",
                "INSERT INTO keyed VALUES ('\\x0001', 'a'), ('\\x0002', 'b'), ('\\x2c3d', 'c')");
        List<ChangeEvent> inserts = new CopyOnWriteArrayList<>();
        ChangeListener insertsOnly = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) {
                inserts.add(event);
            }
        };
        CdcConfig config = TestConfigs.transactions(db).tables("public.keyed").snapshotMode(SnapshotMode.INITIAL).build();
        try (CdcEngine engine = CdcEngine.create(config, insertsOnly)) {
            engine.start();
            await().atMost(WAIT).until(() -> inserts.size() >= 3);
        }
        assertThat(inserts).allSatisfy(e -> assertThat(e.isSnapshot()).isTrue());
        assertThat(inserts).extracting(e -> e.id().toString()).containsExactlyInAnyOrder(
                "snapshot:public.keyed:k=\\x0001",
                "snapshot:public.keyed:k=\\x0002", "snapshot:public.keyed:k=\\x2c3d");
    }

    @Test
    void closeFromInsideACallbackReturnsAtOnceAndTheEngineStops(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        AtomicLong closeMillis = new AtomicLong(-1);
        CdcEngine[] holder = new CdcEngine[1];
        ChangeListener closer = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) {
                long t0 = System.nanoTime();
                holder[0].close();
                closeMillis.set((System.nanoTime() - t0) / 1_000_000);
            }
        };
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), closer);
        holder[0] = engine;
        engine.start();
        db.execute("INSERT INTO transactions (transaction_id) VALUES ('tx-1')");
        assertThat(engine.awaitTermination(Duration.ofSeconds(20))).isTrue();
        assertThat(closeMillis.get()).isBetween(0L, 1_000L);
        assertThat(engine.state()).isEqualTo(CdcEngine.State.STOPPED);
        assertThat(engine.failure()).isEmpty();
    }

    @Test
    void anApplicationThreadFactoryMakesTheDeliveryThread(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        Transcript listener = new Transcript();
        CdcConfig config = TestConfigs.transactions(db).threadFactory(r -> new Thread(r, "app-cdc-worker")).build();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('tx-1')");
            await().atMost(WAIT).until(() -> listener.events.size() >= 1);
        }
        assertThat(listener.threads).containsOnly("app-cdc-worker");
    }

    /**
     * The walsender is terminated while a 10,000-row insert is being delivered: Debezium restarts its task
     * inside the running engine and replays from the stored offsets. Every replayed change has the id it
     * had, and a sink using SinkProgress applies each change once.
     */
    @Test
    void walsenderTerminatedMidTransactionReplaysWithTheSameIdsAndTheSinkAppliesEachOnce(TestDatabase db, @TempDir Path dir)
            throws Exception {
        TestConfigs.createTransactions(db);
        db.execute("CREATE TABLE sink (transaction_id text PRIMARY KEY)");
        SinkProgress progress = SinkProgress.in("sink_progress", "walsender-test");
        Map<String, String> idByChange = new HashMap<>();
        List<String> conflicts = new CopyOnWriteArrayList<>();
        AtomicInteger delivered = new AtomicInteger();
        AtomicInteger applied = new AtomicInteger();
        try (Connection sink = db.connect()) {
            progress.createTable(sink);
            sink.setAutoCommit(false);
            var insert = sink.prepareStatement("INSERT INTO sink VALUES (?)");
            ChangeListener listener = new ChangeListener() {
                @Override
                public void onInsert(ChangeEvent event) throws Exception {
                    String change = event.source().lsn() + "|" + event.after().getString("transaction_id");
                    synchronized (idByChange) {
                        String previous = idByChange.putIfAbsent(change, event.idempotencyKey());
                        if (previous != null && !previous.equals(event.idempotencyKey())) {
                            conflicts.add(change + ": " + previous + " then " + event.idempotencyKey());
                        }
                    }
                    delivered.incrementAndGet();
                    if (!progress.isApplied(sink, event)) {
                        insert.setString(1, event.after().getString("transaction_id"));
                        insert.executeUpdate(); // a second insert of one row would fail on the primary key
                        progress.markApplied(sink, event);
                        applied.incrementAndGet();
                    }
                    sink.commit();
                    Thread.sleep(0, 200_000);
                }
            };
            // A buffer smaller than the transaction: it is read once for its commit LSN, then delivered as it streams.
            CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("offsets")))
                    .transactionBuffer(1_000).build();
            try (CdcEngine engine = CdcEngine.create(config, listener)) {
                engine.start();
                db.execute("INSERT INTO transactions (transaction_id) SELECT 'tx-' || i FROM generate_series(1, 10000) i");
                await().atMost(WAIT).until(() -> delivered.get() >= 3_000);
                assertThat(db.queryLong("SELECT count(pg_terminate_backend(active_pid)) FROM pg_replication_slots"
                        + " WHERE slot_name = '" + config.slotName() + "' AND active")).isEqualTo(1);
                await().atMost(Duration.ofSeconds(120)).until(() -> db.queryLong("SELECT count(*) FROM sink") >= 10_000);
                Thread.sleep(500);
            }
        }
        assertThat(conflicts).isEmpty();
        assertThat(db.queryLong("SELECT count(*) FROM sink")).isEqualTo(10_000);
        assertThat(applied.get()).isEqualTo(10_000);
        Set<String> ids = new HashSet<>(idByChange.values());
        assertThat(ids).as("two changes never share an id").hasSize(10_000);
        System.out.printf("walsender test: %d deliveries, %d repeats%n", delivered.get(), delivered.get() - 10_000);
    }

    /** A 100,000-row transaction through the batch listener: split into batches, memory bounded, ids in order. */
    @Test
    void aHundredThousandRowTransactionReachesTheBatchListenerInBoundedBatches(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        List<Integer> sizes = new CopyOnWriteArrayList<>();
        List<Boolean> complete = new CopyOnWriteArrayList<>();
        List<Transaction> commits = new CopyOnWriteArrayList<>();
        AtomicLong lastOrdinal = new AtomicLong();
        List<String> disorder = new CopyOnWriteArrayList<>();
        Set<Lsn> commitLsns = java.util.concurrent.ConcurrentHashMap.newKeySet();
        // Heap after a full GC, sampled while the transaction is written, read for its commit LSN and delivered.
        AtomicLong peakUsed = new AtomicLong();
        Runtime rt = Runtime.getRuntime();
        System.gc();
        long baseline = rt.totalMemory() - rt.freeMemory();
        java.util.concurrent.atomic.AtomicBoolean sampling = new java.util.concurrent.atomic.AtomicBoolean(true);
        Thread sampler = new Thread(() -> {
            while (sampling.get()) {
                System.gc();
                peakUsed.accumulateAndGet(rt.totalMemory() - rt.freeMemory() - baseline, Math::max);
                try {
                    Thread.sleep(200);
                } catch (InterruptedException e) {
                    return;
                }
            }
        });
        sampler.start();
        BatchListener listener = batch -> {
            sizes.add(batch.size());
            complete.add(batch.isTransactionComplete());
            commits.addAll(batch.committed());
            for (ChangeEvent e : batch.changes()) {
                commitLsns.add(e.id().commitLsn());
                if (e.id().ordinal() != lastOrdinal.get() + 1) {
                    disorder.add(e.id() + " after " + lastOrdinal.get());
                }
                lastOrdinal.set(e.id().ordinal());
            }
        };
        CdcConfig config = TestConfigs.transactions(db).maxBatchSize(500).transactionBuffer(Integer.getInteger("pgcdc.test.buffer", CdcConfig.DEFAULT_TRANSACTION_BUFFER)).build();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            // About 1 KB of text per row: holding the whole transaction would take well over 100 MB of heap.
            db.execute("INSERT INTO transactions (transaction_id, city, country, merchant_name, payment_method) SELECT 'tx-' || i,"
                    + " repeat(md5(i::text), 7), repeat(md5(i::text), 7), repeat(md5(i::text), 7), repeat(md5(i::text), 7)"
                    + " FROM generate_series(1, 100000) i");
            await().atMost(Duration.ofMinutes(3)).until(() -> commits.size() >= 1);
        } finally {
            sampling.set(false);
            sampler.join();
        }
        assertThat(sizes.stream().mapToInt(Integer::intValue).sum()).isEqualTo(100_000);
        assertThat(sizes).allSatisfy(s -> assertThat(s).isBetween(1, 500));
        assertThat(complete.subList(0, complete.size() - 1)).containsOnly(false);
        assertThat(complete.get(complete.size() - 1)).isTrue();
        assertThat(disorder).isEmpty();
        assertThat(commitLsns).hasSize(1).containsExactly(commits.get(0).commitLsn());
        assertThat(commits).hasSize(1);
        System.out.printf("100k transaction: %d batches, peak heap above baseline %d MB%n", sizes.size(), peakUsed.get() >> 20);
        assertThat(peakUsed.get()).as("heap held while the transaction streams").isLessThan(64L << 20);
    }

    @Test
    void idsOrderAsCommittedAndSinkProgressAppliesTheFirstTransactionOnce(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        Transcript listener = new Transcript();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), listener)) {
            engine.start();
            for (int i = 0; i < 5; i++) {
                db.execute("INSERT INTO transactions (transaction_id) VALUES ('tx-" + i + "'), ('ty-" + i + "')");
            }
            await().atMost(WAIT).until(() -> listener.events.size() >= 10);
        }
        List<EventId> ids = new ArrayList<>();
        listener.events.forEach(e -> ids.add(e.id()));
        assertThat(ids).isSorted().doesNotHaveDuplicates();
        SinkProgress progress = SinkProgress.in("progress", "first");
        try (Connection c = db.connect()) {
            progress.createTable(c);
            EventId first = ids.get(0);
            assertThat(progress.isApplied(c, first)).isFalse();
            progress.markApplied(c, first);
            assertThat(progress.isApplied(c, first)).isTrue();
            assertThat(progress.isApplied(c, ids.get(1))).isFalse();
            assertThat(progress.lastApplied(c)).isEqualTo(first);
        }
    }
}
