package io.pgcdc;

import java.util.Objects;

/**
 * The identity of one event: the same every time the event is delivered (after a crash, a restart, a
 * lost connection or a PostgreSQL restart), different for two different events, and ordered as the
 * events were committed. Immutable; {@link #toString()} is a stable text form to store or compare.
 *
 * <p>A streamed event (a change or a logical message) is identified by the commit LSN of its own
 * transaction and its 1-based ordinal inside that transaction: {@code 16/B374D848:3}. A
 * non-transactional logical message has ordinal 0 and its own LSN as commit LSN. A row read by a
 * snapshot is identified by its table and primary-key values, each part percent-encoded so that no two
 * keys share a text: {@code snapshot:public.orders:id=42}; byte values in hex ({@code \x00ff}), SQL
 * {@code NULL} as {@code \N}. Snapshot ids order before every streamed id, and among themselves by text.
 */
public final class EventId implements Comparable<EventId> {

    private static final String SNAPSHOT_PREFIX = "snapshot:";

    private final Lsn commitLsn;
    private final long ordinal;
    /** A snapshot id's text; for ids made by {@link #snapshot}, computed on first use from the table and key. */
    private String snapshotKey;
    private final TableId snapshotTable;
    private final Row snapshotRow;

    private EventId(Lsn commitLsn, long ordinal, String snapshotKey) {
        this.commitLsn = commitLsn;
        this.ordinal = ordinal;
        this.snapshotKey = snapshotKey;
        this.snapshotTable = null;
        this.snapshotRow = null;
    }

    private EventId(TableId table, Row key) {
        this.commitLsn = null;
        this.ordinal = 0;
        this.snapshotTable = table;
        this.snapshotRow = key;
    }

    /**
     * The text of a snapshot id, null for a streamed one. Computed once: a snapshot hands out many rows
     * whose ids are never looked at. (Two threads may both compute it; they get equal strings.)
     */
    private String snapshotKey() {
        String key = snapshotKey;
        if (key == null && snapshotRow != null) {
            key = snapshotText(snapshotTable, snapshotRow);
            snapshotKey = key;
        }
        return key;
    }

    /**
     * The id of the {@code ordinal}-th event (1-based; 0 for a non-transactional message) of the
     * transaction that committed at {@code commitLsn}.
     */
    public static EventId of(Lsn commitLsn, long ordinal) {
        Objects.requireNonNull(commitLsn, "commitLsn");
        if (ordinal < 0) {
            throw new IllegalArgumentException("ordinal must not be negative");
        }
        return new EventId(commitLsn, ordinal, null);
    }

    /** The id of the row a snapshot read from {@code table} with these key (or, without a key, row) values. */
    public static EventId snapshot(TableId table, Row key) {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(key, "key");
        return new EventId(table, key);
    }

    private static String snapshotText(TableId table, Row key) {
        StringBuilder sb = new StringBuilder(SNAPSHOT_PREFIX.length() + 32).append(SNAPSHOT_PREFIX);
        encode(table.schema(), sb, true);
        sb.append('.');
        encode(table.name(), sb, true);
        sb.append(':');
        boolean first = true;
        for (String column : key.columns()) {
            if (!first) {
                sb.append(',');
            }
            first = false;
            encode(column, sb, false);
            sb.append('=');
            if (key.isUnavailable(column) || key.isNull(column)) {
                sb.append("\\N");
                continue;
            }
            Object value = key.getObject(column);
            if (value instanceof byte[]) {
                sb.append("\\x");
                for (byte b : (byte[]) value) {
                    sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
                }
            } else {
                encode(key.getString(column), sb, false);
            }
        }
        return sb.toString();
    }

    /**
     * Parses the text form {@link #toString()} gives.
     *
     * @throws IllegalArgumentException when the text is not an event id
     */
    public static EventId parse(String text) {
        Objects.requireNonNull(text, "text");
        if (text.startsWith(SNAPSHOT_PREFIX)) {
            return new EventId(null, 0, text);
        }
        int colon = text.lastIndexOf(':');
        if (colon <= 0) {
            throw new IllegalArgumentException("not an event id: '" + text + "' (expected <commit lsn>:<ordinal>, such as 16/B374D848:3)");
        }
        try {
            return of(Lsn.parse(text.substring(0, colon)), Long.parseLong(text.substring(colon + 1)));
        } catch (IllegalArgumentException e) {
            throw new IllegalArgumentException("not an event id: '" + text + "' (expected <commit lsn>:<ordinal>, such as 16/B374D848:3)", e);
        }
    }

    /** Percent-encodes the characters that separate parts ({@code .} only in schema and table names). */
    private static void encode(String s, StringBuilder sb, boolean name) {
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '%' || c == ':' || c == ',' || c == '=' || (name && c == '.') || c == '\\' || c < 0x20 || c == 0x7f) {
                sb.append('%').append(Character.forDigit((c >> 4) & 0xF, 16)).append(Character.forDigit(c & 0xF, 16));
            } else {
                sb.append(c);
            }
        }
    }

    /** Whether a snapshot read the row; its id then has no commit LSN. */
    public boolean isSnapshot() {
        return snapshotKey != null || snapshotRow != null;
    }

    /**
     * The commit LSN of the event's transaction (the end of its commit record, where the replication
     * slot's {@code confirmed_flush_lsn} moves once it is acknowledged).
     *
     * @throws IllegalStateException for a snapshot id
     */
    public Lsn commitLsn() {
        if (commitLsn == null) {
            throw new IllegalStateException("a snapshot read has no commit LSN: " + snapshotKey());
        }
        return commitLsn;
    }

    /**
     * The event's 1-based place inside its transaction (0 for a non-transactional message, and for snapshot reads).
     */
    public long ordinal() {
        return ordinal;
    }

    /** Snapshot ids first (by text), then by commit LSN, then by ordinal. */
    @Override
    public int compareTo(EventId o) {
        if (isSnapshot() || o.isSnapshot()) {
            if (isSnapshot() && o.isSnapshot()) {
                return snapshotKey().compareTo(o.snapshotKey());
            }
            return isSnapshot() ? -1 : 1;
        }
        int c = commitLsn.compareTo(o.commitLsn);
        return c != 0 ? c : Long.compare(ordinal, o.ordinal);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof EventId)) {
            return false;
        }
        EventId e = (EventId) o;
        return ordinal == e.ordinal && Objects.equals(commitLsn, e.commitLsn) && Objects.equals(snapshotKey(), e.snapshotKey());
    }

    @Override
    public int hashCode() {
        return isSnapshot() ? snapshotKey().hashCode() : 31 * commitLsn.hashCode() + Long.hashCode(ordinal);
    }

    /** {@code <commit lsn>:<ordinal>}, such as {@code 16/B374D848:3}, or {@code snapshot:<table>:<key>}. */
    @Override
    public String toString() {
        return isSnapshot() ? snapshotKey() : commitLsn + ":" + ordinal;
    }
}
