package io.pgcdc;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.data.Field;
import org.apache.kafka.connect.data.Schema;

/**
 * The columns of one table version as Debezium describes them: names, positions, and how to read each
 * value. Built once per Connect schema and shared by every {@link Row} of that shape, or for one
 * hand-built row.
 */
final class RowType {

    /** How a column's Debezium value is represented, which decides what the typed getters accept. */
    enum Kind {
        STRING, DECIMAL_STRING, INT8, INT16, INT32, INT64, FLOAT32, FLOAT64, BOOLEAN, BYTES,
        DATE, TIME_MILLIS, TIME_MICROS, TIME_NANOS, TIMESTAMP_MILLIS, TIMESTAMP_MICROS, TIMESTAMP_NANOS,
        ZONED_TIMESTAMP, ZONED_TIME, JSON, UUID, CONNECT_DECIMAL, VARIABLE_SCALE_DECIMAL, CONNECT_DATE,
        CONNECT_TIMESTAMP, CONNECT_TIME, ARRAY, MAP, STRUCT, OTHER,
        /** An array as PostgreSQL's text (the engine's converter), read by {@link ArrayText}. */
        ARRAY_TEXT,
        /** date as ISO-8601 text, or {@code infinity} / {@code -infinity} (the engine's converter). */
        DATE_TEXT,
        /** interval as ISO-8601 text ({@code interval.handling.mode=string}). */
        INTERVAL,
        /** money as decimal text. */
        MONEY,
        /** A type Debezium has no converter for, as the UTF-8 bytes of PostgreSQL's text form. */
        TEXT_BYTES,
        /** box, circle, line, lseg, path, polygon: PostgreSQL's text form as UTF-8 bytes. */
        GEOMETRY,
        /** point as Debezium's {@code Point} struct (x, y). */
        POINT
    }

    private static final java.util.Set<String> GEOMETRIC = java.util.Set.of("BOX", "CIRCLE", "LINE", "LSEG", "PATH", "POLYGON");

    private final TableId table;
    private final List<String> names;
    private final Map<String, Integer> index;
    private final Kind[] kinds;
    private final String[] typeNames;
    private final Kind[] elementKinds;
    private final String unavailableText;
    private final byte[] unavailableBytes;
    /** Per column, whether Debezium's placeholder can stand there (text, bytes, arrays); {@code null}: every column. */
    private final boolean[] placeholderColumns;

    /**
     * @param unavailablePlaceholder Debezium's stand-in text for values PostgreSQL did not send, or {@code null}
     *     for hand-built rows, where only {@link Row#UNAVAILABLE} marks them
     */
    private RowType(TableId table, List<String> names, Kind[] kinds, Kind[] elementKinds, String[] typeNames,
                    String unavailablePlaceholder, boolean[] placeholderColumns) {
        this.table = table;
        this.placeholderColumns = placeholderColumns;
        this.elementKinds = elementKinds;
        this.names = names;
        this.kinds = kinds;
        this.typeNames = typeNames;
        Map<String, Integer> idx = new HashMap<>(names.size() * 2);
        for (int i = 0; i < names.size(); i++) {
            idx.put(names.get(i), i);
        }
        this.index = idx;
        this.unavailableText = unavailablePlaceholder;
        this.unavailableBytes = unavailablePlaceholder == null ? null : unavailablePlaceholder.getBytes(StandardCharsets.UTF_8);
    }

    /**
     * The type of a hand-built row ({@link Row#of(TableId, Map)}): no Debezium placeholder, so a text
     * value equal to it stays data. The arrays are taken, not copied.
     *
     * @param typeNames the PostgreSQL type of each column ({@code "bigint"}, {@code "timestamptz"}, ...), for messages
     */
    static RowType of(TableId table, String[] names, Kind[] kinds, String[] typeNames) {
        return new RowType(table, Collections.unmodifiableList(Arrays.asList(names)), kinds, null, typeNames, null, null);
    }

    static RowType of(TableId table, Schema schema, String unavailablePlaceholder) {
        List<Field> fields = schema.fields();
        String[] names = new String[fields.size()];
        Kind[] kinds = new Kind[fields.size()];
        Kind[] elementKinds = null;
        String[] typeNames = new String[fields.size()];
        boolean[] placeholderColumns = new boolean[fields.size()];
        for (int i = 0; i < fields.size(); i++) {
            Field f = fields.get(i);
            names[i] = f.name();
            Schema.Type connectType = f.schema().type();
            placeholderColumns[i] = connectType == Schema.Type.STRING || connectType == Schema.Type.BYTES || connectType == Schema.Type.ARRAY
                    || connectType == Schema.Type.MAP;
            kinds[i] = kindOf(f.schema());
            if (connectType == Schema.Type.ARRAY) {
                if (elementKinds == null) {
                    elementKinds = new Kind[fields.size()];
                }
                elementKinds[i] = kindOf(f.schema().valueSchema());
            }
            String sourceType = sourceType(f.schema());
            typeNames[i] = sourceType != null ? sourceType.toLowerCase(java.util.Locale.ROOT)
                    : f.schema().name() != null ? f.schema().name() : f.schema().type().getName();
        }
        return new RowType(table, Collections.unmodifiableList(Arrays.asList(names)), kinds, elementKinds, typeNames,
                unavailablePlaceholder, placeholderColumns);
    }

    /** The kind of an array column's elements; {@code null} when unknown (hand-built rows, or not an array). */
    Kind elementKind(int i) {
        return elementKinds == null ? null : elementKinds[i];
    }

    /** Schema parameter Debezium sets with {@code column.propagate.source.type}: the PostgreSQL type, upper case. */
    static final String SOURCE_TYPE_PARAMETER = "__debezium.source.column.type";

    static Kind kindOf(Schema schema) {
        String sourceType = sourceType(schema);
        if (schema.type() == Schema.Type.STRING && ("NUMERIC".equals(sourceType) || "DECIMAL".equals(sourceType)
                || "NUMERIC".equals(schema.parameters() == null ? null : schema.parameters().get("pgcdc.base.type")))) {
            // decimal.handling.mode=string: numeric arrives as text; only the propagated source type tells.
            return Kind.DECIMAL_STRING;
        }
        String baseType = schema.parameters() == null ? null : schema.parameters().get("pgcdc.base.type");
        if (schema.type() == Schema.Type.STRING && "DATE".equals(baseType)) {
            return Kind.DATE_TEXT;
        }
        if (schema.type() == Schema.Type.STRING && "ARRAY".equals(baseType)) {
            return Kind.ARRAY_TEXT;
        }
        if (schema.type() == Schema.Type.STRING && "INTERVAL".equals(sourceType)) {
            return Kind.INTERVAL;
        }
        if (schema.type() == Schema.Type.STRING && "MONEY".equals(sourceType)) {
            return Kind.MONEY;
        }
        String name = schema.name();
        if ("io.debezium.data.geometry.Point".equals(name)) {
            return Kind.POINT;
        }
        if (schema.type() == Schema.Type.BYTES && name == null && sourceType != null && !"BYTEA".equals(sourceType)) {
            // include.unknown.datatypes: a type without a Debezium converter arrives as its text's bytes.
            return GEOMETRIC.contains(sourceType) ? Kind.GEOMETRY : Kind.TEXT_BYTES;
        }
        if (name != null) {
            switch (name) {
                case "io.debezium.time.Date": return Kind.DATE;
                case "io.debezium.time.Time": return Kind.TIME_MILLIS;
                case "io.debezium.time.MicroTime": return Kind.TIME_MICROS;
                case "io.debezium.time.NanoTime": return Kind.TIME_NANOS;
                case "io.debezium.time.Timestamp": return Kind.TIMESTAMP_MILLIS;
                case "io.debezium.time.MicroTimestamp": return Kind.TIMESTAMP_MICROS;
                case "io.debezium.time.NanoTimestamp": return Kind.TIMESTAMP_NANOS;
                case "io.debezium.time.ZonedTimestamp": return Kind.ZONED_TIMESTAMP;
                case "io.debezium.time.ZonedTime": return Kind.ZONED_TIME;
                case "io.debezium.data.Json": return Kind.JSON;
                case "io.debezium.data.Uuid": return Kind.UUID;
                case "io.debezium.data.VariableScaleDecimal": return Kind.VARIABLE_SCALE_DECIMAL;
                case "org.apache.kafka.connect.data.Decimal": return Kind.CONNECT_DECIMAL;
                case "org.apache.kafka.connect.data.Date": return Kind.CONNECT_DATE;
                case "org.apache.kafka.connect.data.Timestamp": return Kind.CONNECT_TIMESTAMP;
                case "org.apache.kafka.connect.data.Time": return Kind.CONNECT_TIME;
                default: break;
            }
        }
        switch (schema.type()) {
            case STRING: return Kind.STRING;
            case INT8: return Kind.INT8;
            case INT16: return Kind.INT16;
            case INT32: return Kind.INT32;
            case INT64: return Kind.INT64;
            case FLOAT32: return Kind.FLOAT32;
            case FLOAT64: return Kind.FLOAT64;
            case BOOLEAN: return Kind.BOOLEAN;
            case BYTES: return Kind.BYTES;
            case ARRAY: return Kind.ARRAY;
            case MAP: return Kind.MAP;
            case STRUCT: return Kind.STRUCT;
            default: return Kind.OTHER;
        }
    }

    private static String sourceType(Schema schema) {
        return schema.parameters() == null ? null : schema.parameters().get(SOURCE_TYPE_PARAMETER);
    }

    TableId table() {
        return table;
    }

    List<String> names() {
        return names;
    }

    int size() {
        return names.size();
    }

    /** Position of a column; an unknown name is a caller error that lists the columns there are. */
    int indexOf(String column) {
        Integer i = index.get(column);
        if (i == null) {
            throw new IllegalArgumentException("no column '" + column + "' in " + table + "; its columns are " + names);
        }
        return i;
    }

    boolean has(String column) {
        return index.containsKey(column);
    }

    Kind kind(int i) {
        return kinds[i];
    }

    /** The PostgreSQL type (when propagated), else Debezium's semantic type or the Connect type, for messages. */
    String typeName(int i) {
        return typeNames[i];
    }

    /**
     * {@link #isPlaceholder(Object)} for the value of column {@code i}, deciding from the column's type first: only a
     * text, bytes, array or map column can hold Debezium's placeholder (checked for every value of every row).
     */
    boolean isPlaceholder(int i, Object raw) {
        if (raw == Row.UNAVAILABLE) {
            return true;
        }
        return (placeholderColumns == null || placeholderColumns[i]) && isPlaceholder(raw);
    }

    /**
     * Whether a raw value is Debezium's stand-in for an unchanged TOASTed value that PostgreSQL did not send,
     * or {@link Row#UNAVAILABLE} standing in for one in a hand-built row.
     */
    boolean isPlaceholder(Object raw) {
        if (raw == Row.UNAVAILABLE) {
            return true;
        }
        if (unavailableText == null) {
            return false;
        }
        if (raw instanceof String) {
            return unavailableText.equals(raw);
        }
        if (raw instanceof byte[]) {
            return Arrays.equals(unavailableBytes, (byte[]) raw);
        }
        if (raw instanceof java.nio.ByteBuffer) {
            return java.nio.ByteBuffer.wrap(unavailableBytes).equals(raw);
        }
        if (raw instanceof List) {
            List<?> list = (List<?>) raw;
            return list.size() == 1 && isPlaceholder(list.get(0));
        }
        if (raw instanceof Map) {
            // hstore.handling.mode=map: Debezium's stand-in is the map {placeholder: placeholder}.
            Map<?, ?> map = (Map<?, ?>) raw;
            return map.size() == 1 && unavailableText.equals(map.get(unavailableText));
        }
        return false;
    }
}
