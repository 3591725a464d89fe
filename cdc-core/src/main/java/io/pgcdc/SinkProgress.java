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
 * <p>Progress is the {@link EventId} of the last applied event: its transaction's commit LSN and its
 * ordinal in that transaction, which order events as they are delivered, also the first transaction an
 * engine sees. Snapshot reads are never reported as applied: apply them idempotently (upserts). A
 * {@link BatchListener} marks the last event of each batch. Instances are immutable and thread-safe;
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
            s.execute("CREATE TABLE IF NOT EXISTS " + table + " (sink text PRIMARY KEY, commit_lsn pg_lsn NOT NULL,"
                    + " ordinal bigint NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
        }
    }

    /** Whether the sink already applied this event (a repeat after a crash); always false for snapshot reads. */
    public boolean isApplied(Connection c, CdcEvent event) throws SQLException {
        return isApplied(c, event.id());
    }

    /** Whether the sink already applied the event with this id; always false for snapshot ids. */
    public boolean isApplied(Connection c, EventId id) throws SQLException {
        if (id.isSnapshot()) {
            return false;
        }
        EventId last = lastApplied(c);
        return last != null && id.compareTo(last) <= 0;
    }

    /** The id of the last event the sink applied; {@code null} when it applied none. */
    public EventId lastApplied(Connection c) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement("SELECT commit_lsn::text, ordinal FROM " + table + " WHERE sink = ?")) {
            ps.setString(1, sink);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() ? EventId.of(Lsn.parse(rs.getString(1)), rs.getLong(2)) : null;
            }
        }
    }

    /** Records that the sink applied this event; call it in the transaction of the sink's writes. */
    public void markApplied(Connection c, CdcEvent event) throws SQLException {
        markApplied(c, event.id());
    }

    /** Records that the sink applied everything up to the event with this id; snapshot ids are ignored. */
    public void markApplied(Connection c, EventId id) throws SQLException {
        if (id.isSnapshot()) {
            return;
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (sink, commit_lsn, ordinal) VALUES (?, ?::pg_lsn, ?)"
                + " ON CONFLICT (sink) DO UPDATE SET commit_lsn = EXCLUDED.commit_lsn, ordinal = EXCLUDED.ordinal, updated_at = now()")) {
            ps.setString(1, sink);
            ps.setString(2, id.commitLsn().toString());
            ps.setLong(3, id.ordinal());
            ps.executeUpdate();
        }
    }

    @Override
    public String toString() {
        return "SinkProgress[" + sink + " in " + table + "]";
    }
}
