package io.pgcdc;

import io.pgcdc.internal.ConnectorValidation;
import io.pgcdc.internal.DebeziumProperties;
import io.pgcdc.internal.EngineDriver;
import io.pgcdc.internal.Preflight;
import io.pgcdc.internal.SafeFileOffsetStore;
import io.pgcdc.internal.StreamingProbe;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.SQLException;
import java.time.Duration;
import java.util.Objects;
import java.util.Optional;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import org.apache.kafka.connect.source.SourceRecord;
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
    private final Object lock = new Object();
    private final CountDownLatch polling = new CountDownLatch(1);
    private final CountDownLatch terminated = new CountDownLatch(1);
    private volatile State state = State.NEW;
    private volatile CdcException failure;
    private volatile boolean closing;
    private volatile long slotLagBytes = -1;
    private volatile String problem;
    private Thread monitor;
    private EngineDriver driver;

    private CdcEngine(CdcConfig config, ChangeListener listener) {
        this.config = config;
        this.listener = listener;
    }

    /** Creates an engine; nothing connects until {@link #start()}. */
    public static CdcEngine create(CdcConfig config, ChangeListener listener) {
        return new CdcEngine(Objects.requireNonNull(config, "config"), Objects.requireNonNull(listener, "listener"));
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
            state = State.STARTING;
        }
        Properties properties = config.toDebeziumProperties();
        try {
            prepareOffsetStore();
            Preflight.check(config);
            ConnectorValidation.check(properties);
        } catch (CdcException e) {
            fail(e);
            throw e;
        } catch (RuntimeException e) {
            CdcException wrapped = new CdcException("starting engine '" + config.name() + "' failed: " + e, e);
            fail(wrapped);
            throw wrapped;
        }
        String placeholder = properties.getProperty("unavailable.value.placeholder", DebeziumProperties.DEFAULT_UNAVAILABLE_PLACEHOLDER);
        EventMapper mapper = new EventMapper(placeholder);
        synchronized (lock) {
            if (state != State.STARTING) {
                throw new CdcException("engine '" + config.name() + "' was closed while starting");
            }
            driver = new EngineDriver(config.name(), properties, record -> deliver(mapper, record), new DriverObserver());
            driver.start();
        }
        awaitStreaming();
    }

    /** Creates the offset directory, and reads the offset file now so that a corrupt one fails start() clearly. */
    private void prepareOffsetStore() {
        OffsetStore store = config.offsetStore();
        if (store.jdbcUrl().isPresent()) {
            checkJdbcOffsets(store);
            return;
        }
        Optional<Path> file = store.file();
        if (file.isEmpty()) {
            return;
        }
        if (file.get().getParent() != null) {
            try {
                Files.createDirectories(file.get().getParent());
            } catch (IOException e) {
                throw new CdcException("cannot create the offset directory " + file.get().getParent() + ": " + e
                        + "; check the path and its permissions", e);
            }
        }
        try {
            SafeFileOffsetStore.read(file.get());
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(e.getMessage(), e);
        }
    }

    /** Reads the offsets row now, so that an unreachable database or a corrupt row fails start() clearly. */
    private void checkJdbcOffsets(OffsetStore store) {
        java.util.Properties props = new java.util.Properties();
        props.setProperty("user", store.jdbcUser());
        props.setProperty("password", store.jdbcPassword());
        try (java.sql.Connection c = java.sql.DriverManager.getConnection(store.jdbcUrl().get(), props)) {
            boolean exists;
            try (var ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                ps.setString(1, store.jdbcTable());
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            if (exists) {
                io.pgcdc.internal.JdbcOffsetStore.read(c, store.jdbcTable(), config.name());
            }
        } catch (SQLException e) {
            throw new CdcException("cannot read offsets from table " + store.jdbcTable() + " at " + store + ": " + e.getMessage()
                    + "; check the offset store's URL, user and password", e);
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(e.getMessage(), e);
        }
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
            throw new CdcException("interrupted while starting engine '" + config.name() + "'", e);
        } catch (SQLException | CdcException e) {
            CdcException error = e instanceof CdcException ? (CdcException) e
                    : new CdcException("cannot watch engine '" + config.name() + "' start: " + e.getMessage(), e);
            fail(error);
            stopDriver();
            throw error;
        }
        if (state == State.FAILED) {
            throw failure;
        }
        if (state != State.STARTING) {
            throw new CdcException("engine '" + config.name() + "' was closed while starting");
        }
        if (!capturing) {
            CdcException timeout = new CdcException("engine '" + config.name() + "' did not start streaming within "
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
        LOG.info("engine '{}' streams {} from slot '{}'", config.name(), config.tables(), config.slotName());
        monitor = new Thread(this::monitor, "pgcdc-" + config.name() + "-health");
        monitor.setDaemon(true);
        monitor.start();
    }

    /** Watches the slot while the engine runs: RUNNING while the stream is up, RECONNECTING while it is not. */
    private void monitor() {
        StreamingProbe probe = null;
        try {
            while (!closing && !state.isTerminal()) {
                String seen;
                try {
                    if (probe == null) {
                        probe = StreamingProbe.open(config);
                    }
                    boolean capturing = probe.isCapturing();
                    slotLagBytes = probe.lagBytes();
                    seen = capturing ? null : "replication slot '" + config.slotName() + "' is not active: the stream is down";
                } catch (SQLException | CdcException e) {
                    if (probe != null) {
                        probe.close();
                        probe = null;
                    }
                    slotLagBytes = -1;
                    seen = "cannot check PostgreSQL: " + e.getMessage();
                }
                synchronized (lock) {
                    problem = seen;
                    if (state == State.RUNNING && seen != null) {
                        state = State.RECONNECTING;
                        LOG.warn("engine '{}' reconnecting: {}", config.name(), seen);
                    } else if (state == State.RECONNECTING && seen == null) {
                        state = State.RUNNING;
                        LOG.info("engine '{}' streams again", config.name());
                    }
                }
                Thread.sleep(HEALTH_INTERVAL.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (probe != null) {
                probe.close();
            }
        }
    }

    private void deliver(EventMapper mapper, SourceRecord record) throws Exception {
        ChangeEvent event;
        try {
            event = mapper.map(record);
        } catch (RuntimeException e) {
            CdcException error = new CdcException("cannot read a Debezium record of topic " + record.topic() + " at offset "
                    + record.sourceOffset() + ": " + e + "; please report this with the table's definition", e);
            failure = error;
            throw error;
        }
        if (event != null) {
            dispatch(event);
        }
    }

    /** Calls the listener, applying the failure policy; returns once the event is handled or dead-lettered. */
    private void dispatch(ChangeEvent event) throws Exception {
        FailurePolicy policy = config.failurePolicy();
        for (int attempt = 0; ; attempt++) {
            try {
                listener.onChange(event);
                return;
            } catch (InterruptedException e) {
                throw e;
            } catch (Exception e) {
                if (attempt < policy.maxRetries()) {
                    Duration wait = policy.backoff(attempt + 1);
                    LOG.warn("engine '{}': the listener threw {} on {} {} at {}; retry {} of {} in {}", config.name(), e,
                            event.operation(), event.table(), event.source().lsn(), attempt + 1, policy.maxRetries(), wait);
                    backoff(wait);
                    continue;
                }
                if (policy.deadLetter().isPresent()) {
                    deadLetter(policy.deadLetter().get(), event, e);
                    return;
                }
                throw listenerFailed(event, e);
            } catch (Error e) {
                throw listenerFailed(event, e);
            }
        }
    }

    private void deadLetter(FailurePolicy.DeadLetterHandler handler, ChangeEvent event, Exception cause) throws Exception {
        try {
            handler.accept(event, cause);
            LOG.warn("engine '{}': {} {} at {} handed to the dead-letter handler after {}", config.name(), event.operation(),
                    event.table(), event.source().lsn(), cause.toString());
        } catch (InterruptedException e) {
            throw e;
        } catch (Exception e) {
            ListenerException error = listenerFailed(event, cause);
            error.addSuppressed(e);
            LOG.error("engine '{}': the dead-letter handler threw too: {}", config.name(), e.toString());
            throw error;
        }
    }

    private ListenerException listenerFailed(ChangeEvent event, Throwable cause) {
        ListenerException error = new ListenerException(event, cause);
        LOG.error("engine '{}' stops: {}", config.name(), error.getMessage(), cause);
        failure = error;
        return error;
    }

    /** Waits between retries; close() cuts the wait short, leaving the event unacknowledged. */
    private void backoff(Duration wait) throws InterruptedException {
        long deadline = System.nanoTime() + wait.toNanos();
        while (System.nanoTime() < deadline) {
            if (closing) {
                throw new InterruptedException("engine '" + config.name() + "' is closing");
            }
            Thread.sleep(Math.max(1, Math.min(50, (deadline - System.nanoTime()) / 1_000_000)));
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
     */
    @Override
    public void close() {
        closing = true;
        synchronized (lock) {
            if (state.isTerminal()) {
                return;
            }
            if (monitor != null) {
                monitor.interrupt();
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
                fail(new CdcException("engine '" + config.name() + "' did not stop within " + config.stopTimeout()
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
                if (failure == null && driver != null && driver.wasInterrupted()) {
                    failure = new CdcException("engine '" + config.name() + "' did not stop within " + config.stopTimeout()
                            + " because the listener was blocked; it was interrupted, and the event it was handling was not"
                            + " acknowledged: it will be delivered again on the next start");
                } else if (failure == null && !success) {
                    failure = Preflight.describeFailure(config, message, error);
                }
                state = failure != null ? State.FAILED : State.STOPPED;
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
