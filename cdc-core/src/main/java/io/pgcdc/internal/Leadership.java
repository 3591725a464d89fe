package io.pgcdc.internal;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * Who may run an engine (issue 14, standby mode): a lease and an epoch in the engine's row of the JDBC offset table,
 * next to its offsets. Times are the database's ({@code now()}), so the replicas' clocks never have to agree.
 *
 * <ul>
 *   <li>{@link #tryAcquire}: a replica takes the engine when nobody holds it, the holder released it, or its lease
 *       expired; every takeover increments the epoch (compare-and-set on the row).
 *   <li>{@link #renew}: the leader extends its lease; {@code false} once another replica took over.
 *   <li>Offset writes are conditional on the writer's epoch ({@link #FENCED_UPSERT}): an old leader that wakes up
 *       after a takeover stores nothing.
 * </ul>
 *
 * <p>Not thread-safe: one instance per engine, used under the engine's own locking. Every method takes the
 * connection to use and commits nothing; the caller runs each call in autocommit or commits.
 */
public final class Leadership {

    /**
     * The upsert of offsets for a leader of epoch {@code ?}: parameters engine, offsets, epoch. Updates nothing (count 0)
     * when the row's epoch moved on; inserts the row when there is none. The table name is formatted in.
     */
    static final String FENCED_UPSERT = "INSERT INTO %s (engine, offsets, epoch) VALUES (?, ?, ?)"
            + " ON CONFLICT (engine) DO UPDATE SET offsets = EXCLUDED.offsets, updated_at = now()"
            + " WHERE %s.epoch = EXCLUDED.epoch";

    /** The notification channel a release is announced on, so that standbys wake at once instead of at their next poll. */
    public static final String CHANNEL = "pgcdc_lease";

    /**
     * The lease as the table holds it. {@code streaming}: the holder of {@code epoch} reported its stream up
     * ({@link #markStreaming}); a standby that then finds the slot inactive knows the stream is gone, even when it
     * never saw it running itself (a leader killed less than a poll after it began streaming). {@code presence}: the
     * holder's session in the captured database ({@link #recordPresence}), or {@code null}.
     */
    public record State(long epoch, String holder, Instant leaseUntil, Instant now, boolean streaming, Session presence) {

        /** Whether a holder's lease is in force at the database's {@code now}. */
        public boolean held() {
            return holder != null && leaseUntil != null && leaseUntil.isAfter(now);
        }
    }

    /**
     * A database session: backend pid and start time (the pair, so that a pid reused by another backend is not taken
     * for the leader's). A leader keeps one open in the captured database for as long as it leads; when it is gone
     * from {@code pg_stat_activity}, so is the leader's process (or at least its connection to the database).
     */
    public record Session(int pid, Instant started) {
    }

    private final String table;
    private final String engine;
    private final String holder;
    private final Duration leaseTimeout;

    /**
     * @param table the offset table, a plain name ({@link JdbcOffsetStore#TABLE_NAME})
     * @param engine the engine's name: its row
     * @param holder this replica's name, shown to the others ("leadership lost to ...")
     * @param leaseTimeout how long a lease lasts without renewal
     */
    public Leadership(String table, String engine, String holder, Duration leaseTimeout) {
        if (!JdbcOffsetStore.TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not a plain table name: " + table);
        }
        this.table = table;
        this.engine = Objects.requireNonNull(engine, "engine");
        this.holder = Objects.requireNonNull(holder, "holder");
        if (leaseTimeout.isNegative() || leaseTimeout.isZero()) {
            throw new IllegalArgumentException("leaseTimeout must be positive, not " + leaseTimeout);
        }
        this.leaseTimeout = leaseTimeout;
    }

    /**
     * Creates the table when missing, and adds the lease columns to a table an older version created. Changes
     * nothing when the table is up to date: an {@code ALTER TABLE} would lock it against the leader's offset writes.
     */
    public void prepare(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_attribute WHERE attrelid = to_regclass(?)"
                + " AND attname = 'presence_start' AND NOT attisdropped")) {
            ps.setString(1, table);
            try (ResultSet rs = ps.executeQuery()) {
                if (rs.next() && rs.getLong(1) == 1) {
                    return;
                }
            }
        }
        JdbcOffsetStore.createTable(c, table);
        try (Statement s = c.createStatement()) {
            // The table name matched TABLE_NAME: it cannot carry SQL.
            s.execute("ALTER TABLE " + table + " ADD COLUMN IF NOT EXISTS epoch bigint NOT NULL DEFAULT 0,"
                    + " ADD COLUMN IF NOT EXISTS holder text, ADD COLUMN IF NOT EXISTS lease_until timestamptz,"
                    + " ADD COLUMN IF NOT EXISTS streaming boolean NOT NULL DEFAULT false,"
                    + " ADD COLUMN IF NOT EXISTS presence_pid integer, ADD COLUMN IF NOT EXISTS presence_start timestamptz");
        }
    }

    /** The row's lease, or empty when the engine has no row yet. */
    public Optional<State> read(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT epoch, holder, lease_until, now(), streaming, presence_pid, presence_start FROM " + table + " WHERE engine = ?")) {
            ps.setString(1, engine);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return Optional.empty();
                }
                return Optional.of(new State(rs.getLong(1), rs.getString(2), instant(rs, 3), instant(rs, 4), rs.getBoolean(5),
                        rs.getObject(6) == null ? null : new Session(rs.getInt(6), instant(rs, 7))));
            }
        }
    }

    /**
     * Takes the engine when its lease is free (never held, released, or expired), incrementing the epoch.
     *
     * @return the new epoch, or empty when another replica holds a lease in force (or won the race)
     */
    public Optional<Long> tryAcquire(Connection c) throws SQLException {
        // A row to compete for; empty offsets are what a store without a row reads as well.
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (engine, offsets) VALUES (?, ?)"
                + " ON CONFLICT (engine) DO NOTHING")) {
            ps.setString(1, engine);
            ps.setBytes(2, SafeFileOffsetStore.encode(java.util.Map.of()));
            ps.executeUpdate();
        }
        return take(c, "holder IS NULL OR lease_until IS NULL OR lease_until <= now()", null);
    }

    /**
     * Takes the engine over from a holder whose lease may still run but whose stream is gone (its slot was seen
     * inactive: the process died, or a standby ended its stale walsender): compare-and-set from the epoch the caller
     * read, so that of several standbys that saw the same thing exactly one wins.
     *
     * @return the new epoch, or empty when the epoch moved on since {@code seenEpoch}
     */
    public Optional<Long> takeOver(Connection c, long seenEpoch) throws SQLException {
        return take(c, "epoch = ?", seenEpoch);
    }

    /** Takes the lease for this replica with the next epoch where {@code condition} holds (its parameter {@code seenEpoch}). */
    private Optional<Long> take(Connection c, String condition, Long seenEpoch) throws SQLException {
        // condition is one of this class's two constants: no caller's value is formatted into the SQL.
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET epoch = epoch + 1, holder = ?,"
                + " lease_until = now() + ? * interval '1 millisecond', streaming = false, presence_pid = NULL, presence_start = NULL"
                + " WHERE engine = ? AND (" + condition + ") RETURNING epoch")) {
            ps.setString(1, holder);
            ps.setLong(2, leaseTimeout.toMillis());
            ps.setString(3, engine);
            if (seenEpoch != null) {
                ps.setLong(4, seenEpoch);
            }
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? Optional.of(rs.getLong(1)) : Optional.empty();
            }
        }
    }

    /**
     * What a replica that lost the engine says: to whom (as the row names it now), and that it stops storing and
     * delivering. Shared by a refused renewal and a refused offset write.
     */
    String lostTo(Connection c) throws SQLException {
        String to = read(c).map(s -> s.holder() + " (epoch " + s.epoch() + ")").orElse("another replica");
        return "engine '" + engine + "' lost its leadership to " + to + ": it stores no offsets and delivers nothing more";
    }

    /** Extends the lease of {@code epoch}; {@code false} when the epoch moved on (another replica took over). */
    public boolean renew(Connection c, long epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET lease_until = now() + ? * interval '1 millisecond'"
                + " WHERE engine = ? AND epoch = ? AND holder = ?")) {
            ps.setLong(1, leaseTimeout.toMillis());
            ps.setString(2, engine);
            ps.setLong(3, epoch);
            ps.setString(4, holder);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Records that the leader of {@code epoch} streams now (its slot was seen active), so that every standby can
     * tell a stream that went from one never started.
     *
     * @return {@code false} when the epoch moved on
     */
    public boolean markStreaming(Connection c, long epoch) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET streaming = true WHERE engine = ? AND epoch = ? AND holder = ?")) {
            ps.setString(1, engine);
            ps.setLong(2, epoch);
            ps.setString(3, holder);
            return ps.executeUpdate() == 1;
        }
    }

    /**
     * Records the session the leader of {@code epoch} keeps open in the captured database while it leads, so that a
     * standby that finds the slot inactive and that session gone knows the leader died, and takes over at once.
     *
     * @return {@code false} when the epoch moved on
     */
    public boolean recordPresence(Connection c, long epoch, Session presence) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET presence_pid = ?, presence_start = ?"
                + " WHERE engine = ? AND epoch = ? AND holder = ?")) {
            ps.setInt(1, presence.pid());
            ps.setObject(2, timestamptz(presence.started()));
            ps.setString(3, engine);
            ps.setLong(4, epoch);
            ps.setString(5, holder);
            return ps.executeUpdate() == 1;
        }
    }

    /** The session {@code c} is, as {@link #recordPresence} stores it. */
    public static Session session(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT pid, backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()")) {
            rs.next();
            return new Session(rs.getInt(1), instant(rs, 2));
        }
    }

    /** Whether {@code session} is still connected to the database {@code c} is connected to. */
    public static boolean alive(Connection c, Session session) throws SQLException {
        // backend_start is null for another role's sessions without pg_read_all_stats: then the pid alone decides.
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_stat_activity WHERE pid = ?"
                + " AND (backend_start IS NULL OR ?::timestamptz IS NULL OR backend_start = ?::timestamptz)")) {
            java.time.OffsetDateTime started = timestamptz(session.started());
            ps.setInt(1, session.pid());
            ps.setObject(2, started);
            ps.setObject(3, started);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                return rs.getLong(1) > 0;
            }
        }
    }

    /**
     * Gives the lease of {@code epoch} up at once (a graceful stop), so that a standby need not wait for it to expire,
     * and wakes the standbys listening on {@link #CHANNEL} (the payload is the engine's name).
     */
    public void release(Connection c, long epoch) throws SQLException {
        int released;
        try (PreparedStatement ps = c.prepareStatement("UPDATE " + table + " SET holder = NULL, lease_until = NULL, streaming = false,"
                + " presence_pid = NULL, presence_start = NULL"
                + " WHERE engine = ? AND epoch = ? AND holder = ?")) {
            ps.setString(1, engine);
            ps.setLong(2, epoch);
            ps.setString(3, holder);
            released = ps.executeUpdate();
        }
        if (released == 1) {
            try (PreparedStatement ps = c.prepareStatement("SELECT pg_notify(?, ?)")) {
                ps.setString(1, CHANNEL);
                ps.setString(2, engine);
                ps.execute();
            }
        }
    }

    /**
     * Stores offsets for the leader of {@code epoch}.
     *
     * @return {@code false} when the epoch moved on: nothing was stored
     */
    public boolean storeOffsets(Connection c, long epoch, byte[] offsets) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(String.format(FENCED_UPSERT, table, table))) {
            ps.setString(1, engine);
            ps.setBytes(2, offsets);
            ps.setLong(3, epoch);
            return ps.executeUpdate() == 1;
        }
    }

    private static java.time.OffsetDateTime timestamptz(Instant instant) {
        return instant == null ? null : java.time.OffsetDateTime.ofInstant(instant, java.time.ZoneOffset.UTC);
    }

    private static Instant instant(ResultSet rs, int column) throws SQLException {
        java.time.OffsetDateTime t = rs.getObject(column, java.time.OffsetDateTime.class);
        return t == null ? null : t.toInstant();
    }
}
