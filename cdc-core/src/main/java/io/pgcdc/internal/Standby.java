package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import io.pgcdc.OffsetStore;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Optional;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.postgresql.PGNotification;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * One replica's side of standby mode: waits until it may run the engine, takes it,
 * then renews the lease until it stops or loses it. One thread, {@code pgcdc-<name>-standby}.
 *
 * <p>It takes the engine when the lease is free (released by a graceful stop, announced with {@code NOTIFY} so
 * that standbys wake at once) or expired, ending a stalled leader's walsender first; and while the lease still runs,
 * when the slot is inactive and either the leader's session in the captured database is gone (its process died: at
 * the next poll) or its stream, seen active under that lease by this standby or recorded by the leader
 * ({@link #markStreaming}), was seen inactive on two polls in a row at least two seconds apart. A leader still starting whose process lives has not
 * streamed yet, and keeps the engine until its lease expires. Every takeover increments the epoch, and the offset
 * store writes only under the current one ({@link JdbcOffsetStore#lead}).
 */
public final class Standby {

    private static final Logger LOG = LoggerFactory.getLogger(Standby.class);

    /**
     * How long a leader's stream must have been seen gone, while its process lives, before a standby takes over: longer
     * than the leader's own reconnect (Debezium restarts its task after 1 s), so that a blip does not cost it the engine.
     */
    private static final long STREAM_GONE_NANOS = java.util.concurrent.TimeUnit.SECONDS.toNanos(2);

    private static final long NOT_SEEN = Long.MIN_VALUE;

    private final CdcConfig config;
    private final Leadership leadership;
    private final Runnable onAcquired;
    private final Consumer<String> onLost;
    private final Thread thread;
    private final Thread renewer;
    private volatile boolean stopping;
    private volatile long epoch = -1;
    /** While this replica leads: its session in the captured database, whose presence tells the standbys it lives. */
    private volatile Connection presence;
    /** The epoch whose stream this replica recorded as up ({@link #markStreaming}). */
    private volatile long markedStreaming = -1;
    /** {@code System.nanoTime()} of the last renewal the database accepted (it keeps running through a SIGSTOP). */
    private volatile long renewedAt;

    /**
     * @param onAcquired runs the engine's start, on this object's thread, once the lease is taken
     * @param onLost told why the lease was lost; the engine must then stop delivering and fail
     */
    public Standby(CdcConfig config, Runnable onAcquired, Consumer<String> onLost) {
        this.config = config;
        this.leadership = new Leadership(((OffsetStore.JdbcStore) config.offsetStore()).table(), config.name(), config.replicaName(),
                config.leaseTimeout());
        this.onAcquired = onAcquired;
        this.onLost = onLost;
        this.thread = new Thread(this::run, "pgcdc-" + config.name() + "-standby");
        thread.setDaemon(true);
        this.renewer = new Thread(() -> {
            try {
                renew();
            } catch (InterruptedException e) {
                // stop()
            }
        }, "pgcdc-" + config.name() + "-lease");
        renewer.setDaemon(true);
    }

    /**
     * Checks, before standing by, what can be checked while another replica streams (the server, role, tables,
     * publication, Debezium's view of the configuration, the offsets database and its table), so that a replica that
     * could never take over says so from {@code start()} instead of waiting in vain.
     *
     * @throws io.pgcdc.CdcException naming the problem and its fix
     */
    public void check(java.util.Properties properties) {
        Preflight.checkStandby(config);
        ConnectorValidation.check(properties);
        try (Connection c = offsetsConnection()) {
            leadership.prepare(c);
        } catch (SQLException e) {
            throw new io.pgcdc.CdcException(Preflight.reasonOf(e), "engine '" + config.name() + "' cannot use its offsets database ("
                    + config.offsetStore() + ") to stand by: " + e.getMessage(), e);
        }
    }

    /** Starts waiting for the engine. */
    public void start() {
        thread.start();
    }

    /**
     * Whether the delivery thread may hand the listener another event: only while this replica holds the lease. When
     * more than two thirds of the lease passed since the last renewal (a long GC pause, a frozen process), it renews
     * first, on the caller's thread; refused, the engine is lost and nothing more is delivered.
     */
    public boolean mayDeliver() {
        long held = epoch;
        if (held < 0) {
            return false;
        }
        if (System.nanoTime() - renewedAt < config.leaseTimeout().toNanos() * 2 / 3) {
            return true;
        }
        return renewNow(held);
    }

    /**
     * Tells the other replicas that this leader's stream is up (its slot was seen active), once per lease: from then
     * on a slot found inactive on two polls means the stream is gone. Safe to call from any thread, often.
     */
    public void markStreaming() {
        long held = epoch;
        if (held < 0 || markedStreaming == held) {
            return;
        }
        try (Connection c = offsetsConnection()) {
            if (leadership.markStreaming(c, held)) {
                markedStreaming = held;
            }
        } catch (SQLException e) {
            LOG.debug("engine '{}': could not record its stream as up ({}); trying again at the next check", config.name(), e.getMessage());
        }
    }

    /** Stops waiting or renewing, and gives a held lease up at once, so that a standby takes over within its poll. */
    public void stop() {
        stopping = true;
        for (Thread t : new Thread[] {thread, renewer}) {
            if (Thread.currentThread() != t && t.isAlive()) {
                t.interrupt();
                try {
                    t.join(config.stopTimeout().toMillis());
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                }
            }
        }
        long held = epoch;
        epoch = -1;
        JdbcOffsetStore.unlead(config.name());
        closeQuietly(presence);
        presence = null;
        if (held >= 0) {
            try (Connection c = offsetsConnection()) {
                leadership.release(c, held);
            } catch (SQLException e) {
                LOG.warn("engine '{}': could not release its lease ({}); a standby takes over when it expires", config.name(), e.getMessage());
            }
        }
    }

    private void run() {
        try {
            if (!acquire()) {
                return;
            }
            // Renewals run from now on, beside the start (which may take longer than a lease).
            renewer.start();
            onAcquired.run();
        } catch (InterruptedException e) {
            // stop()
        }
    }

    /** Polls until this replica holds the lease; false when stopped first. */
    private boolean acquire() throws InterruptedException {
        // When this standby first saw the slot inactive after that leader's stream ran; NOT_SEEN while it was not.
        long inactiveSince = NOT_SEEN;
        // The epoch under which the slot was last seen active: a leader still starting (no slot, or not streaming yet)
        // has not lost its stream, so only a stream seen running and then gone counts.
        long streamingEpoch = -1;
        while (!stopping) {
            Connection captured = null;
            try (Connection offsets = offsetsConnection()) {
                captured = Preflight.openConnection(config);
                leadership.prepare(offsets);
                PGConnection listening = listen(offsets);
                while (!stopping) {
                    Optional<Leadership.State> lease = leadership.read(offsets);
                    Slot slot = slot(captured);
                    long leaseEpoch = lease.map(Leadership.State::epoch).orElse(-1L);
                    if (slot.active) {
                        streamingEpoch = leaseEpoch;
                        inactiveSince = NOT_SEEN;
                    } else {
                        // Seen streaming by this standby, or reported streaming by the leader itself (a kill less than
                        // a poll after it began streaming leaves no standby that saw it).
                        boolean wasStreaming = streamingEpoch == leaseEpoch || lease.map(Leadership.State::streaming).orElse(false);
                        if (!wasStreaming) {
                            inactiveSince = NOT_SEEN;
                        } else if (inactiveSince == NOT_SEEN) {
                            inactiveSince = System.nanoTime();
                        }
                    }
                    Optional<Long> won = Optional.empty();
                    if (lease.isEmpty() || !lease.get().held()) {
                        if (slot.active && lease.isPresent() && lease.get().holder() == null) {
                            // Released by a graceful stop: that walsender is ending by itself.
                            awaitInactive(captured, config.standbyPollInterval().toNanos());
                            slot = slot(captured);
                        }
                        if (slot.active && slot.pid > 0) {
                            LOG.warn("engine '{}': the lease of {} expired while its stream runs; ending that stream (pid {})", config.name(),
                                    lease.map(Leadership.State::holder).orElse("?"), slot.pid);
                            terminate(captured, slot.pid);
                            awaitInactive(captured, config.leaseTimeout().toNanos());
                        }
                        won = lease.isEmpty() ? leadership.tryAcquire(offsets) : leadership.takeOver(offsets, lease.get().epoch());
                    } else if (!slot.active && lease.get().presence() != null && !Leadership.alive(captured, lease.get().presence())) {
                        // Its stream and its session are both gone: the leader's process died (kill -9, a crash).
                        LOG.warn("engine '{}': {} holds the lease but its stream and its session are gone; taking over", config.name(),
                                lease.get().holder());
                        won = leadership.takeOver(offsets, lease.get().epoch());
                    } else if (inactiveSince != NOT_SEEN && System.nanoTime() - inactiveSince >= STREAM_GONE_NANOS) {
                        // Seen inactive on two polls at least STREAM_GONE apart (the first poll's elapsed time is 0).
                        LOG.warn("engine '{}': {} holds the lease but its stream is gone; taking over", config.name(), lease.get().holder());
                        won = leadership.takeOver(offsets, lease.get().epoch());
                    }
                    if (won.isPresent()) {
                        renewedAt = System.nanoTime();
                        epoch = won.get();
                        JdbcOffsetStore.lead(config.name(), new JdbcOffsetStore.Lease(leadership, epoch));
                        LOG.info("engine '{}': {} leads, epoch {}", config.name(), config.replicaName(), epoch);
                        unlisten(listening, offsets);
                        // This replica's presence for the others: kept open while it leads, and exempt from a server's
                        // idle_session_timeout (PostgreSQL 14+), which would otherwise end it and make it look dead.
                        keepIdleSessionOpen(captured);
                        leadership.recordPresence(offsets, epoch, Leadership.session(captured));
                        presence = captured;
                        captured = null;
                        return true;
                    }
                    awaitPoll(listening);
                }
                unlisten(listening, offsets);
            } catch (SQLException | RuntimeException e) {
                LOG.warn("engine '{}' (standby): {}; trying again", config.name(), e.getMessage());
                Thread.sleep(config.standbyPollInterval().toMillis());
            } finally {
                closeQuietly(captured);
            }
        }
        return false;
    }

    /** A connection to the offsets database in autocommit, as every lease statement runs; the caller closes it. */
    private Connection offsetsConnection() throws SQLException {
        Connection c = JdbcOffsetStore.connect((OffsetStore.JdbcStore) config.offsetStore());
        try {
            c.setAutoCommit(true);
            return c;
        } catch (SQLException e) {
            closeQuietly(c);
            throw e;
        }
    }

    private static void keepIdleSessionOpen(Connection c) {
        try (Statement s = c.createStatement()) {
            s.execute("SELECT set_config('idle_session_timeout', '0', false) WHERE current_setting('server_version_num')::int >= 140000");
        } catch (SQLException e) {
            LOG.debug("could not exempt the presence session from idle_session_timeout: {}", e.getMessage());
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // Closing: nothing to do.
            }
        }
    }

    /**
     * Listens for releases ({@link Leadership#CHANNEL}) on the offsets connection, so that a graceful stop is taken
     * over at once; {@code null} when that connection is not PostgreSQL's own (then the standby only polls).
     */
    private PGConnection listen(Connection offsets) {
        try {
            PGConnection pg = offsets.unwrap(PGConnection.class);
            try (Statement s = offsets.createStatement()) {
                s.execute("LISTEN " + Leadership.CHANNEL);
            }
            return pg;
        } catch (SQLException e) {
            LOG.debug("engine '{}' (standby): not listening for releases ({}); polling only", config.name(), e.getMessage());
            return null;
        }
    }

    /** A pooled connection goes back without the subscription. */
    private static void unlisten(PGConnection listening, Connection offsets) {
        if (listening != null) {
            try (Statement s = offsets.createStatement()) {
                s.execute("UNLISTEN " + Leadership.CHANNEL);
            } catch (SQLException e) {
                // The connection is closed next anyway.
            }
        }
    }

    /** Waits one poll interval, or less when a release is announced. */
    private void awaitPoll(PGConnection listening) throws SQLException, InterruptedException {
        long millis = config.standbyPollInterval().toMillis();
        if (listening == null) {
            Thread.sleep(millis);
            return;
        }
        long deadline = System.nanoTime() + millis * 1_000_000;
        for (long left = millis; left > 0 && !stopping; left = (deadline - System.nanoTime()) / 1_000_000) {
            // At most 200 ms per wait, so that stop() is heard soon.
            PGNotification[] notes = listening.getNotifications((int) Math.min(left, 200));
            if (notes != null) {
                for (PGNotification n : notes) {
                    if (config.name().equals(n.getParameter())) {
                        return;
                    }
                }
            }
            if (Thread.interrupted()) {
                throw new InterruptedException();
            }
        }
    }

    /** Renews every third of the lease until stopped or lost. */
    private void renew() throws InterruptedException {
        long every = Math.max(100, config.leaseTimeout().toMillis() / 3);
        while (!stopping) {
            Thread.sleep(every);
            long held = epoch;
            if (held < 0 || !renewNow(held)) {
                return;
            }
        }
    }

    /**
     * Renews the lease of {@code held}; a renewal refused (another replica took over), or none accepted for a whole
     * lease (the database unreachable: another replica may run the engine by now), loses the engine.
     *
     * @return whether this replica still holds the engine
     */
    private synchronized boolean renewNow(long held) {
        if (epoch != held) {
            return false;
        }
        try (Connection c = offsetsConnection()) {
            if (!leadership.renew(c, held)) {
                lost(leadership.lostTo(c));
                return false;
            }
            renewedAt = System.nanoTime();
            return true;
        } catch (SQLException e) {
            if (System.nanoTime() - renewedAt > config.leaseTimeout().toNanos()) {
                lost("engine '" + config.name() + "' could not renew its lease for " + config.leaseTimeout() + " (" + e.getMessage()
                        + "): another replica may run it now, so this one stops");
                return false;
            }
            return true;
        }
    }

    private void lost(String why) {
        epoch = -1;
        JdbcOffsetStore.unlead(config.name());
        closeQuietly(presence);
        presence = null;
        onLost.accept(why);
    }

    private record Slot(boolean active, int pid) {
    }

    private Slot slot(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT active, active_pid FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, config.slotName());
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? new Slot(rs.getBoolean(1), rs.getInt(2)) : new Slot(false, 0);
            }
        }
    }

    /** Waits (up to {@code nanos}) until an ending walsender has let the slot go. */
    private void awaitInactive(Connection c, long nanos) throws SQLException, InterruptedException {
        long deadline = System.nanoTime() + nanos;
        while (slot(c).active && System.nanoTime() < deadline) {
            Thread.sleep(50);
        }
    }

    private static void terminate(Connection c, int pid) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT pg_terminate_backend(?)")) {
            ps.setInt(1, pid);
            ps.execute();
        }
    }
}
