package io.pgcdc;

import io.debezium.engine.StopEngineException;
import io.pgcdc.internal.EngineDriver;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.BooleanSupplier;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Turns Debezium's records into events with their transaction's identity and hands them to the
 * listener, applying the failure policy; tells the driver which records are handled.
 *
 * <p>Why it buffers: pgoutput's BEGIN carries a transaction's commit LSN, but Debezium drops it; the
 * transaction's END marker carries it. So the events of a transaction are held until its END (at most
 * {@link CdcConfig#transactionBuffer()} of them), then delivered with their ids. A larger transaction is
 * read through to its END without delivering anything, its commit LSN remembered, and the driver
 * restarts Debezium from the stored offsets: the second pass delivers the transaction as it streams,
 * with memory bounded. Events are never acknowledged before they were delivered.
 *
 * <p>Runs on the delivery thread only.
 */
final class Delivery implements EngineDriver.RecordHandler {

    private static final Logger LOG = LoggerFactory.getLogger(Delivery.class);
    private static final int MAX_KNOWN_COMMITS = 1024;

    private final CdcConfig config;
    private final ChangeListener listener;
    private final BatchListener batchListener;
    private final EventMapper mapper;
    private final BooleanSupplier closing;
    private final EngineStats stats;
    /** Commits learnt by reading a large transaction to its end: its END marker, by xid. */
    private final Map<String, EventMapper.Decoded> knownCommits = new LinkedHashMap<>(16, 0.75f, true) {
        private static final long serialVersionUID = 1L;

        @Override
        protected boolean removeEldestEntry(Map.Entry<String, EventMapper.Decoded> eldest) {
            return size() > MAX_KNOWN_COMMITS;
        }
    };

    private volatile CdcException failure;
    private Tx current;
    private String scanning;
    private final List<CdcEvent> batch = new ArrayList<>();
    private final List<Transaction> batchCommits = new ArrayList<>();
    private SourceRecord batchLast;
    private boolean batchInTransaction;
    /** Between a BEGIN marker and its END: no position in between may be stored on its own. */
    private boolean open;

    /** Listener threads when {@link CdcConfig#lanes()} is above 1, else null. */
    private final Lanes lanes;
    /** Events handed to lanes so far: each gets the next number (delivery thread). */
    private long dispatched;
    /** The lowest number of an event a lane did not finish (failed, or skipped while closing); guarded by this. */
    private long firstUnfinished = Long.MAX_VALUE;
    private Throwable laneError;
    /** Acknowledgements waiting for the lanes: a record, and the events that must be finished first. */
    private final List<SourceRecord> deferredRecords = new ArrayList<>();
    private final List<Long> deferredThrough = new ArrayList<>();
    private EngineDriver.Acks laneAcksFor;
    private EngineDriver.Acks laneAcks;

    /** The transaction being received. */
    private static final class Tx {
        final String key;
        final EventMapper.Decoded first;
        final List<EventMapper.Decoded> buffered = new ArrayList<>();
        final List<SourceRecord> records = new ArrayList<>();
        Lsn commitLsn;
        boolean begun;
        long delivered;

        Tx(EventMapper.Decoded first) {
            this.key = first.txKey;
            this.first = first;
        }

        Transaction transaction() {
            return first.transaction(commitLsn);
        }
    }

    Delivery(CdcConfig config, ChangeListener listener, BatchListener batchListener, EventMapper mapper, BooleanSupplier closing,
             EngineStats stats) {
        this.config = config;
        this.stats = stats;
        this.listener = listener;
        this.batchListener = batchListener;
        this.mapper = mapper;
        this.closing = closing;
        this.lanes = config.lanes() > 1 && listener != null
                ? new Lanes(config.lanes(), config.name(), config.threadFactory()) : null;
    }

    /** The error that stopped delivery, if any. */
    CdcException failure() {
        return failure;
    }

    @Override
    public void reset() {
        current = null;
        open = false;
        scanning = null;
        batch.clear();
        batchCommits.clear();
        batchLast = null;
        deferredRecords.clear();
        deferredThrough.clear();
    }

    @Override
    public void close() {
        if (lanes != null) {
            lanes.close();
        }
    }

    /**
     * With lanes, the acknowledgements the handler gives are held until the lanes finished the events before
     * them ({@link #awaitLanes}); without, the driver's own.
     */
    private EngineDriver.Acks laneAware(EngineDriver.Acks acks) {
        if (lanes == null) {
            return acks;
        }
        if (laneAcksFor != acks) {
            laneAcksFor = acks;
            laneAcks = new EngineDriver.Acks() {
                @Override
                public void handledThrough(SourceRecord record) {
                    deferredRecords.add(record);
                    deferredThrough.add(dispatched);
                }

                @Override
                public void discardPending() {
                    try {
                        awaitLanes(acks);
                    } catch (RuntimeException e) {
                        throw e;
                    } catch (Exception e) {
                        throw new IllegalStateException(e);
                    }
                    acks.discardPending();
                }
            };
        }
        return laneAcks;
    }

    /**
     * Waits for every event handed to lanes, then acknowledges the held records whose events all finished.
     *
     * @throws Exception the listener's failure in a lane (the events from it on stay unacknowledged)
     */
    private void awaitLanes(EngineDriver.Acks acks) throws Exception {
        if (lanes == null) {
            return;
        }
        LaneOutcome outcome = awaitLaneOutcome();
        long unfinished = outcome.firstUnfinished();
        SourceRecord through = null;
        for (int i = 0; i < deferredRecords.size() && deferredThrough.get(i) < unfinished; i++) {
            through = deferredRecords.get(i);
        }
        deferredRecords.clear();
        deferredThrough.clear();
        if (through != null) {
            acks.handledThrough(through);
        }
        if (unfinished != Long.MAX_VALUE) {
            throwLaneFailure(outcome.error(), new StopEngineException("engine '" + config.name() + "' is closing"));
        }
    }

    /** Where the lanes stand once idle: the first event not finished ({@code Long.MAX_VALUE}: none) and why. */
    private record LaneOutcome(long firstUnfinished, Throwable error) {
    }

    /** Waits until every event handed to the lanes was handled or dropped, then reads where they stand. */
    private LaneOutcome awaitLaneOutcome() throws InterruptedException {
        lanes.await();
        synchronized (this) {
            return new LaneOutcome(firstUnfinished, laneError);
        }
    }

    /** Throws why a lane stopped: the listener's failure, or {@code closing} when it stopped because the engine closes. */
    private static void throwLaneFailure(Throwable error, Exception closing) throws Exception {
        if (error instanceof Exception) {
            throw (Exception) error;
        }
        if (error instanceof Error) {
            throw (Error) error;
        }
        throw closing;
    }

    /** Runs one change on its lane: the failure policy applies; a failure or a close stops acknowledgements there. */
    private void inLane(long number, ChangeEvent change) {
        synchronized (this) {
            if (firstUnfinished != Long.MAX_VALUE && firstUnfinished < number) {
                // An earlier event failed: the engine stops; this one is delivered again after a restart.
                return;
            }
        }
        if (closing.getAsBoolean()) {
            unfinished(number, null);
            return;
        }
        try {
            call("change", () -> change.operation() + " " + change.table() + " " + change.id(), () -> listener.onChange(change), change);
        } catch (Throwable e) {
            unfinished(number, e);
        }
    }

    private synchronized void unfinished(long number, Throwable error) {
        if (number < firstUnfinished) {
            firstUnfinished = number;
            laneError = error;
        }
    }

    /** Hands a change to the lane of its row. */
    private void toLane(ChangeEvent change) {
        long number = ++dispatched;
        lanes.submit(lanes.laneOf(java.util.Objects.hash(change.table(), change.key())), () -> inLane(number, change));
    }

    @Override
    public void handle(SourceRecord record, EngineDriver.Acks driverAcks) throws Exception {
        EngineDriver.Acks acks = laneAware(driverAcks);
        EventMapper.Decoded d;
        try {
            d = mapper.map(record);
        } catch (RuntimeException e) {
            throw fail(new CdcException(FailureReason.INTERNAL, "cannot read a Debezium record of topic " + record.topic() + " at offset "
                    + record.sourceOffset() + ": " + e + "; please report this with the table's definition", e));
        }
        switch (d.kind) {
            case SNAPSHOT:
                if (scanning != null) {
                    acks.discardPending();
                } else if (current != null && current.commitLsn == null) {
                    // An incremental snapshot's rows amid a held transaction keep their place in the order.
                    current.buffered.add(d);
                    current.records.add(record);
                } else {
                    deliver(d.build(null), record, acks, current != null);
                }
                if (Boolean.TRUE.equals(record.sourceOffset().get("last_snapshot_record"))) {
                    stats.snapshotDone();
                }
                break;
            case STREAMED:
                streamed(d, record, acks);
                break;
            case COMMIT:
                commit(d, record, acks);
                break;
            case BEGIN:
                // Never acknowledged on its own, nor anything until the transaction's END (a heartbeat between
                // BEGIN and the first change carries a position inside the transaction): an offset stored there,
                // while the transaction's events are held, makes a restart skip them (measured: 63 changes lost
                // in 20 kill -9). It is acknowledged with the transaction's first delivered event or its END.
                open = true;
                if (scanning != null) {
                    acks.discardPending();
                }
                break;
            default:
                if (scanning != null) {
                    acks.discardPending();
                } else if (current == null && !open && batch.isEmpty()) {
                    acks.handledThrough(record);
                }
                break;
        }
    }

    private void streamed(EventMapper.Decoded d, SourceRecord record, EngineDriver.Acks acks) throws Exception {
        if (d.isStandalone() && current == null && scanning == null) {
            deliver(d.build(null), record, acks, false);
            return;
        }
        if (scanning != null) {
            if (!d.isStandalone() && !scanning.equals(d.txKey)) {
                throw fail(new CdcException(FailureReason.INTERNAL, "transaction " + d.txKey + " began before transaction " + scanning
                        + " ended; please report this"));
            }
            acks.discardPending();
            return;
        }
        if (d.isStandalone()) {
            // A non-transactional message amid a transaction keeps its place in the order of delivery.
            if (current.commitLsn != null) {
                deliver(d.build(null), record, acks, true);
            } else {
                current.buffered.add(d);
                current.records.add(record);
            }
            return;
        }
        if (current != null && !current.key.equals(d.txKey)) {
            throw fail(new CdcException(FailureReason.INTERNAL, "transaction " + d.txKey + " began before transaction " + current.key
                    + " ended; please report this"));
        }
        if (current == null) {
            current = new Tx(d);
            EventMapper.Decoded known = knownCommits.get(d.txKey);
            // The same xid and commit time: that transaction, not an older one whose xid came round again.
            current.commitLsn = known != null && known.commitTime.equals(d.commitTime) ? known.commitLsn : null;
        }
        if (current.commitLsn != null) {
            begin();
            deliver(d.build(current.commitLsn), record, acks, true);
            current.delivered++;
            return;
        }
        current.buffered.add(d);
        current.records.add(record);
        if (current.buffered.size() > config.transactionBuffer()) {
            LOG.info("engine '{}': transaction {} has more than {} events; reading it to its commit for its commit LSN,"
                    + " then again to deliver it", config.name(), current.first.xid, config.transactionBuffer());
            scanning = current.key;
            current = null;
            // Read for its commit LSN only: nothing received from here on is delivered before the restart.
            acks.discardPending();
            batch.clear();
            batchCommits.clear();
            batchLast = null;
        }
    }

    private void commit(EventMapper.Decoded d, SourceRecord record, EngineDriver.Acks acks) throws Exception {
        open = false;
        if (scanning != null && scanning.equals(d.txKey)) {
            knownCommits.put(d.txKey, d);
            scanning = null;
            throw new EngineDriver.RestartRequest("transaction " + d.xid + " is read; delivering it from the start");
        }
        if (current == null || !current.key.equals(d.txKey)) {
            // A transaction without delivered events (the heartbeat's), or the END of one already acknowledged.
            if (scanning != null) {
                acks.discardPending();
                return;
            }
            if (current == null && batch.isEmpty()) {
                acks.handledThrough(record);
            } else if (current == null) {
                batchLast = record;
            }
            return;
        }
        Tx tx = current;
        if (tx.commitLsn == null) {
            tx.commitLsn = d.commitLsn;
            begin();
            for (int i = 0; i < tx.buffered.size(); i++) {
                EventMapper.Decoded e = tx.buffered.get(i);
                deliver(e.build(tx.commitLsn), tx.records.get(i), acks, true);
                tx.delivered++;
            }
            tx.buffered.clear();
            tx.records.clear();
        }
        current = null;
        knownCommits.remove(tx.key);
        Transaction transaction = tx.transaction();
        if (batchListener != null) {
            batchCommits.add(transaction);
            batchLast = record;
            batchInTransaction = false;
            return;
        }
        call("commit", () -> "onCommit " + transaction, () -> listener.onCommit(transaction, tx.delivered), null);
        acks.handledThrough(record);
    }

    private void begin() throws Exception {
        if (current.begun) {
            return;
        }
        current.begun = true;
        if (batchListener == null) {
            Transaction transaction = current.transaction();
            call("begin", () -> "onBegin " + transaction, () -> listener.onBegin(transaction), null);
        }
    }

    private void deliver(CdcEvent event, SourceRecord record, EngineDriver.Acks acks, boolean inTransaction) throws Exception {
        if (closing.getAsBoolean()) {
            // close(): nothing more is delivered; what was handled stays acknowledged.
            throw new StopEngineException("engine '" + config.name() + "' is closing");
        }
        if (batchListener != null) {
            // A full batch goes out only when another event comes, so that a transaction's last batch also carries its commit.
            if (batch.size() >= config.maxBatchSize()) {
                flushBatch(acks, !batchInTransaction);
            }
            batch.add(event);
            batchLast = record;
            batchInTransaction = inTransaction;
            return;
        }
        stats.delivering(event, commitTime(event), Instant.now());
        if (lanes != null && event instanceof ChangeEvent && ((ChangeEvent) event).operation() != Operation.TRUNCATE) {
            toLane((ChangeEvent) event);
            acks.handledThrough(record);
            return;
        }
        if (lanes != null) {
            // A message or a truncate follows every change before it, whatever its lane.
            lanes.await();
            synchronized (this) {
                if (firstUnfinished != Long.MAX_VALUE) {
                    throw new StopEngineException("engine '" + config.name() + "' stops: a lane did not finish an earlier event");
                }
            }
        }
        if (event instanceof ChangeEvent) {
            ChangeEvent change = (ChangeEvent) event;
            call("change", () -> change.operation() + " " + change.table() + " " + change.id(), () -> listener.onChange(change), event);
        } else {
            LogicalMessage message = (LogicalMessage) event;
            call("message", () -> "message " + message.prefix() + " " + message.id(), () -> listener.onMessage(message), event);
        }
        acks.handledThrough(record);
    }

    @Override
    public void endOfBatch(EngineDriver.Acks driverAcks) throws Exception {
        if (lanes != null) {
            awaitLanes(driverAcks);
            return;
        }
        EngineDriver.Acks acks = driverAcks;
        if (batchListener != null && (!batch.isEmpty() || !batchCommits.isEmpty()) && (current == null || current.commitLsn == null)) {
            flushBatch(acks, true);
        } else if (batchListener != null && batch.isEmpty() && batchLast != null && current == null) {
            acks.handledThrough(batchLast);
            batchLast = null;
            batchCommits.clear();
        }
    }

    private void flushBatch(EngineDriver.Acks acks, boolean transactionComplete) throws Exception {
        ChangeBatch b = ChangeBatch.of(batch, batchCommits, transactionComplete);
        Instant now = Instant.now();
        for (CdcEvent e : batch) {
            stats.delivering(e, commitTime(e), now);
        }
        call("batch", () -> "batch of " + b.size() + " events" + (b.size() > 0 ? " from " + b.events().get(0).id() : ""), () -> batchListener.onBatch(b), null);
        batch.clear();
        batchCommits.clear();
        acks.handledThrough(batchLast);
        batchLast = null;
    }

    /**
     * Hands rows of the engine's own snapshot to the listener (a {@link BatchListener} gets them in batches
     * of at most {@link CdcConfig#maxBatchSize()}); nothing is acknowledged: the snapshot stores its own
     * completion once every row was handled.
     *
     * @throws SnapshotSession.Stopped when the engine is closing: the rest is not delivered
     */
    void snapshotRows(List<ChangeEvent> rows) throws Exception {
        Instant received = Instant.now();
        for (ChangeEvent event : rows) {
            if (closing.getAsBoolean()) {
                throw new io.pgcdc.internal.SnapshotSession.Stopped();
            }
            if (batchListener != null) {
                batch.add(event);
                if (batch.size() >= config.maxBatchSize()) {
                    flushSnapshotBatch();
                }
                continue;
            }
            stats.delivering(event, null, received);
            if (lanes != null) {
                toLane(event);
                continue;
            }
            call("change", () -> event.operation() + " " + event.table() + " " + event.id(), () -> listener.onChange(event), event);
        }
        if (lanes != null) {
            // Each chunk is finished before the next is handed over: memory stays bounded by the readers' queue.
            LaneOutcome outcome = awaitLaneOutcome();
            if (outcome.firstUnfinished() != Long.MAX_VALUE) {
                throwLaneFailure(outcome.error(), new io.pgcdc.internal.SnapshotSession.Stopped());
            }
        }
    }

    /** Every snapshot row was handed over: the last batch goes out. */
    void snapshotEnd() throws Exception {
        if (batchListener != null && !batch.isEmpty()) {
            flushSnapshotBatch();
        }
        stats.snapshotDone();
    }

    private void flushSnapshotBatch() throws Exception {
        ChangeBatch b = ChangeBatch.of(batch, List.of(), true);
        Instant now = Instant.now();
        for (CdcEvent e : batch) {
            stats.delivering(e, null, now);
        }
        call("batch", () -> "snapshot batch of " + b.size() + " rows from " + b.events().get(0).id(), () -> batchListener.onBatch(b), null);
        batch.clear();
    }

    /** A callback of the listener. */
    private interface Callback {
        void run() throws Exception;
    }

    /** When PostgreSQL committed an event; null for snapshot rows and non-transactional messages. */
    private static Instant commitTime(CdcEvent event) {
        if (event instanceof ChangeEvent) {
            ChangeEvent change = (ChangeEvent) event;
            return change.isSnapshot() ? null : change.source().commitTime();
        }
        return ((LogicalMessage) event).transaction().map(Transaction::commitTime).orElse(null);
    }

    /**
     * Calls back, applying the failure policy; returns once the call succeeded or the event is dead-lettered.
     *
     * @param kind the callback's name in metrics: change, message, batch, begin or commit
     */
    private void call(String kind, java.util.function.Supplier<String> what, Callback callback, CdcEvent event) throws Exception {
        FailurePolicy policy = config.failurePolicy();
        for (int attempt = 0; ; attempt++) {
            try {
                long started = System.nanoTime();
                callback.run();
                stats.called(kind, System.nanoTime() - started);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (attempt < policy.maxRetries()) {
                    stats.retried();
                    Duration wait = policy.backoff(attempt + 1);
                    LOG.warn("engine '{}': the listener threw {} on {}; retry {} of {} in {}", config.name(), e, what.get(),
                            attempt + 1, policy.maxRetries(), wait);
                    backoff(wait);
                    continue;
                }
                if (policy.deadLetter().isPresent() && event != null) {
                    deadLetter(policy.deadLetter().get(), event, what.get(), e);
                    return;
                }
                throw listenerFailed(what.get(), event, e);
            } catch (Error e) {
                throw listenerFailed(what.get(), event, e);
            }
        }
    }

    private void deadLetter(FailurePolicy.DeadLetterHandler handler, CdcEvent event, String what, Exception cause) throws Exception {
        try {
            if (event instanceof ChangeEvent) {
                handler.accept((ChangeEvent) event, cause);
            } else {
                handler.acceptMessage((LogicalMessage) event, cause);
            }
            stats.deadLettered();
            LOG.warn("engine '{}': {} handed to the dead-letter handler after {}", config.name(), what, cause.toString());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            ListenerException error = listenerFailed(what, event, cause);
            if (e != cause) {
                error.addSuppressed(e);
            }
            LOG.error("engine '{}': the dead-letter handler threw too: {}", config.name(), e.toString());
            throw error;
        }
    }

    private ListenerException listenerFailed(String what, CdcEvent event, Throwable cause) {
        ListenerException error = new ListenerException(what, event, cause);
        LOG.error("engine '{}' stops: {}", config.name(), error.getMessage(), cause);
        synchronized (this) {
            if (failure == null) {
                failure = error;
            }
        }
        return error;
    }

    private CdcException fail(CdcException e) {
        failure = e;
        return e;
    }

    /** Waits between retries; close() cuts the wait short, leaving the event unacknowledged. */
    private void backoff(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            if (closing.getAsBoolean()) {
                throw new InterruptedException("engine '" + config.name() + "' is closing");
            }
            Thread.sleep(Math.max(1, Math.min(50, (deadline - System.nanoTime()) / 1_000_000)));
        }
    }
}
