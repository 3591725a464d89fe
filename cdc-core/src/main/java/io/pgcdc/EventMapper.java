package io.pgcdc;

import java.nio.ByteBuffer;
import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
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
    private final Map<Schema, Envelope> envelopes = new IdentityHashMap<>();

    /**
     * The fields of one envelope schema (and of its source and transaction blocks), looked up once: read by
     * {@link Field}, a value is an array access, where a read by name is a map lookup and a type check.
     */
    private static final class Envelope {
        final boolean transactionMarker;
        final Field op;
        final Field source;
        final Field before;
        final Field after;
        final Field message;
        final Field transaction;
        final Field sourceLsn;
        final Field sourceTxId;
        final Field sourceTsUs;
        final Field sourceTsMs;
        final Field sourceSchema;
        final Field sourceTable;
        final Field totalOrder;

        Envelope(Schema schema) {
            transactionMarker = schema.field("status") != null && schema.field("event_count") != null && schema.field("id") != null;
            op = schema.field("op");
            source = schema.field("source");
            before = schema.field("before");
            after = schema.field("after");
            message = schema.field("message");
            transaction = schema.field("transaction");
            Schema src = source == null ? null : source.schema();
            sourceLsn = src == null ? null : src.field("lsn");
            sourceTxId = src == null ? null : src.field("txId");
            sourceTsUs = src == null ? null : src.field("ts_us");
            sourceTsMs = src == null ? null : src.field("ts_ms");
            sourceSchema = src == null ? null : src.field("schema");
            sourceTable = src == null ? null : src.field("table");
            totalOrder = transaction == null ? null : transaction.schema().field("total_order");
        }

        /** Whether this is a row change or message envelope; its source block must then have what is read from it. */
        boolean isEvent() {
            if (op == null || source == null) {
                return false;
            }
            if (sourceLsn == null || sourceTsMs == null || sourceSchema == null || sourceTable == null) {
                throw new IllegalStateException("Debezium's source block " + source.schema().fields()
                        + " lacks lsn, ts_ms, schema or table; please report this with the Debezium version");
            }
            return true;
        }
    }

    private Envelope envelope(Schema schema) {
        Envelope e = envelopes.get(schema);
        if (e == null) {
            if (envelopes.size() >= MAX_CACHED_SCHEMAS) {
                envelopes.clear();
            }
            e = new Envelope(schema);
            envelopes.put(schema, e);
        }
        return e;
    }

    EventMapper(String unavailablePlaceholder) {
        this.unavailablePlaceholder = unavailablePlaceholder;
    }

    Decoded map(SourceRecord record) {
        Object value = record.value();
        if (!(value instanceof Struct)) {
            return OTHER;
        }
        Struct struct = (Struct) value;
        Envelope e = envelope(struct.schema());
        if (e.transactionMarker) {
            return "END".equals(struct.getString("status")) ? commit(record, struct) : "BEGIN".equals(struct.getString("status")) ? BEGIN : OTHER;
        }
        if (!e.isEvent()) {
            return OTHER;
        }
        String op = (String) struct.get(e.op);
        if ("m".equals(op) && e.message != null) {
            return message(struct, e);
        }
        if (op == null || op.length() != 1 || "cudrt".indexOf(op.charAt(0)) < 0) {
            return OTHER;
        }
        Operation operation = Operation.fromCode(op);
        Struct source = (Struct) struct.get(e.source);
        TableId table = new TableId((String) source.get(e.sourceSchema), (String) source.get(e.sourceTable));
        Lsn lsn = Lsn.of(lsnOf(source, e));
        Long txId = e.sourceTxId == null ? null : (Long) source.get(e.sourceTxId);
        Instant commitTime = commitTime(source, e);
        ChangeEvent.Builder change = ChangeEvent.builder(operation, table)
                .key(record.key() instanceof Struct ? row(table, (Struct) record.key()) : null)
                .before(e.before == null ? null : row(table, (Struct) struct.get(e.before)))
                .after(e.after == null ? null : row(table, (Struct) struct.get(e.after)))
                .source(new SourcePosition(lsn, txId, commitTime));
        if (operation == Operation.READ) {
            return new Decoded(Kind.SNAPSHOT, null, 0, null, 0, null, change, null, null, null);
        }
        return streamed(struct, e, source, lsn, txId, commitTime, change, null, null);
    }

    private Decoded message(Struct value, Envelope e) {
        Struct source = (Struct) value.get(e.source);
        Struct message = (Struct) value.get(e.message);
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
        Long txId = e.sourceTxId == null ? null : (Long) source.get(e.sourceTxId);
        return streamed(value, e, source, Lsn.of(lsnOf(source, e)), txId, commitTime(source, e), null, message.getString("prefix"), content);
    }

    private Decoded streamed(Struct value, Envelope e, Struct source, Lsn lsn, Long txId, Instant commitTime, ChangeEvent.Builder change,
                             String prefix, byte[] content) {
        Struct tx = e.transaction == null ? null : (Struct) value.get(e.transaction);
        if (tx == null) {
            if (change != null) {
                throw new IllegalStateException("a streamed change without transaction metadata at " + lsn
                        + "; the engine needs provide.transaction.metadata=true");
            }
            return new Decoded(Kind.STREAMED, null, 0, null, 0, null, null, prefix, content, lsn);
        }
        if (txId == null) {
            throw new IllegalStateException("a streamed event without a transaction id at " + lsn);
        }
        long xid = txId;
        return new Decoded(Kind.STREAMED, txKey(xid), xid, commitTime, (Long) tx.get(e.totalOrder),
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

    private static long lsnOf(Struct source, Envelope e) {
        Long lsn = (Long) source.get(e.sourceLsn);
        return lsn == null ? 0L : lsn;
    }

    private static Instant commitTime(Struct source, Envelope e) {
        Long micros = e.sourceTsUs == null ? null : (Long) source.get(e.sourceTsUs);
        if (micros != null) {
            return fromMicros(micros);
        }
        return Instant.ofEpochMilli((Long) source.get(e.sourceTsMs));
    }

    private static Instant fromMicros(long micros) {
        return Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
    }
}
