package io.pgcdc;

import io.pgcdc.internal.ConnectorValidation;
import io.pgcdc.internal.DebeziumProperties;
import io.pgcdc.internal.EngineMemoryOffsetStore;
import io.pgcdc.internal.HealthMonitor;
import io.pgcdc.internal.JdbcOffsetStore;
import io.pgcdc.internal.Standby;
import io.pgcdc.internal.OffsetChecks;
import io.pgcdc.internal.EngineDriver;
import io.pgcdc.internal.Preflight;
import io.pgcdc.internal.StreamingProbe;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Captures the changes a {@link CdcConfig} names and hands them to a {@link ChangeListener}.
 *
 * <pre>{@code
 * try (CdcEngine engine = CdcEngine.create(config, listener)) {
 *     engine.start();               // returns once changes are captured; throws CdcException if it cannot
 *     engine.awaitTermination(Duration.ofDays(365));
 * }
 * }</pre>
 *
 * <p>Lifecycle: {@link State#NEW} → {@link #start()} → {@link State#RUNNING} → {@link #close()} →
 * {@link State#STOPPED}; {@link State#FAILED} when it cannot start, a listener throws, or Debezium
 * fails, with the reason in {@link #failure()}. An engine runs once; create another to restart.
 * Methods are thread-safe. Callbacks run on one engine thread; see {@link ChangeListener}.
 */
public final class CdcEngine implements AutoCloseable {

    /** Where an engine is in its life. */
    public enum State {
        /** Created, not started. */
        NEW,
        /**
         * Standby mode ({@link CdcConfig#standby()}): another replica runs the engine; this one polls and takes over
         * when that one stops, dies or stalls past its lease.
         */
        STANDBY,
        /** {@link #start()} is checking PostgreSQL and starting Debezium. */
        STARTING,
        /** Capturing and delivering changes. */
        RUNNING,
        /**
         * Running, but the replication stream is down (connection lost, PostgreSQL restarting); Debezium
         * reconnects and the state returns to {@link #RUNNING}, or becomes {@link #FAILED} when its
         * retries run out. {@link CdcEngine#problem()} says what the last check saw.
         */
        RECONNECTING,
        /** {@link #close()} is delivering what was read and flushing offsets. */
        STOPPING,
        /** Stopped without error. */
        STOPPED,
        /** Stopped because of the error in {@link #failure()}. */
        FAILED;

        /** Whether the engine has ended, for good. */
        public boolean isTerminal() {
            return this == STOPPED || this == FAILED;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(CdcEngine.class);
    private static final long PROBE_INTERVAL_MILLIS = 20;
    /** How often a running engine checks its slot: stream up or down, and lag. */
    public static final Duration HEALTH_INTERVAL = Duration.ofSeconds(1);

    private final CdcConfig config;
    private final ChangeListener listener;
    private final BatchListener batchListener;
    private final String engineId = java.util.UUID.randomUUID().toString();
    private final Object lock = new Object();
    private final CountDownLatch polling = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile State state = State.NEW;
    private volatile CdcException failure;
    private volatile boolean closing;
    private volatile Standby standby;
    private volatile long slotLagBytes = -1;
    private volatile String problem;
    private final EngineStats stats = new EngineStats();
    private HealthMonitor monitor;
    private EngineDriver driver;
    private Delivery delivery;

    private CdcEngine(CdcConfig config, ChangeListener listener, BatchListener batchListener) {
        this.config = config;
        this.listener = listener;
        this.batchListener = batchListener;
    }

    /** Creates an engine that calls {@code listener} for each event; nothing connects until {@link #start()}. */
    public static CdcEngine create(CdcConfig config, ChangeListener listener) {
        return new CdcEngine(Objects.requireNonNull(config, "config"), Objects.requireNonNull(listener, "listener"), null);
    }

    /**
     * Creates an engine that hands events to {@code listener} in batches ending on transaction
     * boundaries (see {@link BatchListener}); nothing connects until {@link #start()}.
     */
    public static CdcEngine create(CdcConfig config, BatchListener listener) {
        if (Objects.requireNonNull(config, "config").lanes() > 1) {
            throw new IllegalArgumentException("lanes (" + config.lanes() + ") apply to a ChangeListener; a BatchListener gets whole"
                    + " batches on one thread: handle a batch's events in parallel inside onBatch, or use lanes(1)");
        }
        return new CdcEngine(Objects.requireNonNull(config, "config"), null, Objects.requireNonNull(listener, "listener"));
    }

    /**
     * The exact Debezium connector and engine properties an engine with this configuration runs with
     * (the same ones a Kafka Connect worker can run); {@code toString()} masks passwords and other secrets.
     */
    public static Properties debeziumProperties(CdcConfig config) {
        return DebeziumProperties.of(Objects.requireNonNull(config, "config"));
    }

    /** The configuration this engine runs with. */
    public CdcConfig config() {
        return config;
    }

    /** The current state. */
    public State state() {
        return state;
    }

    /**
     * Bytes of WAL PostgreSQL keeps for this engine's slot beyond what the engine confirmed, checked
     * every {@link #HEALTH_INTERVAL} while running: the backlog, and the disk an idle or stuck engine pins.
     * Empty before the first check or when the check fails.
     */
    public java.util.OptionalLong slotLagBytes() {
        long lag = slotLagBytes;
        return lag < 0 ? java.util.OptionalLong.empty() : java.util.OptionalLong.of(lag);
    }

    /** What the last health check saw wrong while {@link State#RECONNECTING}; empty when all is well. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /** Why the engine failed; empty unless the state is {@link State#FAILED}. */
    public Optional<CdcException> failure() {
        return Optional.ofNullable(failure);
    }

    /**
     * The engine's health now, in one immutable snapshot: state, last event and its lag, slot lag,
     * problem, failure. Cheap (no query: the slot is checked every {@link #HEALTH_INTERVAL}); any thread.
     */
    public EngineHealth health() {
        long lagMillis = stats.lastLagMillis();
        return new EngineHealth(state, java.time.Instant.now(), stats.lastEventTime(),
                lagMillis < 0 ? null : java.time.Duration.ofMillis(lagMillis), slotLagBytes, problem, failure, stats.events(),
                stats.snapshotRows(), stats.snapshotRunning(), stats.snapshotEstimate());
    }

    /** The engine's counters, for {@link CdcMetrics}. */
    EngineStats stats() {
        return stats;
    }

    /**
     * Checks PostgreSQL, starts Debezium and returns once the replication slot and publication exist
     * and every change committed from then on will be delivered (a snapshot, if configured, is then
     * under way). Blocks at most {@link CdcConfig#startTimeout()}.
     *
     * @throws CdcException saying what is wrong and how to fix it: unreachable server, wrong
     *     password, {@code wal_level} not logical, a missing table, a slot in use, an invalid property
     * @throws IllegalStateException when called twice
     */
    public void start() {
        synchronized (lock) {
            if (state != State.NEW) {
                throw new IllegalStateException("start() may be called once, on a NEW engine; this one is " + state);
            }
            if (config.standby()) {
                Standby waiting = new Standby(config, this::startAsLeader, this::leadershipLost);
                checking(() -> waiting.check(DebeziumProperties.of(config)));
                state = State.STANDBY;
                standby = waiting;
                standby.start();
                LOG.info("engine '{}' stands by as {}: it runs when no other replica does", config.name(), config.replicaName());
                return;
            }
            state = State.STARTING;
        }
        startNow();
    }

    /** Runs start-up checks: a failure fails the engine and is thrown, as a {@link CdcException} saying what is wrong. */
    private void checking(Runnable checks) {
        try {
            checks.run();
        } catch (CdcException e) {
            fail(e);
            throw e;
        } catch (RuntimeException e) {
            CdcException wrapped = new CdcException(FailureReason.INTERNAL, "starting engine '" + config.name() + "' failed: " + e, e);
            fail(wrapped);
            throw wrapped;
        }
    }

    /** On the standby thread, once this replica holds the lease: the start a replica without standby makes at once. */
    private void startAsLeader() {
        synchronized (lock) {
            if (state != State.STANDBY) {
                return;
            }
            state = State.STARTING;
        }
        try {
            startNow();
        } catch (CdcException e) {
            // fail() recorded it; the lease is given up so that another replica may try.
            LOG.error("engine '{}' could not start after taking over: {}", config.name(), e.getMessage());
            standby.stop();
        }
    }

    /** On the standby thread: another replica holds the engine now. Nothing more is delivered or stored. */
    private void leadershipLost(String why) {
        closing = true;
        LOG.error(why);
        fail(new CdcException(FailureReason.LEADERSHIP_LOST, why));
        if (driver != null) {
            // Possibly on the delivery thread (a renewal before an event): the driver stops once that returns.
            Thread stopper = new Thread(this::stopDriver, "pgcdc-" + config.name() + "-lost");
            stopper.setDaemon(true);
            stopper.start();
        }
    }

    private void startNow() {
        Properties properties = DebeziumProperties.of(config);
        java.util.OptionalLong[] stored = new java.util.OptionalLong[1];
        checking(() -> {
            stored[0] = OffsetChecks.prepare(config);
            Preflight.check(config, stored[0]);
            // After the server checks: Debezium's own check logs a stack trace for an unreachable server or a wrong password.
            // A standby made it before standing by (Standby.check); a takeover does not spend its time on it again.
            if (standby == null) {
                ConnectorValidation.check(properties);
            }
        });
        java.util.OptionalLong storedPosition = stored[0];
        // The engine reads snapshots itself (EngineSnapshot); Debezium only streams, from the stored offsets.
        properties.setProperty("snapshot.mode", SnapshotMode.NONE.debeziumName());
        String placeholder = properties.getProperty("unavailable.value.placeholder", DebeziumProperties.DEFAULT_UNAVAILABLE_PLACEHOLDER);
        if (properties.containsKey(EngineMemoryOffsetStore.ID_PROPERTY)) {
            properties.setProperty(EngineMemoryOffsetStore.ID_PROPERTY, engineId);
        }
        if (config.offsetStore() instanceof OffsetStore.JdbcStore && ((OffsetStore.JdbcStore) config.offsetStore()).dataSource() != null) {
            JdbcOffsetStore.register(engineId, ((OffsetStore.JdbcStore) config.offsetStore()).dataSource());
            properties.setProperty(JdbcOffsetStore.DATA_SOURCE_PROPERTY, engineId);
        }
        Standby lease = standby;
        // In standby mode nothing is delivered unless this replica still holds the lease (checked per event, renewed
        // on the spot when it is getting old): a leader that was frozen past its lease delivers nothing after it wakes.
        java.util.function.BooleanSupplier stop = lease == null ? () -> closing : () -> closing || !lease.mayDeliver();
        delivery = new Delivery(config, listener, batchListener, new EventMapper(placeholder), stop, stats);
        EngineSnapshot snapshot = null;
        if (EngineSnapshot.needed(config, storedPosition)) {
            try {
                snapshot = EngineSnapshot.open(config, properties, storedPosition, engineId, placeholder, config.startTimeout());
            } catch (CdcException e) {
                fail(e);
                throw e;
            }
            stats.snapshotStarted(snapshot.estimatedRows());
        } else if (storedPosition.isEmpty()) {
            try {
                long from = io.pgcdc.internal.SnapshotOffsets.streamFromSlot(config, engineId);
                if (from >= 0) {
                    LOG.info("engine '{}': no stored offsets; streaming starts at slot '{}''s position {}", config.name(), config.slotName(),
                            Lsn.of(from));
                }
            } catch (CdcException e) {
                fail(e);
                throw e;
            }
        }
        synchronized (lock) {
            if (state != State.STARTING) {
                if (snapshot != null) {
                    snapshot.close();
                }
                throw new CdcException(FailureReason.INTERRUPTED, "engine '" + config.name() + "' was closed while starting");
            }
            driver = new EngineDriver(config.name(), properties, delivery, new DriverObserver(), config.threadFactory());
            if (snapshot != null) {
                EngineSnapshot s = snapshot;
                driver.prelude(() -> {
                    try {
                        s.run(delivery, () -> closing);
                    } finally {
                        stats.snapshotDone();
                    }
                });
            }
            driver.start();
            if (snapshot != null) {
                // Every change committed from the snapshot's position on will follow its rows: capturing.
                state = State.RUNNING;
            }
        }
        if (snapshot != null) {
            LOG.info("engine '{}' reads its snapshot of {}, then streams from slot '{}'", config.name(), config.tables(), config.slotName());
            monitor = new HealthMonitor(config, HEALTH_INTERVAL, this::checked, stats::snapshotRunning);
            monitor.start();
            return;
        }
        awaitStreaming();
    }

    private void awaitStreaming() {
        long deadline = System.nanoTime() + config.startTimeout().toNanos();
        boolean capturing = false;
        try {
            if (polling.await(config.startTimeout().toNanos(), TimeUnit.NANOSECONDS) && state == State.STARTING) {
                try (StreamingProbe probe = StreamingProbe.open(config)) {
                    while (state == State.STARTING && !(capturing = probe.isCapturing()) && System.nanoTime() < deadline) {
                        Thread.sleep(PROBE_INTERVAL_MILLIS);
                    }
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            close();
            throw new CdcException(FailureReason.INTERRUPTED, "interrupted while starting engine '" + config.name() + "'", e);
        } catch (SQLException | CdcException e) {
            CdcException error = e instanceof CdcException ? (CdcException) e
                    : new CdcException(Preflight.reasonOf((SQLException) e), "cannot watch engine '" + config.name() + "' start: " + e.getMessage(), e);
            fail(error);
            stopDriver();
            throw error;
        }
        if (state == State.FAILED) {
            throw failure;
        }
        if (state != State.STARTING) {
            throw new CdcException(FailureReason.INTERRUPTED, "engine '" + config.name() + "' was closed while starting");
        }
        if (!capturing) {
            CdcException timeout = new CdcException(FailureReason.TIMEOUT, "engine '" + config.name() + "' did not start streaming within "
                    + config.startTimeout() + "; slot '" + config.slotName() + "' never became active: look for long-running"
                    + " transactions (the slot waits for them) or another consumer, or raise startTimeout");
            fail(timeout);
            stopDriver();
            throw timeout;
        }
        synchronized (lock) {
            if (state == State.STARTING) {
                state = State.RUNNING;
            }
        }
        if (standby != null) {
            standby.markStreaming();
        }
        LOG.info("engine '{}' streams {} from slot '{}'", config.name(), config.tables(), config.slotName());
        monitor = new HealthMonitor(config, HEALTH_INTERVAL, this::checked, stats::snapshotRunning);
        monitor.start();
    }

    /** One health check: RUNNING while the stream is up, RECONNECTING while it is not. */
    private void checked(String seen, long lag, boolean slotActive) {
        slotLagBytes = lag;
        Standby lease = standby;
        if (slotActive && lease != null) {
            // Once per lease: from now on the standbys read a slot gone inactive as this leader's stream gone.
            lease.markStreaming();
        }
        synchronized (lock) {
            problem = seen;
            if (state == State.RUNNING && seen != null) {
                state = State.RECONNECTING;
                stats.reconnecting();
                LOG.warn("engine '{}' reconnecting: {}", config.name(), seen);
            } else if (state == State.RECONNECTING && seen == null) {
                state = State.RUNNING;
                LOG.info("engine '{}' streams again", config.name());
            }
        }
    }

    /**
     * Waits until the engine has stopped, for whatever reason.
     *
     * @return whether it stopped within the timeout
     */
    public boolean awaitTermination(Duration timeout) throws InterruptedException {
        return terminated.await(timeout.toNanos(), TimeUnit.NANOSECONDS);
    }

    /**
     * Stops gracefully: lets the callback in progress finish, delivers nothing more, stores the offset
     * of the last handled event and releases the replication slot, which PostgreSQL keeps: the events
     * not delivered yet come first on the next start. Waits at most {@link CdcConfig#stopTimeout()}; a
     * callback still running then is interrupted, its event is not acknowledged, and the state becomes
     * {@link State#FAILED}. Idempotent.
     *
     * <p>Called from a listener callback (on the delivery thread), it returns at once; the engine stops
     * once the callback returned, and {@link #awaitTermination} waits for that.
     */
    @Override
    public void close() {
        closing = true;
        synchronized (lock) {
            if (state.isTerminal()) {
                return;
            }
            if (state == State.STANDBY) {
                state = State.STOPPED;
                polling.countDown();
                terminated.countDown();
                Standby s = standby;
                new Thread(s::stop, "pgcdc-" + config.name() + "-standby-stop").start();
                return;
            }
            if (driver != null && driver.isDeliveryThread()) {
                // Called from a callback: the engine can only stop once the callback returned.
                if (state != State.STOPPING) {
                    state = State.STOPPING;
                    if (monitor != null) {
                        monitor.stop();
                    }
                    Thread stopper = new Thread(this::stopDriver, "pgcdc-" + config.name() + "-close");
                    stopper.setDaemon(true);
                    stopper.start();
                }
                return;
            }
            if (monitor != null) {
                monitor.stop();
            }
            if (driver == null) {
                // NEW, or STARTING before Debezium runs: start() sees the state and gives up.
                state = State.STOPPED;
                polling.countDown();
                terminated.countDown();
                return;
            }
            state = State.STOPPING;
        }
        stopDriver();
    }

    private void stopDriver() {
        try {
            if (!driver.stop(config.stopTimeout())) {
                LOG.warn("engine '{}' did not stop within {} even after interrupting it; abandoning its threads",
                        config.name(), config.stopTimeout());
                fail(new CdcException(FailureReason.TIMEOUT, "engine '" + config.name() + "' did not stop within " + config.stopTimeout()
                        + "; a listener may be blocked: offsets after its last handled event were not stored"));
                terminated.countDown();
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private void fail(CdcException e) {
        synchronized (lock) {
            if (failure == null) {
                failure = e;
            }
            state = State.FAILED;
            polling.countDown();
            if (driver == null || driver.isFinished()) {
                terminated.countDown();
            }
        }
    }

    @Override
    public String toString() {
        return "CdcEngine[" + config.name() + ", " + state + "]";
    }

    private final class DriverObserver implements EngineDriver.Observer {
        @Override
        public void polling() {
            polling.countDown();
        }

        @Override
        public void completed(boolean success, String message, Throwable error) {
            synchronized (lock) {
                if (failure == null && delivery != null && delivery.failure() != null) {
                    failure = delivery.failure();
                }
                if (failure == null && driver != null && driver.wasInterrupted()) {
                    failure = new CdcException(FailureReason.TIMEOUT, "engine '" + config.name() + "' did not stop within " + config.stopTimeout()
                            + " because the listener was blocked; it was interrupted, and the event it was handling was not"
                            + " acknowledged: it will be delivered again on the next start");
                } else if (failure == null && !success) {
                    // The engine's own snapshot fails with a CdcException that already says what to do.
                    Throwable lost = error;
                    while (lost != null && !(lost instanceof JdbcOffsetStore.LeadershipLostException)) {
                        lost = lost.getCause();
                    }
                    failure = lost != null ? new CdcException(FailureReason.LEADERSHIP_LOST, lost.getMessage(), lost)
                            : error instanceof CdcException ? (CdcException) error : Preflight.describeFailure(config, message, error);
                }
                state = failure != null ? State.FAILED : State.STOPPED;
            }
            EngineMemoryOffsetStore.forget(engineId);
            JdbcOffsetStore.unregister(engineId);
            if (standby != null) {
                // After Debezium stopped (the slot is free): the lease goes at once, a standby takes over within its poll.
                standby.stop();
            }
            if (failure != null && !(failure instanceof ListenerException)) {
                LOG.error("engine '{}' failed: {}", config.name(), failure.getMessage());
            } else {
                LOG.info("engine '{}' stopped", config.name());
            }
            polling.countDown();
            terminated.countDown();
        }
    }
}
