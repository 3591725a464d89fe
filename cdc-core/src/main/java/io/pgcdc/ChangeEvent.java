package io.pgcdc;

import java.util.Collections;
import java.util.LinkedHashSet;
import java.util.Objects;
import java.util.Optional;
import java.util.Set;

/**
 * One committed change to one captured table (or one row read by a snapshot): an immutable value.
 *
 * <p>Which images are present depends on the operation and on the table's replica identity:
 * <ul>
 *   <li>{@link Operation#CREATE} and {@link Operation#READ}: {@link #after()};</li>
 *   <li>{@link Operation#UPDATE}: {@link #after()}, and {@link #before()} only with
 *       {@code REPLICA IDENTITY FULL} (with the default identity PostgreSQL sends no old row);</li>
 *   <li>{@link Operation#DELETE}: {@link #before()}, holding only the key columns unless the identity
 *       is {@code FULL};</li>
 *   <li>{@link Operation#TRUNCATE}: no rows and no key.</li>
 * </ul>
 */
public final class ChangeEvent {

    private final Operation operation;
    private final TableId table;
    private final Row key;
    private final Row before;
    private final Row after;
    private final SourcePosition source;
    private final boolean snapshot;
    private final String idempotencyKey;
    private final int groupIndex;

    ChangeEvent(Operation operation, TableId table, Row key, Row before, Row after, SourcePosition source, boolean snapshot,
                String idempotencyKey, int groupIndex) {
        this.operation = Objects.requireNonNull(operation, "operation");
        this.table = Objects.requireNonNull(table, "table");
        this.key = key;
        this.before = before;
        this.after = after;
        this.source = Objects.requireNonNull(source, "source");
        this.snapshot = snapshot;
        this.idempotencyKey = Objects.requireNonNull(idempotencyKey, "idempotencyKey");
        this.groupIndex = groupIndex;
    }

    /** What happened. */
    public Operation operation() {
        return operation;
    }

    /** The table it happened to. */
    public TableId table() {
        return table;
    }

    /** The primary key (or replica identity) columns; {@code null} for truncates and tables without a key. */
    public Row key() {
        return key;
    }

    /** The row before the change; {@code null} where the operation or the replica identity gives none. */
    public Row before() {
        return before;
    }

    /** The row after the change; {@code null} for deletes and truncates. */
    public Row after() {
        return after;
    }

    /** Where in PostgreSQL's log the change comes from. */
    public SourcePosition source() {
        return source;
    }

    /**
     * A key that is the same each time this event is delivered and differs between events, so that a
     * consumer can drop repeats after a crash: {@code <lsn>:<n>}, the change's WAL position and its
     * place among changes sharing that position (rows of one COPY share one); for snapshot reads,
     * {@code snapshot:<table>:<key>}.
     */
    public String idempotencyKey() {
        return idempotencyKey;
    }

    /** Place among consecutive changes sharing this event's LSN (0 for the first). */
    int groupIndex() {
        return groupIndex;
    }

    /** Whether a snapshot read this row rather than the log delivering a change. */
    public boolean isSnapshot() {
        return snapshot;
    }

    /**
     * The columns an update changed, in table order, when both images are known: present for an
     * {@link Operation#UPDATE} with a before image ({@code REPLICA IDENTITY FULL}), empty otherwise
     * (unknown, not "nothing changed"). A column unavailable in the after image was not changed (it is
     * an unchanged TOASTed value), so it is never listed.
     */
    public Optional<Set<String>> changedColumns() {
        if (operation != Operation.UPDATE || before == null || after == null) {
            return Optional.empty();
        }
        Set<String> changed = new LinkedHashSet<>();
        for (String column : after.columns()) {
            int a = after.type().indexOf(column);
            if (after.unavailableAt(a)) {
                continue;
            }
            if (!before.has(column)) {
                changed.add(column);
                continue;
            }
            int b = before.type().indexOf(column);
            if (before.unavailableAt(b) || !Objects.deepEquals(before.rawAt(b), after.rawAt(a))) {
                changed.add(column);
            }
        }
        return Optional.of(Collections.unmodifiableSet(changed));
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof ChangeEvent)) {
            return false;
        }
        ChangeEvent e = (ChangeEvent) o;
        return operation == e.operation && snapshot == e.snapshot && idempotencyKey.equals(e.idempotencyKey)
                && table.equals(e.table) && Objects.equals(key, e.key)
                && Objects.equals(before, e.before) && Objects.equals(after, e.after) && source.equals(e.source);
    }

    @Override
    public int hashCode() {
        return Objects.hash(operation, table, key, before, after, source, snapshot, idempotencyKey);
    }

    /** One line: operation, table, key, position, and the images that are present. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(operation).append(' ').append(table);
        if (key != null) {
            sb.append(" key=").append(key);
        }
        sb.append(" [").append(source).append(snapshot ? ", snapshot" : "").append(']');
        if (before != null) {
            sb.append(" before=").append(before);
        }
        if (after != null) {
            sb.append(" after=").append(after);
        }
        return sb.toString();
    }
}
