package io.pgcdc.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.StopEngineException;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import java.io.IOException;
import java.time.Duration;
import java.util.ArrayDeque;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ThreadFactory;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs Debezium's embedded engine on a thread of its own and hands each record to a
 * {@link RecordHandler} on the delivery thread; stores a record's offset only once the handler said
 * that it and everything before it were handled, and never inside a group of changes sharing one LSN.
 * Restarts Debezium from the stored offsets when the handler asks for it ({@link RestartRequest}).
 */
public final class EngineDriver {

    /** Receives records on the delivery thread, one at a time, in commit order. */
    public interface RecordHandler {
        /**
         * Handles one record; calls {@link Acks#handledThrough} once it and all records before it are handled.
         *
         * @throws RestartRequest to have Debezium restarted from the stored offsets
         * @throws Exception to stop the engine; records not acknowledged are delivered again on the next start
         */
        void handle(SourceRecord record, Acks acks) throws Exception;

        /** Debezium has no more records at hand for now. */
        void endOfBatch(Acks acks) throws Exception;

        /** Debezium restarted: the records not acknowledged come again; forget them. */
        void reset();

        /** The engine ended: release the handler's threads. */
        default void close() {
        }
    }

    /** Where a handler says which records are handled. */
    public interface Acks {
        /** This record and every record before it are handled: their offsets may be stored. */
        void handledThrough(SourceRecord record);

        /**
         * Nothing received so far and not acknowledged will be acknowledged: the handler will ask for a
         * restart, which delivers those records again. Keeps memory bounded while a large transaction is read.
         */
        void discardPending();
    }

    /** Thrown by a handler to restart Debezium from the offsets stored so far, within the same engine. */
    public static final class RestartRequest extends RuntimeException {
        private static final long serialVersionUID = 1L;

        /** Creates the request; {@code why} is logged. */
        public RestartRequest(String why) {
            super(why, null, false, false);
        }
    }

    /** Work the delivery thread does before Debezium starts: the engine's own snapshot. */
    public interface Prelude {
        /**
         * Runs once, on the delivery thread.
         *
         * @throws SnapshotSession.Stopped when the engine is closing: Debezium does not start
         * @throws Exception to fail the engine
         */
        void run() throws Exception;
    }

    /** Hears the engine's lifecycle. Called from engine threads. */
    public interface Observer {
        /** The task started and the engine polls: the slot exists and changes from now on are captured. */
        void polling();

        /** The engine ended; {@code error} is null when it ended without one. */
        void completed(boolean success, String message, Throwable error);
    }

    private static final Logger LOG = LoggerFactory.getLogger(EngineDriver.class);
    /** Debezium's offset key for the last completely processed LSN, which makes a restart search the WAL for it. */
    private static final String LAST_PROCESSED_LSN = "lsn_proc";

    private final String name;
    private final Properties properties;
    private final RecordHandler handler;
    private final Observer observer;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread runner;
    private final ExecutorService delivery;
    private final ReentrantLock delivering = new ReentrantLock();
    private final ArrayDeque<Pending> pending = new ArrayDeque<>();
    private volatile DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private volatile Thread deliveryThread;
    private volatile boolean interrupted;
    private volatile boolean stopping;
    private volatile boolean restartRequested;
    private volatile boolean taskRestarted;
    private volatile boolean taskStartedOnce;
    private boolean lastSuccess;
    private String lastMessage;
    private Throwable lastError;
    private RecordChangeEvent<SourceRecord> held;
    private long heldLsn;
    /** {@link Pending#lsn} of a record without a streamed LSN. */
    private static final long NO_LSN = Long.MIN_VALUE;
    private DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer;
    private volatile Prelude prelude;

    /** Builds the driver; nothing runs until {@link #start()}. The delivery thread comes from {@code threadFactory}. */
    public EngineDriver(String name, Properties properties, RecordHandler handler, Observer observer, ThreadFactory threadFactory) {
        this.name = name;
        this.properties = properties;
        this.handler = handler;
        this.observer = observer;
        this.delivery = Executors.newSingleThreadExecutor(runnable -> {
            Thread t = threadFactory.newThread(runnable);
            deliveryThread = t;
            return t;
        });
        this.runner = new Thread(this::run, "pgcdc-" + name + "-engine");
    }

    private DebeziumEngine<RecordChangeEvent<SourceRecord>> build() {
        return DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void pollingStarted() {
                        observer.polling();
                    }

                    @Override
                    public void taskStarted() {
                        // A task started again inside a running engine (lost connection): it replays from the stored offsets.
                        if (taskStartedOnce) {
                            taskRestarted = true;
                        }
                        taskStartedOnce = true;
                    }
                })
                .using((success, message, error) -> {
                    lastSuccess = success;
                    lastMessage = message;
                    lastError = error;
                })
                .notifying(new Consumer())
                .build();
    }

    private void run() {
        try {
            lastSuccess = true;
            if (!runPrelude()) {
                observer.completed(lastSuccess, lastMessage, lastError);
                return;
            }
            while (true) {
                try {
                    engine = build();
                    engine.run();
                } catch (RuntimeException e) {
                    lastSuccess = false;
                    lastMessage = e.getMessage();
                    lastError = e;
                    break;
                }
                if (!restartRequested || stopping) {
                    break;
                }
                restartRequested = false;
                taskStartedOnce = false;
                LOG.info("engine {}: restarting Debezium from the stored offsets", name);
            }
            observer.completed(lastSuccess, lastMessage, lastError);
        } finally {
            delivery.shutdownNow();
            handler.close();
            finished.countDown();
        }
    }

    /** Sets work for the delivery thread before Debezium starts; call before {@link #start()}. */
    public void prelude(Prelude prelude) {
        this.prelude = prelude;
    }

    /**
     * Runs the prelude on the delivery thread, holding the delivery lock as a Debezium batch does (so that
     * {@link #stop} waits for the callback in progress, then interrupts it).
     *
     * @return whether Debezium may start
     */
    private boolean runPrelude() {
        Prelude p = prelude;
        if (p == null) {
            return true;
        }
        Future<?> done = delivery.submit(() -> {
            delivering.lockInterruptibly();
            try {
                p.run();
            } finally {
                delivering.unlock();
            }
            return null;
        });
        try {
            done.get();
            return !stopping;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            done.cancel(true);
            return false;
        } catch (ExecutionException e) {
            Throwable cause = e.getCause();
            if (cause instanceof SnapshotSession.Stopped || (stopping && cause instanceof InterruptedException)) {
                return false;
            }
            lastSuccess = false;
            lastMessage = cause.getMessage();
            lastError = cause;
            return false;
        }
    }

    /** Starts the engine thread. */
    public void start() {
        runner.start();
    }

    /** Whether the calling thread is the delivery thread, which runs the listener. */
    public boolean isDeliveryThread() {
        return Thread.currentThread() == deliveryThread;
    }

    /** Whether {@link #stop} had to interrupt the engine because it did not stop in time. */
    public boolean wasInterrupted() {
        return interrupted;
    }

    /** Whether the engine ended and called its completion callback. */
    public boolean isFinished() {
        return finished.getCount() == 0;
    }

    /** Waits until the engine ended. */
    public boolean awaitFinished(Duration timeout) throws InterruptedException {
        return finished.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops gracefully: lets the callback in progress finish, delivers nothing more, flushes offsets
     * and stops Debezium. A callback still running after {@code timeout} is interrupted; its event is
     * not acknowledged.
     *
     * @return whether the engine ended within the timeout (plus a short grace period after an interrupt)
     */
    public boolean stop(Duration timeout) throws InterruptedException {
        if (isFinished()) {
            return true;
        }
        long deadline = System.nanoTime() + timeout.toNanos();
        stopping = true;
        // Debezium's own close interrupts the thread that calls the consumer at once; wait for the callback in progress first.
        if (delivering.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            delivering.unlock();
        } else {
            LOG.warn("engine {}: a listener callback still runs after {}; interrupting it", name, timeout);
            interrupted = true;
            Thread t = deliveryThread;
            if (t != null) {
                t.interrupt();
            }
        }
        Thread stopper = new Thread(() -> closeEngine(deadline), "pgcdc-" + name + "-stop");
        stopper.setDaemon(true);
        stopper.start();
        long grace = Math.max(deadline - System.nanoTime(), TimeUnit.SECONDS.toNanos(5));
        if (finished.await(grace, TimeUnit.NANOSECONDS)) {
            return true;
        }
        LOG.warn("engine {} did not stop in time; interrupting its threads", name);
        interrupted = true;
        runner.interrupt();
        stopper.interrupt();
        return finished.await(2, TimeUnit.SECONDS);
    }

    private void closeEngine(long deadline) {
        while (true) {
            try {
                DebeziumEngine<RecordChangeEvent<SourceRecord>> e = engine;
                if (e != null) {
                    e.close();
                }
                if (engine == e) {
                    return;
                }
            } catch (IllegalStateException e) {
                // Debezium refuses to stop while tasks start (they hold connections); wait until they run.
                String message = String.valueOf(e.getMessage());
                if (message.contains("already") || isFinished() || System.nanoTime() > deadline) {
                    return;
                }
                try {
                    Thread.sleep(20);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            } catch (IOException | RuntimeException e) {
                LOG.warn("closing engine {} failed: {}", name, e.toString());
                return;
            }
        }
    }

    /** Hands each batch to the delivery thread and waits for it; acknowledges what the handler handled. */
    private final class Consumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {

        @Override
        public void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                                DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> batchCommitter) throws InterruptedException {
            delivering.lockInterruptibly();
            try {
                Future<?> done = delivery.submit(() -> {
                    deliver(records, batchCommitter);
                    return null;
                });
                try {
                    done.get();
                } catch (InterruptedException e) {
                    // Debezium's close: the callback in progress still finishes on the delivery thread.
                    if (!stopping) {
                        done.cancel(true);
                        throw e;
                    }
                    try {
                        done.get();
                    } catch (ExecutionException ignored) {
                        // reported below on the next call, or by the stop itself
                    }
                    throw new StopEngineException("engine " + name + " is closing");
                } catch (ExecutionException e) {
                    Throwable cause = e.getCause();
                    if (cause instanceof RuntimeException) {
                        throw (RuntimeException) cause;
                    }
                    if (cause instanceof InterruptedException) {
                        throw (InterruptedException) cause;
                    }
                    throw new StopEngineException("delivery failed: " + cause);
                }
            } finally {
                delivering.unlock();
            }
        }

        private void deliver(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> batchCommitter) throws InterruptedException {
            committer = batchCommitter;
            if (taskRestarted) {
                taskRestarted = false;
                pending.clear();
                held = null;
                handler.reset();
            }
            Acks acks = new Acks() {
                @Override
                public void handledThrough(SourceRecord record) {
                    acknowledgeThrough(record);
                }

                @Override
                public void discardPending() {
                    pending.clear();
                }
            };
            try {
                for (RecordChangeEvent<SourceRecord> record : records) {
                    if (stopping) {
                        // Closing: acknowledge what was handled and leave the rest of the batch for the next start.
                        batchCommitter.markBatchFinished();
                        throw new StopEngineException("engine " + name + " is closing");
                    }
                    Pending arrived = new Pending(record);
                    releaseHeldBefore(arrived);
                    pending.addLast(arrived);
                    handler.handle(record.record(), acks);
                }
                handler.endOfBatch(acks);
            } catch (RestartRequest e) {
                LOG.info("engine {}: {}", name, e.getMessage());
                restartRequested = true;
                pending.clear();
                held = null;
                handler.reset();
                batchCommitter.markBatchFinished();
                throw new StopEngineException("engine " + name + " restarts");
            } catch (InterruptedException e) {
                batchCommitter.markBatchFinished();
                if (stopping) {
                    // close() cut a callback or its retry backoff short: stop without acknowledging the record.
                    throw new StopEngineException("engine " + name + " is closing");
                }
                Thread.currentThread().interrupt();
                throw e;
            } catch (StopEngineException e) {
                batchCommitter.markBatchFinished();
                throw e;
            } catch (Exception e) {
                // Flush what was handled, then stop without acknowledging the rest.
                batchCommitter.markBatchFinished();
                throw new StopEngineException("record handler failed: " + e);
            }
            batchCommitter.markBatchFinished();
        }
    }

    /**
     * Records the offsets of handled records, in order, except inside a group of changes sharing one LSN.
     *
     * <p>PostgreSQL logs a multi-row insert (COPY) as one WAL record: its rows reach Debezium with the
     * same LSN, and Debezium's pgoutput decoder marks each of them "last event for this LSN". An offset
     * stored after some rows of such a group makes a restarted engine skip the rest of the group
     * (measured: rows lost after a kill -9). So a streamed change's offset is held until a handled record
     * shows the group ended (another LSN, or the transaction's END marker); a restart then replays the
     * whole group: repeats, never losses. A heartbeat that Debezium emits inside the group carries the same
     * offset and is not stored either (under load a beat between two rows of a COPY lost the rest of its group,
     * {@code ResumePositionIT}).
     */
    private void acknowledgeThrough(SourceRecord last) {
        try {
            while (!pending.isEmpty()) {
                Pending r = pending.pollFirst();
                releaseHeldBefore(r);
                if (r.lsn != NO_LSN && r.change) {
                    held = r.event;
                    heldLsn = r.lsn;
                } else if (held == null || r.lsn == NO_LSN || r.lsn != heldLsn) {
                    mark(r.event);
                }
                // Otherwise a heartbeat between two changes of the held group (Debezium beats when a read finds nothing
                // pending, e.g. while the server is slow to send the rest of a large transaction): its offset says
                // "everything at this LSN processed", exactly what must not be stored yet, and it carries nothing else.
                if (r.event.record() == last) {
                    Pending next = pending.peekFirst();
                    if (next != null) {
                        // The next record has already arrived: it may show that the held change's group is complete.
                        releaseHeldBefore(next);
                    }
                    return;
                }
            }
            throw new IllegalStateException("acknowledged a record that was not pending: " + last.sourceOffset());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while acknowledging", e);
        }
    }

    /** Stores the held change's offset when {@code next}, which follows it, has another LSN: its group is complete. */
    private void releaseHeldBefore(Pending next) throws InterruptedException {
        if (held != null && (next.lsn == NO_LSN || next.lsn != heldLsn)) {
            mark(held);
            held = null;
        }
    }

    /** A record handed to the handler and not yet acknowledged, with what acknowledging it needs, read once. */
    private static final class Pending {
        final RecordChangeEvent<SourceRecord> event;
        /** The streamed LSN, or {@code NO_LSN} for a snapshot read or a record without one. */
        final long lsn;
        /** A row change, message or tombstone rather than a transaction marker or heartbeat. */
        final boolean change;

        Pending(RecordChangeEvent<SourceRecord> event) {
            this.event = event;
            Long l = streamedLsn(event.record().sourceOffset());
            this.lsn = l == null ? NO_LSN : l;
            this.change = isChange(event.record());
        }
    }

    /**
     * Stores a handled record's offset. A position between transactions (a transaction's END, a heartbeat
     * or a non-transactional message after it) is stored without Debezium's "last completely processed
     * LSN", so that a restart resumes the way PostgreSQL's own logical replication does: the server sends
     * every transaction that commits after the stored commit LSN, whole.
     *
     * <p>Why: with that key present, Debezium's {@code WalPositionLocator} looks for a message at the
     * stored LSN and skips everything up to the one after it. A transaction's commit LSN is the end of its
     * commit record, which is where the next WAL record starts; when that record is a change of a
     * transaction that began earlier and commits later (a heartbeat or any other writer committing between
     * a long transaction's changes), the search takes it for processed and that transaction's changes up to
     * it are lost (reproduced by {@code ResumePositionIT}; it is how the kill -9 suite lost changes).
     * Positions inside a transaction (a large transaction delivered as it streams) keep the key: there the
     * search resumes after the last handled change of that same transaction.
     */
    private void mark(RecordChangeEvent<SourceRecord> r) throws InterruptedException {
        Map<String, ?> offset = r.record().sourceOffset();
        if (!isBetweenTransactions(offset)) {
            committer.markProcessed(r);
            return;
        }
        DebeziumEngine.Offsets boundary = committer.buildOffsets();
        offset.forEach((key, value) -> {
            if (!LAST_PROCESSED_LSN.equals(key)) {
                boundary.set(key, value);
            }
        });
        committer.markProcessed(r, boundary);
    }

    /**
     * Whether a streamed offset lies between transactions: taken at a commit (the END marker and the
     * heartbeats after it carry the COMMIT message type) or outside any transaction (a non-transactional
     * message), and at the last commit's LSN.
     */
    static boolean isBetweenTransactions(Map<String, ?> offset) {
        Long lsn = streamedLsn(offset);
        Object commit = offset == null ? null : offset.get("lsn_commit");
        if (lsn == null || !(commit instanceof Number) || lsn != ((Number) commit).longValue()) {
            return false;
        }
        return "COMMIT".equals(offset.get("messageType")) || !offset.containsKey("transaction_id");
    }

    /** The LSN of a streamed record's offset (not a snapshot read's), or {@code null}. */
    private static Long streamedLsn(Map<String, ?> offset) {
        if (offset == null || offset.containsKey("snapshot") || offset.containsKey("last_snapshot_record")) {
            return null;
        }
        Object lsn = offset.get("lsn");
        return lsn instanceof Number ? ((Number) lsn).longValue() : null;
    }

    /** Whether a record is a row change, message or tombstone, rather than a transaction marker or heartbeat. */
    private static boolean isChange(SourceRecord record) {
        if (record.value() == null) {
            return true;
        }
        Object value = record.value();
        return value instanceof Struct && ((Struct) value).schema().field("op") != null;
    }
}
