package io.pgcdc;

import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Objects;
import java.util.regex.Pattern;

/**
 * Exactly-once effects for a sink in PostgreSQL: the position of the last change a sink applied, kept
 * in the sink's own database and written in the same transaction as the sink's writes. A change the
 * engine delivers again after a crash is then recognised and skipped.
 *
 * <pre>{@code
 * SinkProgress progress = SinkProgress.in("pgcdc_sink_progress", "orders-replica");
 * progress.createTable(sinkConnection);
 * // in the listener, for each event:
 * sinkConnection.setAutoCommit(false);
 * if (!progress.isApplied(sinkConnection, event)) {
 *     applyTo(sinkConnection, event);                 // the sink's own writes
 *     progress.markApplied(sinkConnection, event);    // same transaction
 * }
 * sinkConnection.commit();
 * }</pre>
 *
 * <p>Positions follow delivery order: the commit LSN of the previous transaction, the change's LSN,
 * and its place among changes sharing that LSN. Snapshot reads carry no such order: they are never
 * reported as applied, so apply them idempotently (upserts). Instances are immutable and thread-safe;
 * the connection is the caller's.
 */
public final class SinkProgress {

    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?");

    private final String table;
    private final String sink;

    private SinkProgress(String table, String sink) {
        this.table = table;
        this.sink = sink;
    }

    /**
     * Progress kept in {@code table} (an unquoted, lower-case, optionally schema-qualified name), in the
     * row of {@code sink}: one row per sink, so that several sinks can share the table.
     */
    public static SinkProgress in(String table, String sink) {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(sink, "sink");
        if (!IDENTIFIER.matcher(table).matches()) {
            throw new IllegalArgumentException("table must be a lower-case SQL identifier, optionally schema-qualified, not '" + table + "'");
        }
        if (sink.isBlank()) {
            throw new IllegalArgumentException("sink must not be blank");
        }
        return new SinkProgress(table, sink);
    }

    /** Creates the progress table when missing. */
    public void createTable(Connection c) throws SQLException {
        try (Statement s = c.createStatement()) {
            // The name was checked against IDENTIFIER: it cannot carry SQL.
            s.execute("CREATE TABLE IF NOT EXISTS " + table + " (sink text PRIMARY KEY, commit_lsn bigint NOT NULL,"
                    + " lsn bigint NOT NULL, idx int NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /**
     * Whether the sink already applied this change (a repeat after a crash). Always false for snapshot
     * reads, and for changes without a known previous commit (the first ones of an engine that kept no
     * offsets): those cannot be ordered, so they are applied rather than risk skipping one.
     */
    public boolean isApplied(Connection c, ChangeEvent event) throws SQLException {
        if (event.isSnapshot() || event.source().lastCommitLsn() == null) {
            return false;
        }
        try (PreparedStatement ps = c.prepareStatement("SELECT commit_lsn, lsn, idx FROM " + table + " WHERE sink = ?")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return false;
                }
                return compare(position(event), new long[] {rs.getLong(1), rs.getLong(2), rs.getInt(3)}) <= 0;
            }
        }
    }

    /** Records that the sink applied this change; call it in the transaction of the sink's writes. */
    public void markApplied(Connection c, ChangeEvent event) throws SQLException {
        if (event.isSnapshot() || event.source().lastCommitLsn() == null) {
            return;
        }
        long[] p = position(event);
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (sink, commit_lsn, lsn, idx) VALUES (?, ?, ?, ?)"
                + " ON CONFLICT (sink) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn, lsn = EXCLUDED.lsn, idx = EXCLUDED.idx,"
                + " updated_at = now()")) {
            ps.setString(1, sink);
            ps.setLong(2, p[0]);
            ps.setLong(3, p[1]);
            ps.setInt(4, (int) p[2]);
            ps.executeUpdate();
        }
    }

    private static long[] position(ChangeEvent event) {
        SourcePosition s = event.source();
        return new long[] {s.lastCommitLsn() == null ? 0 : s.lastCommitLsn().asLong(), s.lsn().asLong(), event.groupIndex()};
    }

    private static int compare(long[] a, long[] b) {
        for (int i = 0; i < 3; i++) {
            int c = Long.compareUnsigned(a[i], b[i]);
            if (c != 0) {
                return c;
            }
        }
        return 0;
    }

    @Override
    public String toString() {
        return "SinkProgress[" + sink + " in " + table + "]";
    }
}
