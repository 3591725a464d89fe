package io.pgcdc;

import java.time.Instant;
import java.util.IdentityHashMap;
import java.util.Map;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.apache.kafka.connect.source.SourceRecord;

/**
 * Reads Debezium's Connect records straight into {@link ChangeEvent}s (no JSON in between). Used on
 * the delivery thread only, so its schema cache needs no locking.
 */
final class EventMapper {

    private static final int MAX_CACHED_SCHEMAS = 1024;

    private final String unavailablePlaceholder;
    private final Map<Schema, RowType> rowTypes = new IdentityHashMap<>();
    private long groupLsn = -1;
    private int groupIndex;

    EventMapper(String unavailablePlaceholder) {
        this.unavailablePlaceholder = unavailablePlaceholder;
    }

    /**
     * The event a record carries, or {@code null} for records that are not row changes (tombstones,
     * heartbeats, transaction markers, logical decoding messages).
     */
    ChangeEvent map(SourceRecord record) {
        Object value = record.value();
        if (!(value instanceof Struct)) {
            return null;
        }
        Struct envelope = (Struct) value;
        Schema schema = envelope.schema();
        if (schema.name() == null || !schema.name().endsWith(".Envelope") || schema.field("op") == null) {
            return null;
        }
        String op = envelope.getString("op");
        if (op == null || op.length() != 1 || "cudrt".indexOf(op.charAt(0)) < 0) {
            return null;
        }
        Operation operation = Operation.fromCode(op);
        Struct source = envelope.getStruct("source");
        TableId table = new TableId(source.getString("schema"), source.getString("table"));
        Row key = record.key() instanceof Struct ? row(table, (Struct) record.key()) : null;
        Row before = row(table, envelope.getStruct("before"));
        Row after = row(table, envelope.getStruct("after"));
        SourcePosition position = position(source);
        boolean snapshot = isSnapshot(source);
        String idempotencyKey = idempotencyKey(table, key, after, position, snapshot);
        return new ChangeEvent(operation, table, key, before, after, position, snapshot, idempotencyKey, snapshot ? 0 : groupIndex);
    }

    /**
     * The change's LSN and its index among consecutive changes sharing that LSN. Stable across
     * restarts because the engine never stores an offset inside such a group: a restart replays it whole.
     */
    private String idempotencyKey(TableId table, Row key, Row after, SourcePosition position, boolean snapshot) {
        if (snapshot) {
            return "snapshot:" + table + ":" + (key != null ? key : after);
        }
        long lsn = position.lsn().asLong();
        if (lsn == groupLsn) {
            groupIndex++;
        } else {
            groupLsn = lsn;
            groupIndex = 0;
        }
        return position.lsn() + ":" + groupIndex;
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

    private static boolean isSnapshot(Struct source) {
        Object snapshot = source.get("snapshot");
        // "true", "first", "last", "first_in_data_collection", ... mean a snapshot read; "false" or null do not.
        return snapshot != null && !"false".equals(snapshot.toString());
    }

    static SourcePosition position(Struct source) {
        Long lsn = source.getInt64("lsn");
        Lsn lastCommit = lastCommitLsn(source.getString("sequence"));
        Long txId = source.getInt64("txId");
        Instant commitTime;
        if (source.schema().field("ts_us") != null && source.getInt64("ts_us") != null) {
            long micros = source.getInt64("ts_us");
            commitTime = Instant.ofEpochSecond(Math.floorDiv(micros, 1_000_000L), Math.floorMod(micros, 1_000_000L) * 1_000L);
        } else {
            commitTime = Instant.ofEpochMilli(source.getInt64("ts_ms"));
        }
        return new SourcePosition(Lsn.of(lsn == null ? 0L : lsn), lastCommit, txId, commitTime);
    }

    /** Debezium's {@code sequence} is a JSON array of two decimal strings or nulls: {@code ["lastCommitLsn","lsn"]}. */
    static Lsn lastCommitLsn(String sequence) {
        if (sequence == null) {
            return null;
        }
        int start = sequence.indexOf('[');
        int comma = sequence.indexOf(',', start + 1);
        if (start < 0 || comma < 0) {
            return null;
        }
        String first = sequence.substring(start + 1, comma).trim();
        if (first.equals("null") || first.length() < 3) {
            return null;
        }
        return Lsn.of(Long.parseLong(first.substring(1, first.length() - 1)));
    }
}
