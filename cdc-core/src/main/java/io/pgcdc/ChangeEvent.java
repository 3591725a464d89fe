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
public final class ChangeEvent implements CdcEvent {

    private final EventId id;
    private final Operation operation;
    private final TableId table;
    private final Row key;
    private final Row before;
    private final Row after;
    private final SourcePosition source;
    private final Transaction transaction;
    private final SnapshotInfo snapshot;

    private ChangeEvent(Builder b) {
        this.operation = Objects.requireNonNull(b.operation, "operation");
        this.table = Objects.requireNonNull(b.table, "table");
        this.key = b.key;
        this.before = b.before;
        this.after = b.after;
        this.source = Objects.requireNonNull(b.source, "source");
        this.transaction = b.transaction;
        this.snapshot = b.snapshot;
        this.id = Objects.requireNonNull(b.id, "id");
        if (operation != Operation.READ && snapshot != null) {
            throw new IllegalArgumentException("only a READ event belongs to a snapshot");
        }
        if (operation == Operation.READ ? !id.isSnapshot() || transaction != null : id.isSnapshot() || transaction == null) {
            throw new IllegalArgumentException(operation == Operation.READ
                    ? "a READ event has a snapshot id and no transaction"
                    : "a streamed event has an id of its transaction and a transaction");
        }
    }

    /**
     * A builder of events as the engine delivers them, for unit tests of listeners that need no
     * database. {@link Builder#build()} fills what the test leaves out: a snapshot id from the key for
     * {@link Operation#READ}; otherwise a transaction (xid 1, commit LSN {@code 0/1}, now) and the
     * ordinal 1 in it; the source position from the transaction.
     */
    public static Builder builder(Operation operation, TableId table) {
        return new Builder(operation, table);
    }

    /** The event's identity: the same on every delivery, ordered as committed. See {@link EventId}. */
    @Override
    public EventId id() {
        return id;
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

    /** The source transaction of a streamed change; empty for snapshot reads. */
    public Optional<Transaction> transaction() {
        return Optional.ofNullable(transaction);
    }

    /**
     * {@link #id()} as text, the same each time this event is delivered and different between events,
     * so that a consumer can drop repeats after a crash: {@code <commit lsn>:<ordinal>}, or
     * {@code snapshot:<table>:<key>} for snapshot reads.
     */
    public String idempotencyKey() {
        return id.toString();
    }

    /**
     * For a snapshot read, which snapshot attempt it belongs to and where the stream after the snapshot
     * starts; empty for streamed changes (and for hand-built {@code READ} events that set none).
     */
    public Optional<SnapshotInfo> snapshot() {
        return Optional.ofNullable(snapshot);
    }

    /** Whether a snapshot read this row rather than the log delivering a change. */
    public boolean isSnapshot() {
        return operation == Operation.READ;
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
        return operation == e.operation && id.equals(e.id) && Objects.equals(transaction, e.transaction)
                && table.equals(e.table) && Objects.equals(key, e.key)
                && Objects.equals(before, e.before) && Objects.equals(after, e.after) && source.equals(e.source)
                && Objects.equals(snapshot, e.snapshot);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, operation, table, key, before, after, source);
    }

    /** One line: operation, table, key, position, and the images that are present. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder().append(operation).append(' ').append(table);
        if (key != null) {
            sb.append(" key=").append(key);
        }
        sb.append(" [").append(id).append(", ").append(source).append(']');
        if (before != null) {
            sb.append(" before=").append(before);
        }
        if (after != null) {
            sb.append(" after=").append(after);
        }
        return sb.toString();
    }

    /** Builds a {@link ChangeEvent}; see {@link ChangeEvent#builder}. Not thread-safe. */
    public static final class Builder {
        private final Operation operation;
        private final TableId table;
        private EventId id;
        private Row key;
        private Row before;
        private Row after;
        private SourcePosition source;
        private Transaction transaction;
        private SnapshotInfo snapshot;

        private Builder(Operation operation, TableId table) {
            this.operation = Objects.requireNonNull(operation, "operation");
            this.table = Objects.requireNonNull(table, "table");
        }

        /** The identity; by default derived as {@link ChangeEvent#builder} says. */
        public Builder id(EventId id) {
            this.id = Objects.requireNonNull(id, "id");
            return this;
        }

        /** The key columns ({@link Row#of(TableId, java.util.Map)} builds one). */
        public Builder key(Row key) {
            this.key = key;
            return this;
        }

        /** The row before the change. */
        public Builder before(Row before) {
            this.before = before;
            return this;
        }

        /** The row after the change. */
        public Builder after(Row after) {
            this.after = after;
            return this;
        }

        /** The source position; by default the transaction's commit LSN and time. */
        public Builder source(SourcePosition source) {
            this.source = Objects.requireNonNull(source, "source");
            return this;
        }

        /** The source transaction of a streamed change. */
        public Builder transaction(Transaction transaction) {
            this.transaction = Objects.requireNonNull(transaction, "transaction");
            return this;
        }

        /** The snapshot a {@code READ} event belongs to. */
        public Builder snapshot(SnapshotInfo snapshot) {
            this.snapshot = Objects.requireNonNull(snapshot, "snapshot");
            return this;
        }

        /**
         * Builds the event.
         *
         * @throws IllegalArgumentException when a {@code READ} has neither key nor after image to derive its id
         *     from, or the parts contradict each other (a snapshot id on a streamed change)
         */
        public ChangeEvent build() {
            if (operation == Operation.READ) {
                if (id == null) {
                    Row identity = key != null ? key : after;
                    if (identity == null) {
                        throw new IllegalArgumentException("a READ event needs a key or an after image");
                    }
                    id = EventId.snapshot(table, identity);
                }
                if (source == null) {
                    source = new SourcePosition(Lsn.of(0), null, java.time.Instant.now());
                }
            } else {
                if (transaction == null) {
                    transaction = new Transaction(1, id != null && !id.isSnapshot() ? id.commitLsn() : Lsn.of(1), java.time.Instant.now());
                }
                if (id == null) {
                    id = EventId.of(transaction.commitLsn(), 1);
                }
                if (source == null) {
                    source = new SourcePosition(transaction.commitLsn(), transaction.xid(), transaction.commitTime());
                }
            }
            return new ChangeEvent(this);
        }
    }
}
