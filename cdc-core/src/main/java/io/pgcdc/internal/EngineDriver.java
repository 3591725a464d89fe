package io.pgcdc.internal;

import io.debezium.engine.DebeziumEngine;
import io.debezium.engine.RecordChangeEvent;
import io.debezium.engine.StopEngineException;
import io.debezium.engine.format.ChangeEventFormat;
import io.debezium.embedded.Connect;
import java.io.IOException;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.locks.ReentrantLock;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Runs one Debezium embedded engine on a thread of its own and hands each record to a
 * {@link RecordHandler}, acknowledging a record only after the handler returned.
 */
public final class EngineDriver {

    /** Receives records on the delivery thread, one at a time, in commit order. */
    public interface RecordHandler {
        /**
         * Handles one record.
         *
         * @throws Exception to stop the engine without acknowledging this record
         */
        void handle(SourceRecord record) throws Exception;
    }

    /** Hears the engine's lifecycle. Called from engine threads. */
    public interface Observer {
        /** The task started and the engine polls: the slot exists and changes from now on are captured. */
        void polling();

        /** The engine ended; {@code error} is null when it ended without one. */
        void completed(boolean success, String message, Throwable error);
    }

    private static final Logger LOG = LoggerFactory.getLogger(EngineDriver.class);

    private final String name;
    private final DebeziumEngine<RecordChangeEvent<SourceRecord>> engine;
    private final Observer observer;
    private final CountDownLatch finished = new CountDownLatch(1);
    private final Thread runner;
    private volatile Thread deliveryThread;
    private volatile boolean interrupted;
    private volatile boolean stopping;
    private RecordChangeEvent<SourceRecord> held;
    private long heldLsn;
    private final ReentrantLock delivering = new ReentrantLock();

    /** Builds the engine; nothing runs until {@link #start()}. */
    public EngineDriver(String name, Properties properties, RecordHandler handler, Observer observer) {
        this.name = name;
        this.observer = observer;
        this.engine = DebeziumEngine.create(ChangeEventFormat.of(Connect.class))
                .using(properties)
                .using(new DebeziumEngine.ConnectorCallback() {
                    @Override
                    public void pollingStarted() {
                        observer.polling();
                    }
                })
                .using((success, message, error) -> {
                    try {
                        observer.completed(success, message, error);
                    } finally {
                        finished.countDown();
                    }
                })
                .notifying(new Consumer(handler))
                .build();
        this.runner = new Thread(engine, "pgcdc-" + name + "-engine");
    }

    /** Starts the engine thread. */
    public void start() {
        runner.start();
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
        // Debezium's own close interrupts the delivery thread at once; wait for the callback in progress first.
        if (delivering.tryLock(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            delivering.unlock();
        } else {
            LOG.warn("engine {}: a listener callback still runs after {}; interrupting it", name, timeout);
            interrupted = true;
            Thread delivery = deliveryThread;
            if (delivery != null) {
                delivery.interrupt();
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
                engine.close();
                return;
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

    /** Delivers a batch record by record; acknowledges each one only after the handler returned. */
    private final class Consumer implements DebeziumEngine.ChangeConsumer<RecordChangeEvent<SourceRecord>> {
        private final RecordHandler handler;

        Consumer(RecordHandler handler) {
            this.handler = handler;
        }

        @Override
        public void handleBatch(List<RecordChangeEvent<SourceRecord>> records,
                                DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
            deliveryThread = Thread.currentThread();
            delivering.lockInterruptibly();
            try {
                deliver(records, committer);
            } finally {
                delivering.unlock();
            }
        }

        private void deliver(List<RecordChangeEvent<SourceRecord>> records,
                             DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
            for (RecordChangeEvent<SourceRecord> record : records) {
                Long lsn = streamedLsn(record.record());
                releaseHeld(lsn, committer);
                if (stopping) {
                    // Closing: acknowledge what was handled and leave the rest of the batch for the next start.
                    committer.markBatchFinished();
                    throw new StopEngineException("engine " + name + " is closing");
                }
                try {
                    handler.handle(record.record());
                } catch (InterruptedException e) {
                    if (stopping) {
                        // close() cut a callback or its retry backoff short: stop without acknowledging the record.
                        committer.markBatchFinished();
                        throw new StopEngineException("engine " + name + " is closing");
                    }
                    Thread.currentThread().interrupt();
                    throw e;
                } catch (Exception e) {
                    // Flush what was handled before this record, then stop without acknowledging it.
                    committer.markBatchFinished();
                    throw new StopEngineException("record handler failed: " + e);
                }
                acknowledge(record, lsn, committer);
            }
            committer.markBatchFinished();
        }

        /** Acknowledges the held record once a record with another LSN shows its group ended. */
        private void releaseHeld(Long nextLsn, DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer)
                throws InterruptedException {
            if (held != null && (nextLsn == null || nextLsn != heldLsn)) {
                committer.markProcessed(held);
                held = null;
            }
        }

        /**
         * Records the offset of a handled record, except inside a group of changes that share one LSN.
         *
         * <p>PostgreSQL logs a multi-row insert (COPY) as one WAL record: its rows reach Debezium with the
         * same LSN, and Debezium's pgoutput decoder marks each of them "last event for this LSN". An offset
         * stored after some rows of such a group makes a restarted engine skip the rest of the group
         * (measured: rows lost after a kill -9). So a streamed change's offset is held until the next
         * record shows the group ended (another LSN, or the transaction's END marker); a restart then
         * replays the whole group: repeats, never losses.
         */
        private void acknowledge(RecordChangeEvent<SourceRecord> record, Long lsn,
                                 DebeziumEngine.RecordCommitter<RecordChangeEvent<SourceRecord>> committer) throws InterruptedException {
            if (lsn != null && isChange(record.record())) {
                held = record;
                heldLsn = lsn;
            } else {
                committer.markProcessed(record);
            }
        }

        @Override
        public boolean supportsTombstoneEvents() {
            return true;
        }
    }

    /** The LSN of a streamed record (not a snapshot read), or {@code null}. */
    private static Long streamedLsn(SourceRecord record) {
        Map<String, ?> offset = record.sourceOffset();
        if (offset == null || offset.containsKey("snapshot") || offset.containsKey("last_snapshot_record")) {
            return null;
        }
        Object lsn = offset.get("lsn");
        return lsn instanceof Number ? ((Number) lsn).longValue() : null;
    }

    /** Whether a record is a row change (or its tombstone), rather than a transaction marker or heartbeat. */
    private static boolean isChange(SourceRecord record) {
        if (record.value() == null) {
            return true;
        }
        Object value = record.value();
        return value instanceof Struct && ((Struct) value).schema().field("op") != null;
    }
}
