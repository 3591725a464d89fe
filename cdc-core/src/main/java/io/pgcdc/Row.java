package io.pgcdc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.math.BigDecimal;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Arrays;
import java.util.List;
import java.util.Objects;
import org.apache.kafka.connect.data.Struct;

/**
 * One row image of a {@link ChangeEvent} (its key, before or after): column values by name, with
 * typed getters that understand how Debezium encodes each PostgreSQL type.
 *
 * <p>A column whose value PostgreSQL did not send (an unchanged TOASTed value outside the replica
 * identity) is <em>unavailable</em>: {@link #isUnavailable(String)} says so, and every getter throws
 * {@link IllegalStateException} for it rather than return a placeholder as data.
 *
 * <p>Getters take a column name and throw {@link IllegalArgumentException} for a name the row does
 * not have, or for a type they cannot read (the message names the getter to use). SQL {@code NULL}
 * reads as {@code null}; primitive-returning getters do not exist for that reason. Rows are immutable
 * and safe to share between threads.
 */
public final class Row {

    // Exact numbers: a json 261.40 reads as BigDecimal 261.40, never as the double 261.4.
    private static final ObjectMapper JSON = JsonMapper.builder()
            .enable(DeserializationFeature.USE_BIG_DECIMAL_FOR_FLOATS)
            .nodeFactory(JsonNodeFactory.withExactBigDecimals(true))
            .build();

    // Debezium's encodings of PostgreSQL's 'infinity' and '-infinity' (pgjdbc's sentinels, and what they
    // become as epoch days): mapped to MAX and MIN, as pgjdbc's getObject maps them.
    private static final long TIMESTAMP_PLUS_INFINITY = 9223372036825200000L;
    private static final long TIMESTAMP_MINUS_INFINITY = -9223372036832400000L;
    private static final int DATE_PLUS_INFINITY = -2147472692;
    private static final int DATE_MINUS_INFINITY = -2147472691;

    private final RowType type;
    private final Object[] values;
    private final boolean[] unavailable;

    Row(RowType type, Object[] values) {
        this.type = type;
        this.values = values;
        boolean[] flags = null;
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null && type.isPlaceholder(values[i])) {
                if (flags == null) {
                    flags = new boolean[values.length];
                }
                flags[i] = true;
            }
        }
        this.unavailable = flags;
    }

    /** Copies a Debezium row struct; {@code ByteBuffer}s become {@code byte[]} so the row owns its data. */
    static Row of(RowType type, Struct struct) {
        Object[] values = new Object[type.size()];
        List<org.apache.kafka.connect.data.Field> fields = struct.schema().fields();
        for (int i = 0; i < values.length; i++) {
            Object v = struct.get(fields.get(i));
            if (v instanceof ByteBuffer) {
                ByteBuffer b = ((ByteBuffer) v).duplicate();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                v = bytes;
            }
            values[i] = v;
        }
        return new Row(type, values);
    }

    /** The table this row belongs to. */
    public TableId table() {
        return type.table();
    }

    /** Column names in table order. */
    public List<String> columns() {
        return type.names();
    }

    /** Whether the row has this column. */
    public boolean has(String column) {
        return type.has(column);
    }

    /** Whether the column is SQL {@code NULL}. */
    public boolean isNull(String column) {
        int i = type.indexOf(column);
        return values[i] == null;
    }

    /**
     * Whether PostgreSQL did not send this column's value: an unchanged TOASTed value outside the
     * replica identity ({@code ALTER TABLE ... REPLICA IDENTITY FULL} makes PostgreSQL send it).
     */
    public boolean isUnavailable(String column) {
        int i = type.indexOf(column);
        return unavailable != null && unavailable[i];
    }

    /**
     * The value as Debezium's converters deliver it: {@code String} for text, numeric (as
     * {@code decimal.handling.mode=string}), json, uuid and timestamptz (ISO-8601); {@code Short},
     * {@code Integer}, {@code Long}, {@code Float}, {@code Double}, {@code Boolean}; {@code byte[]}
     * (a copy) for bytea; {@code Integer} epoch days for date; {@code Long} epoch microseconds for
     * timestamp; {@code List} for arrays. Prefer the typed getters.
     */
    public Object get(String column) {
        int i = available(column);
        Object v = values[i];
        return v instanceof byte[] ? ((byte[]) v).clone() : v;
    }

    /**
     * The value as a natural Java type, as JDBC's {@code getObject} gives it: {@code String},
     * {@code Short}/{@code Integer}/{@code Long}, {@code Float}/{@code Double}, {@code Boolean},
     * {@code BigDecimal} for numeric ({@code String} "NaN", "Infinity" or "-Infinity" for those), {@code LocalDate},
     * {@code LocalDateTime} for timestamp, {@code OffsetDateTime} (UTC) for timestamptz, {@code String}
     * for json, uuid and time values, {@code byte[]} (a copy) for bytea, {@code List} for arrays.
     */
    public Object getObject(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        switch (type.kind(i)) {
            case DATE:
            case CONNECT_DATE:
                return getLocalDate(column);
            case TIMESTAMP_MILLIS:
            case TIMESTAMP_MICROS:
            case TIMESTAMP_NANOS:
            case CONNECT_TIMESTAMP:
                return getTimestamp(column);
            case ZONED_TIMESTAMP:
                if (isInfinityText((String) v)) {
                    return "infinity".equals(v) ? OffsetDateTime.MAX : OffsetDateTime.MIN;
                }
                return OffsetDateTime.parse((String) v).withOffsetSameInstant(ZoneOffset.UTC);
            case CONNECT_DECIMAL:
            case VARIABLE_SCALE_DECIMAL:
                return getDecimal(column);
            default:
                break;
        }
        if (type.kind(i) == RowType.Kind.DECIMAL_STRING) {
            String s = (String) v;
            return isSpecialNumeric(s) ? numericText(s) : new BigDecimal(s);
        }
        return v instanceof byte[] ? ((byte[]) v).clone() : v;
    }

    private static boolean isSpecialNumeric(String s) {
        return !numericText(s).equals(s) || s.equals("NaN") || s.endsWith("Infinity");
    }

    private static boolean isInfinityText(String s) {
        return "infinity".equals(s) || "-infinity".equals(s);
    }

    /** PostgreSQL's text for the special numerics Debezium's string mode names NAN, POSITIVE_INFINITY, NEGATIVE_INFINITY. */
    private static String numericText(String raw) {
        switch (raw) {
            case "NAN": return "NaN";
            case "POSITIVE_INFINITY": return "Infinity";
            case "NEGATIVE_INFINITY": return "-Infinity";
            default: return raw;
        }
    }

    /** Text of a text-like column; numbers and booleans as their string form; temporal values in ISO-8601. */
    public String getString(String column) {
        int i = available(column);
        Object v = values[i];
        if (v instanceof String && type.kind(i) == RowType.Kind.DECIMAL_STRING) {
            return numericText((String) v);
        }
        if (v == null || v instanceof String) {
            return (String) v;
        }
        switch (type.kind(i)) {
            case DATE:
            case CONNECT_DATE:
                LocalDate date = getLocalDate(column);
                return date.equals(LocalDate.MAX) ? "infinity" : date.equals(LocalDate.MIN) ? "-infinity" : date.toString();
            case TIMESTAMP_MILLIS:
            case TIMESTAMP_MICROS:
            case TIMESTAMP_NANOS:
            case CONNECT_TIMESTAMP:
                LocalDateTime ts = getTimestamp(column);
                return ts.equals(LocalDateTime.MAX) ? "infinity" : ts.equals(LocalDateTime.MIN) ? "-infinity" : ts.toString();
            case CONNECT_DECIMAL:
            case VARIABLE_SCALE_DECIMAL:
                return getDecimal(column).toPlainString();
            default:
                break;
        }
        if (v instanceof Number || v instanceof Boolean) {
            return v.toString();
        }
        throw wrongType(i, "getString", "get");
    }

    /** An integral column (smallint, integer, bigint) as a {@code Long}. */
    public Long getLong(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        switch (type.kind(i)) {
            case INT8:
            case INT16:
            case INT32:
            case INT64:
                return ((Number) v).longValue();
            default:
                throw wrongType(i, "getLong", suggestion(i));
        }
    }

    /** A smallint or integer column as an {@code Integer}; a bigint only when it fits. */
    public Integer getInt(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        switch (type.kind(i)) {
            case INT8:
            case INT16:
            case INT32:
                return ((Number) v).intValue();
            case INT64:
                long l = (Long) v;
                if (l < Integer.MIN_VALUE || l > Integer.MAX_VALUE) {
                    throw new ArithmeticException("column '" + column + "' of " + type.table() + " holds " + l
                            + ", which does not fit an int; use getLong");
                }
                return (int) l;
            default:
                throw wrongType(i, "getInt", suggestion(i));
        }
    }

    /** A real or double precision column as a {@code Double}. */
    public Double getDouble(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        if (type.kind(i) == RowType.Kind.FLOAT32 || type.kind(i) == RowType.Kind.FLOAT64) {
            return ((Number) v).doubleValue();
        }
        throw wrongType(i, "getDouble", suggestion(i));
    }

    /** A boolean column. */
    public Boolean getBoolean(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        if (v instanceof Boolean) {
            return (Boolean) v;
        }
        throw wrongType(i, "getBoolean", suggestion(i));
    }

    /**
     * A numeric column as a {@code BigDecimal} with every digit and the scale PostgreSQL stored; also
     * integral columns.
     *
     * @throws ArithmeticException for {@code NaN} or infinities, which a {@code BigDecimal} cannot hold
     *     (read those with {@link #getString})
     */
    public BigDecimal getDecimal(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        switch (type.kind(i)) {
            case STRING:
            case DECIMAL_STRING:
                String s = (String) v;
                if (isSpecialNumeric(s)) {
                    throw new ArithmeticException("column '" + column + "' of " + type.table() + " is " + numericText(s)
                            + ", which a BigDecimal cannot hold; read it with getString");
                }
                try {
                    return new BigDecimal(s);
                } catch (NumberFormatException e) {
                    throw wrongType(i, "getDecimal", "getString");
                }
            case CONNECT_DECIMAL:
                return (BigDecimal) v;
            case VARIABLE_SCALE_DECIMAL:
                Struct struct = (Struct) v;
                byte[] unscaled = struct.getBytes("value");
                return new BigDecimal(new BigInteger(unscaled), struct.getInt32("scale"));
            case INT8:
            case INT16:
            case INT32:
            case INT64:
                return BigDecimal.valueOf(((Number) v).longValue());
            default:
                throw wrongType(i, "getDecimal", suggestion(i));
        }
    }

    /**
     * A timestamp column as a {@code LocalDateTime}: the wall-clock value stored for
     * {@code timestamp without time zone}, the UTC wall clock for {@code timestamptz};
     * {@code 'infinity'} and {@code '-infinity'} as {@code LocalDateTime.MAX} and {@code MIN}, as pgjdbc does.
     */
    public LocalDateTime getTimestamp(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        if (v instanceof Long && ((Long) v == TIMESTAMP_PLUS_INFINITY || (Long) v == TIMESTAMP_MINUS_INFINITY)) {
            return (Long) v == TIMESTAMP_PLUS_INFINITY ? LocalDateTime.MAX : LocalDateTime.MIN;
        }
        if (type.kind(i) == RowType.Kind.ZONED_TIMESTAMP && isInfinityText((String) v)) {
            return "infinity".equals(v) ? LocalDateTime.MAX : LocalDateTime.MIN;
        }
        switch (type.kind(i)) {
            case TIMESTAMP_MILLIS:
                return fromEpoch(Math.floorDiv((Long) v, 1_000L), Math.floorMod((Long) v, 1_000L) * 1_000_000L);
            case TIMESTAMP_MICROS:
                return fromEpoch(Math.floorDiv((Long) v, 1_000_000L), Math.floorMod((Long) v, 1_000_000L) * 1_000L);
            case TIMESTAMP_NANOS:
                return fromEpoch(Math.floorDiv((Long) v, 1_000_000_000L), Math.floorMod((Long) v, 1_000_000_000L));
            case CONNECT_TIMESTAMP:
                return LocalDateTime.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC);
            case ZONED_TIMESTAMP:
                return OffsetDateTime.parse((String) v).withOffsetSameInstant(ZoneOffset.UTC).toLocalDateTime();
            default:
                throw wrongType(i, "getTimestamp", suggestion(i));
        }
    }

    private static LocalDateTime fromEpoch(long seconds, long nanos) {
        return LocalDateTime.ofEpochSecond(seconds, (int) nanos, ZoneOffset.UTC);
    }

    /**
     * A timestamp column as an {@code Instant}: exact for {@code timestamptz}; for
     * {@code timestamp without time zone}, its wall-clock value read as UTC; infinities as
     * {@code Instant.MAX} and {@code MIN}.
     */
    public Instant getInstant(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        if (type.kind(i) == RowType.Kind.ZONED_TIMESTAMP) {
            return isInfinityText((String) v) ? ("infinity".equals(v) ? Instant.MAX : Instant.MIN) : OffsetDateTime.parse((String) v).toInstant();
        }
        LocalDateTime local = getTimestamp(column);
        if (local.equals(LocalDateTime.MAX) || local.equals(LocalDateTime.MIN)) {
            return local.equals(LocalDateTime.MAX) ? Instant.MAX : Instant.MIN;
        }
        return local.toInstant(ZoneOffset.UTC);
    }

    /** A date column; {@code 'infinity'} and {@code '-infinity'} as {@code LocalDate.MAX} and {@code MIN}. */
    public LocalDate getLocalDate(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        switch (type.kind(i)) {
            case DATE:
                int days = ((Number) v).intValue();
                if (days == DATE_PLUS_INFINITY || days == DATE_MINUS_INFINITY) {
                    return days == DATE_PLUS_INFINITY ? LocalDate.MAX : LocalDate.MIN;
                }
                return LocalDate.ofEpochDay(days);
            case CONNECT_DATE:
                return LocalDate.ofInstant(((java.util.Date) v).toInstant(), ZoneOffset.UTC);
            default:
                throw wrongType(i, "getLocalDate", suggestion(i));
        }
    }

    /**
     * A json or jsonb column, parsed, with numbers as exact {@code BigDecimal}s ({@code 261.40} stays
     * {@code 261.40}); each call returns a new tree the caller may change.
     */
    public JsonNode getJson(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        if (type.kind(i) != RowType.Kind.JSON && type.kind(i) != RowType.Kind.STRING) {
            throw wrongType(i, "getJson", suggestion(i));
        }
        try {
            return JSON.readTree((String) v);
        } catch (JsonProcessingException e) {
            throw new IllegalArgumentException("column '" + column + "' of " + type.table() + " is not valid JSON: "
                    + e.getOriginalMessage(), e);
        }
    }

    /** A bytea column (a copy). */
    public byte[] getBytes(String column) {
        int i = available(column);
        Object v = values[i];
        if (v == null) {
            return null;
        }
        if (v instanceof byte[]) {
            return ((byte[]) v).clone();
        }
        throw wrongType(i, "getBytes", suggestion(i));
    }

    /** Raw value at a position, unavailable values included; for this package's comparisons. */
    Object rawAt(int i) {
        return values[i];
    }

    boolean unavailableAt(int i) {
        return unavailable != null && unavailable[i];
    }

    RowType type() {
        return type;
    }

    private int available(String column) {
        int i = type.indexOf(column);
        if (unavailable != null && unavailable[i]) {
            throw new IllegalStateException("column '" + column + "' of " + type.table() + " is unavailable: PostgreSQL did not"
                    + " send this unchanged TOASTed value (check isUnavailable first, or set REPLICA IDENTITY FULL on the table)");
        }
        return i;
    }

    private String suggestion(int i) {
        switch (type.kind(i)) {
            case INT8: case INT16: case INT32: case INT64: return "getLong";
            case FLOAT32: case FLOAT64: return "getDouble";
            case BOOLEAN: return "getBoolean";
            case BYTES: return "getBytes";
            case DATE: case CONNECT_DATE: return "getLocalDate";
            case TIMESTAMP_MILLIS: case TIMESTAMP_MICROS: case TIMESTAMP_NANOS: case CONNECT_TIMESTAMP: return "getTimestamp";
            case ZONED_TIMESTAMP: return "getInstant";
            case JSON: return "getJson";
            case CONNECT_DECIMAL: case VARIABLE_SCALE_DECIMAL: return "getDecimal";
            case DECIMAL_STRING: return "getDecimal or getString";
            case STRING: return "getString";
            default: return "get";
        }
    }

    private IllegalArgumentException wrongType(int i, String getter, String use) {
        return new IllegalArgumentException("column '" + type.names().get(i) + "' of " + type.table() + " is "
                + type.typeName(i) + "; " + getter + " cannot read it, use " + use);
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof Row)) {
            return false;
        }
        Row other = (Row) o;
        return type.table().equals(other.type.table()) && type.names().equals(other.type.names())
                && Arrays.deepEquals(values, other.values);
    }

    @Override
    public int hashCode() {
        return Objects.hash(type.table(), type.names(), Arrays.deepHashCode(values));
    }

    /** {@code {col=value, ...}}, with {@code <unavailable>} for values PostgreSQL did not send. */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            sb.append(type.names().get(i)).append('=');
            Object v = values[i];
            if (unavailableAt(i)) {
                sb.append("<unavailable>");
            } else if (v instanceof byte[]) {
                sb.append("<").append(((byte[]) v).length).append(" bytes>");
            } else {
                sb.append(v);
            }
        }
        return sb.append('}').toString();
    }
}
