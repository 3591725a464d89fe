package io.pgcdc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Objects;
import java.util.Optional;

/**
 * A message written with {@code pg_logical_emit_message(transactional, prefix, content)} in the
 * captured database: the transactional outbox of PostgreSQL. Immutable.
 *
 * <p>A transactional message arrives inside its transaction, in order with the row changes around it,
 * and carries that transaction; it is never delivered when the transaction rolls back. A
 * non-transactional one arrives as soon as it is written, outside any transaction. The engine's own
 * heartbeat messages are never delivered.
 */
public final class LogicalMessage implements CdcEvent {

    private final EventId id;
    private final String prefix;
    private final byte[] content;
    private final Lsn lsn;
    private final Transaction transaction;

    private LogicalMessage(EventId id, String prefix, byte[] content, Lsn lsn, Transaction transaction) {
        this.id = Objects.requireNonNull(id, "id");
        this.prefix = Objects.requireNonNull(prefix, "prefix");
        this.content = Objects.requireNonNull(content, "content").clone();
        this.lsn = Objects.requireNonNull(lsn, "lsn");
        this.transaction = transaction;
    }

    /**
     * A message as the engine delivers it, for tests of listeners: {@code transaction} is {@code null}
     * for a non-transactional message.
     */
    public static LogicalMessage of(EventId id, String prefix, byte[] content, Lsn lsn, Transaction transaction) {
        return new LogicalMessage(id, prefix, content, lsn, transaction);
    }

    /** Same identity rules as change events; see {@link EventId}. */
    @Override
    public EventId id() {
        return id;
    }

    /** The prefix the writer gave, which says what the message is about (such as {@code outbox}). */
    public String prefix() {
        return prefix;
    }

    /** The content bytes (a copy). */
    public byte[] content() {
        return content.clone();
    }

    /** The content decoded as UTF-8 (what {@code pg_logical_emit_message} with a {@code text} argument wrote). */
    public String contentAsString() {
        return new String(content, StandardCharsets.UTF_8);
    }

    /** Whether the message was written as part of a transaction. */
    public boolean isTransactional() {
        return transaction != null;
    }

    /** The transaction it was written in; empty for a non-transactional message. */
    public Optional<Transaction> transaction() {
        return Optional.ofNullable(transaction);
    }

    /** WAL position of the message itself. */
    public Lsn lsn() {
        return lsn;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof LogicalMessage)) {
            return false;
        }
        LogicalMessage m = (LogicalMessage) o;
        return id.equals(m.id) && prefix.equals(m.prefix) && Arrays.equals(content, m.content) && lsn.equals(m.lsn)
                && Objects.equals(transaction, m.transaction);
    }

    @Override
    public int hashCode() {
        return Objects.hash(id, prefix, Arrays.hashCode(content), lsn);
    }

    /** {@code MESSAGE outbox (42 bytes) [16/B374D848:2]}. */
    @Override
    public String toString() {
        return "MESSAGE " + prefix + " (" + content.length + " bytes) [" + id + (transaction == null ? ", non-transactional" : "") + "]";
    }
}
