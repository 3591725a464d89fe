package io.pgcdc;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Reads Debezium's Connect records straight into what {@link Delivery} needs (no JSON in between):
 * row changes, logical messages, and the transaction END markers that carry a transaction's commit LSN.
 * Used on the delivery thread only, so its schema cache needs no locking.
 */
final class EventMapper {

    private static final int MAX_CACHED_SCHEMAS = 1024;

    /** What a Debezium record is to the engine. */
    enum Kind {
        /** A streamed row change or logical message, part of a transaction unless a non-transactional message. */
        STREAMED,
        /** A row a snapshot read. */
        SNAPSHOT,
        /** The END marker of a transaction. */
        COMMIT,
        /** The BEGIN marker of a transaction: its offset must never be stored on its own (see {@link Delivery}). */
        BEGIN,
        /** Anything else: BEGIN markers, heartbeats, tombstones. */
        OTHER
    }

    /**
     * One decoded record. For {@link Kind#STREAMED}, {@link #build} makes the event once its
     * transaction's commit LSN is known.
     */
    static final class Decoded {
        final Kind kind;
        final String txKey;
        final long xid;
        final Instant commitTime;
        final long ordinal;
        final Lsn commitLsn;
        private final ChangeEvent.Builder change;
        private final String prefix;
        private final byte[] content;
        private final Lsn lsn;

        private Decoded(Kind kind, String txKey, long xid, Instant commitTime, long ordinal, Lsn commitLsn,
                        ChangeEvent.Builder change, String prefix, byte[] content, Lsn lsn) {
            this.kind = kind;
            this.txKey = txKey;
            this.xid = xid;
            this.commitTime = commitTime;
            this.ordinal = ordinal;
            this.commitLsn = commitLsn;
            this.change = change;
            this.prefix = prefix;
            this.content = content;
            this.lsn = lsn;
        }

        /** Whether this is a streamed event outside any transaction (a non-transactional message). */
        boolean isStandalone() {
            return kind == Kind.STREAMED && txKey == null;
        }

        /** The event, with its transaction's commit LSN (ignored for standalone messages). */
        CdcEvent build(Lsn transactionCommitLsn) {
            if (kind == Kind.SNAPSHOT) {
                return change.build();
            }
            if (txKey == null) {
                return LogicalMessage.of(EventId.of(lsn, 0), prefix, content, lsn, null);
            }
            Transaction tx = new Transaction(xid, transactionCommitLsn, commitTime);
            EventId id = EventId.of(transactionCommitLsn, ordinal);
            if (change == null) {
                return LogicalMessage.of(id, prefix, content, lsn, tx);
            }
            return change.transaction(tx).id(id).build();
        }

        Transaction transaction(Lsn transactionCommitLsn) {
            return new Transaction(xid, transactionCommitLsn, commitTime);
        }
    }

    private static final Decoded OTHER = new Decoded(Kind.OTHER, null, 0, null, 0, null, null, null, null, null);
    private static final Decoded BEGIN = new Decoded(Kind.BEGIN, null, 0, null, 0, null, null, null, null, null);

    private final String unavailablePlaceholder;
    private final Map<Schema, RowType> rowTypes = new IdentityHashMap<>();

    EventMapper(String unavailablePlaceholder) {
        this.unavailablePlaceholder = unavailablePlaceholder;
    }

    Decoded map(SourceRecord record) {
        Object value = record.value();
        if (!(value instanceof Struct)) {
            return OTHER;
        }
        Struct struct = (Struct) value;
        Schema schema = struct.schema();
        if (schema.field("status") != null && schema.field("event_count") != null && schema.field("id") != null) {
            return "END".equals(struct.getString("status")) ? commit(record, struct) : "BEGIN".equals(struct.getString("status")) ? BEGIN : OTHER;
        }
        if (schema.field("op") == null || schema.field("source") == null) {
            return OTHER;
        }
        String op = struct.getString("op");
        if ("m".equals(op) && schema.field("message") != null) {
            return message(struct);
        }
        if (op == null || op.length() != 1 || "cudrt".indexOf(op.charAt(0)) < 0) {
            return OTHER;
        }
        Operation operation = Operation.fromCode(op);
        Struct source = struct.getStruct("source");
        TableId table = new TableId(source.getString("schema"), source.getString("table"));
        ChangeEvent.Builder change = ChangeEvent.builder(operation, table)
                .key(record.key() instanceof Struct ? row(table, (Struct) record.key()) : null)
                .before(row(table, struct.getStruct("before")))
                .after(row(table, struct.getStruct("after")))
                .source(position(source));
        if (operation == Operation.READ) {
            return new Decoded(Kind.SNAPSHOT, null, 0, null, 0, null, change, null, null, null);
        }
        return streamed(struct, source, change, null, null);
    }

    private Decoded message(Struct value) {
        Struct source = value.getStruct("source");
        Struct message = value.getStruct("message");
        Object raw = message.get("content");
        byte[] content;
        if (raw instanceof ByteBuffer) {
            ByteBuffer b = ((ByteBuffer) raw).duplicate();
            content = new byte[b.remaining()];
            b.get(content);
        } else if (raw instanceof byte[]) {
            content = ((byte[]) raw).clone();
        } else {
            throw new IllegalStateException("logical message content is " + (raw == null ? "null" : raw.getClass().getName())
                    + "; the engine needs binary.handling.mode=bytes");
        }
        return streamed(value, source, null, message.getString("prefix"), content);
    }

    private Decoded streamed(Struct value, Struct source, ChangeEvent.Builder change, String prefix, byte[] content) {
        Lsn lsn = Lsn.of(source.getInt64("lsn"));
        Struct tx = value.schema().field("transaction") != null ? value.getStruct("transaction") : null;
        if (tx == null) {
            if (change != null) {
                throw new IllegalStateException("a streamed change without transaction metadata at " + lsn
                        + "; the engine needs provide.transaction.metadata=true");
            }
            return new Decoded(Kind.STREAMED, null, 0, null, 0, null, null, prefix, content, lsn);
        }
        Instant commitTime = commitTime(source);
        long xid = source.getInt64("txId");
        return new Decoded(Kind.STREAMED, txKey(xid), xid, commitTime, tx.getInt64("total_order"),
                null, change, prefix, content, lsn);
    }

    private static Decoded commit(SourceRecord record, Struct value) {
        Map<String, ?> offset = record.sourceOffset();
        Object lsn = offset.get("lsn_commit");
        if (!(lsn instanceof Number)) {
            lsn = offset.get("lsn");
        }
        Object micros = offset.get("ts_usec");
        Object xid = offset.get("txId");
        if (!(lsn instanceof Number) || !(micros instanceof Number) || !(xid instanceof Number)) {
            throw new IllegalStateException("a transaction END marker without commit position: " + offset);
        }
        Instant commitTime = fromMicros(((Number) micros).longValue());
        return new Decoded(Kind.COMMIT, txKey(((Number) xid).longValue()), ((Number) xid).longValue(), commitTime, 0,
                Lsn.of(((Number) lsn).longValue()), null, null, null, null);
    }

    /**
     * A transaction's key: its xid. pgoutput sends transactions one after the other, so the xid tells the
     * transaction in progress from the next; Debezium's own transaction id text differs between events and END.
     */
    private static String txKey(long xid) {
        return Long.toString(xid);
    }

    private Row row(TableId table, Struct struct) {
        if (struct == null) {
            return null;
        }
        RowType type = rowTypes.get(struct.schema());
        if (type == null) {
            if (rowTypes.size() >= MAX_CACHED_SCHEMAS) {
                rowTypes.clear();
            }
            type = RowType.of(table, struct.schema(), unavailablePlaceholder);
            rowTypes.put(struct.schema(), type);
        }
        return Row.of(type, struct);
    }

    static SourcePosition position(Struct source) {
        Long lsn = source.getInt64("lsn");
        Long txId = source.getInt64("txId");
        return new SourcePosition(Lsn.of(lsn == null ? 0L : lsn), txId, commitTime(source));
    }

    private static Instant commitTime(Struct source) {
        if (source.schema().field("ts_us") != null && source.getInt64("ts_us") != null) {
            return fromMicros(source.getInt64("ts_us"));
        }
        return Instant.ofEpochMilli(source.getInt64("ts_ms"));
    }

    private static Instant fromMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
