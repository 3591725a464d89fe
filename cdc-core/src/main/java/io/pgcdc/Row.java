package io.pgcdc;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.DeserializationFeature;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import com.fasterxml.jackson.databind.node.JsonNodeFactory;
import java.lang.invoke.MethodType;
import java.math.BigDecimal;
import java.util.regex.Pattern;
import java.util.regex.Matcher;
import java.time.LocalTime;
import java.nio.charset.StandardCharsets;
import java.math.BigInteger;
import java.nio.ByteBuffer;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.UUID;
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
 *
 * <p>To test a listener without a database, build rows with {@link #of(TableId, Map)}: they read
 * exactly as rows Debezium delivers.
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

    // PostgreSQL's ranges for date, timestamp and timestamptz: 4713 BC to 5874897 AD and to 294276 AD.
    private static final LocalDate MIN_DATE = LocalDate.of(-4712, 1, 1);
    private static final LocalDate MAX_DATE = LocalDate.of(5874897, 12, 31);
    private static final Instant MIN_INSTANT = Instant.parse("-4712-01-01T00:00:00Z");
    private static final Instant MAX_INSTANT = Instant.parse("+294276-12-31T23:59:59.999999Z");

    private static final String ACCEPTED_TYPES = "null, String, Short, Integer, Long, Float, Double, Boolean, BigDecimal,"
            + " byte[], LocalDate, LocalDateTime, OffsetDateTime, Instant, UUID, JsonNode, List";

    /**
     * Marks a column as unavailable in {@link #of(TableId, Map)}: an unchanged TOASTed value that
     * PostgreSQL did not send. {@link #toMap()} holds it for such columns. Compare it with {@code ==}.
     */
    public static final Object UNAVAILABLE = new Object() {
        @Override
        public String toString() {
            return "<unavailable>";
        }
    };

    private final RowType type;
    private final Object[] values;
    private final boolean[] unavailable;

    Row(RowType type, Object[] values) {
        this.type = type;
        this.values = values;
        boolean[] flags = null;
        for (int i = 0; i < values.length; i++) {
            if (values[i] != null && type.isPlaceholder(i, values[i])) {
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

    /**
     * A row of values as Debezium converts them, in the order of {@code type}'s columns; the array is taken,
     * and {@code ByteBuffer}s in it become {@code byte[]} so the row owns its data.
     */
    static Row ofValues(RowType type, Object[] values) {
        for (int i = 0; i < values.length; i++) {
            if (values[i] instanceof ByteBuffer) {
                ByteBuffer b = ((ByteBuffer) values[i]).duplicate();
                byte[] bytes = new byte[b.remaining()];
                b.get(bytes);
                values[i] = bytes;
            }
        }
        return new Row(type, values);
    }

    /**
     * A row built from plain Java values, so that listeners can be tested without a database. Each
     * value is stored as Debezium encodes the matching PostgreSQL type, so the row reads through every
     * getter, {@link #toMap()} and {@link #toString()} exactly as a delivered row of that type does.
     *
     * <p>Columns are in the map's iteration order: use a {@code LinkedHashMap} to choose it. Values, and
     * the PostgreSQL type each stands for:
     * <ul>
     *   <li>{@code null}: SQL {@code NULL};</li>
     *   <li>{@code String}: text; {@code Short}, {@code Integer}, {@code Long}: smallint, integer,
     *       bigint; {@code Float}, {@code Double}: real, double precision; {@code Boolean}: boolean;</li>
     *   <li>{@code BigDecimal}: numeric, with its scale (a negative scale reads as 0, as PostgreSQL has none);</li>
     *   <li>{@code byte[]}: bytea (copied);</li>
     *   <li>{@code LocalDate}: date; {@code LocalDateTime}: timestamp; {@code OffsetDateTime} or
     *       {@code Instant}: timestamptz, read back in UTC. Times are rounded to microseconds, as
     *       PostgreSQL stores them; {@code MAX} and {@code MIN} stand for {@code 'infinity'} and
     *       {@code '-infinity'}; other values outside PostgreSQL's range are rejected;</li>
     *   <li>{@code UUID}: uuid, read as its text, as delivered rows give it;</li>
     *   <li>{@code JsonNode}: jsonb, stored as its text; {@link #getJson} parses it again, with numbers
     *       as exact {@code BigDecimal}s;</li>
     *   <li>{@code List}: an array of values of the types above, in Debezium's encoding for array
     *       elements (a {@code LocalDate} element reads as epoch days, as it does in a delivered row);</li>
     *   <li>{@link #UNAVAILABLE}: an unavailable column.</li>
     * </ul>
     *
     * <p>The map is read once and not kept; it may hold {@code null} values but no {@code null} name.
     * Safe to call from any thread.
     *
     * @throws IllegalArgumentException for a value of another type or out of range, naming the column
     */
    public static Row of(TableId table, Map<String, ?> columns) {
        Objects.requireNonNull(table, "table");
        Objects.requireNonNull(columns, "columns");
        List<String> names = new ArrayList<>(columns.size());
        List<Encoded> encoded = new ArrayList<>(columns.size());
        for (Map.Entry<String, ?> e : columns.entrySet()) {
            if (e.getKey() == null) {
                throw new IllegalArgumentException("column names must not be null");
            }
            names.add(e.getKey());
            encoded.add(encode(table, e.getKey(), e.getValue()));
        }
        int n = names.size();
        RowType.Kind[] kinds = new RowType.Kind[n];
        String[] typeNames = new String[n];
        Object[] values = new Object[n];
        for (int i = 0; i < n; i++) {
            kinds[i] = encoded.get(i).kind();
            typeNames[i] = encoded.get(i).typeName();
            values[i] = encoded.get(i).raw();
        }
        return new Row(RowType.of(table, names.toArray(new String[0]), kinds, typeNames), values);
    }

    /** A hand-built value in Debezium's encoding, with the kind and PostgreSQL type it stands for. */
    private record Encoded(RowType.Kind kind, String typeName, Object raw) {
    }

    private static Encoded encode(TableId table, String column, Object v) {
        if (v == null || v == UNAVAILABLE) {
            // Every getter answers these before looking at the type.
            return new Encoded(RowType.Kind.OTHER, "unknown", v);
        }
        if (v instanceof List) {
            return new Encoded(RowType.Kind.ARRAY, "array", encodeArray(table, column, (List<?>) v));
        }
        Encoded e = encodeScalar(table, column, v);
        if (e == null) {
            throw new IllegalArgumentException("column '" + column + "' of " + table + " holds a " + v.getClass().getName()
                    + "; accepted are " + ACCEPTED_TYPES + " and Row.UNAVAILABLE");
        }
        return e;
    }

    private static List<Object> encodeArray(TableId table, String column, List<?> list) {
        List<Object> out = new ArrayList<>(list.size());
        for (Object element : list) {
            if (element == null) {
                out.add(null);
            } else if (element instanceof List) {
                out.add(encodeArray(table, column, (List<?>) element));
            } else if (element instanceof byte[]) {
                // Connect delivers bytea array elements as ByteBuffers, which also compare by content.
                out.add(ByteBuffer.wrap(((byte[]) element).clone()).asReadOnlyBuffer());
            } else {
                Encoded e = encodeScalar(table, column, element);
                if (e == null) {
                    throw new IllegalArgumentException("column '" + column + "' of " + table + " holds a List with a "
                            + element.getClass().getName() + " element; accepted elements are " + ACCEPTED_TYPES);
                }
                out.add(e.raw());
            }
        }
        return Collections.unmodifiableList(out);
    }

    /** Debezium's encoding of one non-null value, or {@code null} for a type no PostgreSQL column maps to here. */
    private static Encoded encodeScalar(TableId table, String column, Object v) {
        if (v instanceof String) {
            return new Encoded(RowType.Kind.STRING, "text", v);
        } else if (v instanceof Short) {
            return new Encoded(RowType.Kind.INT16, "smallint", v);
        } else if (v instanceof Integer) {
            return new Encoded(RowType.Kind.INT32, "integer", v);
        } else if (v instanceof Long) {
            return new Encoded(RowType.Kind.INT64, "bigint", v);
        } else if (v instanceof Float) {
            return new Encoded(RowType.Kind.FLOAT32, "real", v);
        } else if (v instanceof Double) {
            return new Encoded(RowType.Kind.FLOAT64, "double precision", v);
        } else if (v instanceof Boolean) {
            return new Encoded(RowType.Kind.BOOLEAN, "boolean", v);
        } else if (v instanceof BigDecimal) {
            return new Encoded(RowType.Kind.DECIMAL_STRING, "numeric", ((BigDecimal) v).toPlainString());
        } else if (v instanceof byte[]) {
            return new Encoded(RowType.Kind.BYTES, "bytea", ((byte[]) v).clone());
        } else if (v instanceof LocalDate) {
            return new Encoded(RowType.Kind.DATE, "date", epochDays(table, column, (LocalDate) v));
        } else if (v instanceof LocalDateTime) {
            return new Encoded(RowType.Kind.TIMESTAMP_MICROS, "timestamp", epochMicros(table, column, (LocalDateTime) v));
        } else if (v instanceof OffsetDateTime || v instanceof Instant) {
            return new Encoded(RowType.Kind.ZONED_TIMESTAMP, "timestamptz", zonedText(table, column, v));
        } else if (v instanceof UUID) {
            return new Encoded(RowType.Kind.UUID, "uuid", v.toString());
        } else if (v instanceof JsonNode) {
            try {
                return new Encoded(RowType.Kind.JSON, "jsonb", JSON.writeValueAsString(v));
            } catch (JsonProcessingException e) {
                throw new IllegalArgumentException("column '" + column + "' of " + table + " holds a JsonNode that cannot be"
                        + " written as JSON: " + e.getOriginalMessage(), e);
            }
        }
        return null;
    }

    private static int epochDays(TableId table, String column, LocalDate date) {
        if (date.equals(LocalDate.MAX) || date.equals(LocalDate.MIN)) {
            return date.equals(LocalDate.MAX) ? DATE_PLUS_INFINITY : DATE_MINUS_INFINITY;
        }
        if (date.isBefore(MIN_DATE) || date.isAfter(MAX_DATE)) {
            throw outOfRange(table, column, date, "date");
        }
        return (int) date.toEpochDay();
    }

    private static long epochMicros(TableId table, String column, LocalDateTime timestamp) {
        if (timestamp.equals(LocalDateTime.MAX) || timestamp.equals(LocalDateTime.MIN)) {
            return timestamp.equals(LocalDateTime.MAX) ? TIMESTAMP_PLUS_INFINITY : TIMESTAMP_MINUS_INFINITY;
        }
        Instant t = roundedToMicros(table, column, timestamp.toInstant(ZoneOffset.UTC), timestamp, "timestamp");
        try {
            long micros = Math.addExact(Math.multiplyExact(t.getEpochSecond(), 1_000_000L), t.getNano() / 1_000);
            // Epoch microseconds end before PostgreSQL's range does, at Debezium's 'infinity'.
            if (micros < TIMESTAMP_PLUS_INFINITY) {
                return micros;
            }
        } catch (ArithmeticException e) {
            // falls through to the range error
        }
        throw outOfRange(table, column, timestamp, "timestamp");
    }

    private static String zonedText(TableId table, String column, Object value) {
        if (value.equals(Instant.MAX) || value.equals(OffsetDateTime.MAX)) {
            return "infinity";
        }
        if (value.equals(Instant.MIN) || value.equals(OffsetDateTime.MIN)) {
            return "-infinity";
        }
        Instant instant = value instanceof Instant ? (Instant) value : ((OffsetDateTime) value).toInstant();
        Instant t = roundedToMicros(table, column, instant, value, "timestamptz");
        return DateTimeFormatter.ISO_OFFSET_DATE_TIME.format(t.atOffset(ZoneOffset.UTC));
    }

    /** Rounds half up to microseconds, as PostgreSQL stores a time, and checks PostgreSQL's range. */
    private static Instant roundedToMicros(TableId table, String column, Instant t, Object value, String pgType) {
        if (t.isBefore(MIN_INSTANT) || t.isAfter(MAX_INSTANT)) {
            throw outOfRange(table, column, value, pgType);
        }
        Instant rounded = t.truncatedTo(ChronoUnit.MICROS);
        if (t.getNano() % 1_000 >= 500) {
            rounded = rounded.plusNanos(1_000);
        }
        if (rounded.isAfter(MAX_INSTANT)) {
            throw outOfRange(table, column, value, pgType);
        }
        return rounded;
    }

    private static IllegalArgumentException outOfRange(TableId table, String column, Object value, String pgType) {
        return new IllegalArgumentException("column '" + column + "' of " + table + " holds " + value
                + ", outside PostgreSQL's " + pgType + " range; use MAX or MIN for 'infinity' or '-infinity'");
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
     * The value as Debezium's converters deliver it, for the rare caller that wants that encoding:
     * {@code String} for text, numeric, json, uuid, timestamptz and interval (ISO-8601); {@code Short},
     * {@code Integer}, {@code Long}, {@code Float}, {@code Double}, {@code Boolean}; {@code byte[]} (a copy)
     * for bytea and for types Debezium has no converter for (their text's bytes); {@code Integer} epoch days
     * for date; {@code Long} epoch microseconds for timestamp and time; {@code List} for arrays. Never a
     * Kafka Connect type: points are read as {@link #getObject} reads them. Prefer {@link #getObject} and
     * the typed getters.
     */
    public Object get(String column) {
        int i = available(column);
        Object v = values[i];
        if (v instanceof Struct || (v instanceof List && ((List<?>) v).stream().anyMatch(e -> e instanceof Struct))) {
            // Never a Kafka Connect type out of the public API: points and variable-scale decimals as getObject reads them.
            return getObject(column);
        }
        return v instanceof byte[] ? ((byte[]) v).clone() : v;
    }

    /**
     * The value as pgjdbc's {@code ResultSet.getObject} gives it for the same row, or the documented
     * substitute (the README's type table, checked type by type by {@code TypeFidelityIT}):
     * {@code Integer} for smallint and integer, {@code Long}, {@code Float}/{@code Double}, {@code Boolean},
     * {@code BigDecimal} for numeric and money ({@code Double} NaN or infinity for those numerics),
     * {@code String} for text types, json, xml, network, range and other textual types, {@code UUID},
     * {@code byte[]} (a copy) for bytea, {@code LocalDate}, {@code LocalTime}, {@code OffsetTime} (UTC),
     * {@code LocalDateTime}, {@code OffsetDateTime} (UTC), pgjdbc's {@code PGInterval} and geometric types,
     * {@code Map<String, String>} for hstore, and an unmodifiable {@code List} for arrays (nested for each
     * dimension, elements as pgjdbc's {@code getArray()} gives them).
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
            case DATE_TEXT:
                return getLocalDate(column);
            case TIMESTAMP_MILLIS:
            case TIMESTAMP_MICROS:
            case TIMESTAMP_NANOS:
            case CONNECT_TIMESTAMP:
                return getTimestamp(column);
            case CONNECT_DECIMAL:
            case VARIABLE_SCALE_DECIMAL:
                return getDecimal(column);
            case ARRAY:
                return natural(v, type.elementKind(i), type.typeName(i));
            case ARRAY_TEXT:
                String arrayType = type.typeName(i);
                return ArrayText.parse((String) v, arrayType.startsWith("_") ? arrayType.substring(1) : arrayType);
            default:
                return natural(v, type.kind(i), type.typeName(i));
        }
    }

    /** A raw value of this kind as the natural Java value pgjdbc's {@code getObject} gives (or its documented substitute). */
    private static Object natural(Object v, RowType.Kind kind, String typeName) {
        if (v == null) {
            return null;
        }
        if (v instanceof List) {
            List<Object> list = new ArrayList<>(((List<?>) v).size());
            for (Object element : (List<?>) v) {
                list.add(natural(element, kind, typeName));
            }
            return Collections.unmodifiableList(list);
        }
        if (v instanceof java.util.Map) {
            return Collections.unmodifiableMap(new java.util.LinkedHashMap<>((java.util.Map<?, ?>) v));
        }
        if (kind == null) {
            return v instanceof byte[] ? ((byte[]) v).clone() : v;
        }
        switch (kind) {
            case INT8:
            case INT16:
                // JDBC reads smallint as Integer.
                return ((Number) v).intValue();
            case DECIMAL_STRING:
                String s = (String) v;
                if (isSpecialNumeric(s)) {
                    // As pgjdbc: NaN and the infinities of numeric as Double.
                    String text = numericText(s);
                    return text.equals("NaN") ? Double.NaN : text.equals("Infinity") ? Double.POSITIVE_INFINITY : Double.NEGATIVE_INFINITY;
                }
                return new BigDecimal(s);
            case UUID:
                return java.util.UUID.fromString((String) v);
            case ZONED_TIMESTAMP:
                if (isInfinityText((String) v)) {
                    return "infinity".equals(v) ? OffsetDateTime.MAX : OffsetDateTime.MIN;
                }
                return OffsetDateTime.parse((String) v).withOffsetSameInstant(ZoneOffset.UTC);
            case TIME_MILLIS:
                return localTime(((Number) v).longValue() * 1_000_000L);
            case TIME_MICROS:
                return localTime(((Number) v).longValue() * 1_000L);
            case TIME_NANOS:
                return localTime(((Number) v).longValue());
            case INTERVAL:
                return interval((String) v);
            case ZONED_TIME:
                // Debezium's decoder moves timetz to UTC before any converter sees it: same instant of day, offset lost.
                return java.time.OffsetTime.parse((String) v);
            case MONEY:
                return new BigDecimal((String) v);
            case TEXT_BYTES:
                return new String((byte[]) v, StandardCharsets.UTF_8);
            case GEOMETRY:
                return geometry(typeName.startsWith("_") ? typeName.substring(1) : typeName, new String((byte[]) v, StandardCharsets.UTF_8));
            case POINT:
                Struct point = (Struct) v;
                return new org.postgresql.geometric.PGpoint(point.getFloat64("x"), point.getFloat64("y"));
            default:
                return v instanceof byte[] ? ((byte[]) v).clone() : v;
        }
    }

    /** Nanoseconds since midnight; PostgreSQL's {@code 24:00:00} reads as {@code LocalTime.MAX}, as pgjdbc reads it. */
    private static LocalTime localTime(long nanos) {
        return nanos >= 86_400_000_000_000L ? LocalTime.MAX : LocalTime.ofNanoOfDay(nanos);
    }

    private static final Pattern ISO_INTERVAL = Pattern.compile(
            "P(?:(-?\\d+)Y)?(?:(-?\\d+)M)?(?:(-?\\d+)D)?(?:T(?:(-?\\d+)H)?(?:(-?\\d+)M)?(?:(-?\\d+(?:\\.\\d+)?)S)?)?");

    /** Debezium's ISO-8601 interval ({@code P1Y2M3DT4H5M6.789S}, each part signed) as pgjdbc's {@code PGInterval}. */
    private static org.postgresql.util.PGInterval interval(String iso) {
        Matcher m = ISO_INTERVAL.matcher(iso);
        if (!m.matches()) {
            throw new IllegalStateException("not an ISO-8601 interval from Debezium: '" + iso + "'");
        }
        return new org.postgresql.util.PGInterval(part(m, 1), part(m, 2), part(m, 3), part(m, 4), part(m, 5),
                m.group(6) == null ? 0 : Double.parseDouble(m.group(6)));
    }

    private static int part(Matcher m, int group) {
        return m.group(group) == null ? 0 : Integer.parseInt(m.group(group));
    }

    /** PostgreSQL's text of a geometric value as pgjdbc's object for it. */
    private static Object geometry(String typeName, String text) {
        try {
            switch (typeName) {
                case "box": return new org.postgresql.geometric.PGbox(text);
                case "circle": return new org.postgresql.geometric.PGcircle(text);
                case "line": return new org.postgresql.geometric.PGline(text);
                case "lseg": return new org.postgresql.geometric.PGlseg(text);
                case "path": return new org.postgresql.geometric.PGpath(text);
                case "polygon": return new org.postgresql.geometric.PGpolygon(text);
                default: return text;
            }
        } catch (java.sql.SQLException e) {
            throw new IllegalStateException("cannot read the geometric value '" + text + "': " + e.getMessage(), e);
        }
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
            case TEXT_BYTES:
            case GEOMETRY:
                // PostgreSQL's own text of a type Debezium has no converter for.
                return new String((byte[]) v, StandardCharsets.UTF_8);
            case POINT:
                return getObject(column).toString();
            case UUID:
            case INT8:
            case INT16:
                return v.toString();
            default:
                break;
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
            case MONEY:
                return new BigDecimal((String) v);
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
            case DATE_TEXT:
                return "infinity".equals(v) ? LocalDate.MAX : "-infinity".equals(v) ? LocalDate.MIN : LocalDate.parse((String) v);
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

    /**
     * The value read as {@code type}, for code that is generic over columns: {@code String} as
     * {@link #getString}; {@code Long}, {@code Integer}, {@code Double}, {@code Boolean},
     * {@code BigDecimal}, {@code LocalDate}, {@code LocalDateTime}, {@code Instant}, {@code byte[]} and
     * {@code JsonNode} as their typed getter ({@code LocalDateTime} as {@link #getTimestamp});
     * {@code OffsetDateTime} as {@link #getInstant}, in UTC; {@code UUID} parsed from the text;
     * {@code Object} as {@link #getObject}; any other type when {@link #getObject}'s value is one. A
     * primitive class reads as its wrapper.
     *
     * @return the value, {@code null} for SQL {@code NULL}
     * @throws IllegalArgumentException for an unknown column, or a type the column cannot be read as
     *     (the message names the types it can)
     * @throws IllegalStateException for an unavailable column
     * @throws ArithmeticException where the typed getter throws it
     */
    @SuppressWarnings("unchecked")
    public <T> T get(String column, Class<T> type) {
        Objects.requireNonNull(type, "type");
        int i = available(column);
        if (values[i] == null) {
            return null;
        }
        Class<?> wanted = MethodType.methodType(type).wrap().returnType(); // int.class reads as Integer
        try {
            return (T) read(column, i, wanted);
        } catch (TypeMismatch e) {
            throw cannotRead(i, type);
        }
    }

    private Object read(String column, int i, Class<?> type) {
        if (type != String.class) {
            // getObject's own value when it is what was asked for (a numeric's NaN as Double, a UUID, a List, ...).
            Object natural = getObject(column);
            if (type.isInstance(natural)) {
                return natural;
            }
        }
        if (type == String.class) {
            return getString(column);
        } else if (type == Long.class) {
            return getLong(column);
        } else if (type == Integer.class) {
            return getInt(column);
        } else if (type == Short.class) {
            int n = getInt(column);
            if (n < Short.MIN_VALUE || n > Short.MAX_VALUE) {
                throw new ArithmeticException("column '" + column + "' of " + this.type.table() + " holds " + n
                        + ", which does not fit a short; use getInt");
            }
            return (short) n;
        } else if (type == Double.class) {
            return getDouble(column);
        } else if (type == Boolean.class) {
            return getBoolean(column);
        } else if (type == BigDecimal.class) {
            return getDecimal(column);
        } else if (type == LocalDate.class) {
            return getLocalDate(column);
        } else if (type == LocalDateTime.class) {
            return getTimestamp(column);
        } else if (type == Instant.class) {
            return getInstant(column);
        } else if (type == byte[].class) {
            return getBytes(column);
        } else if (type == JsonNode.class) {
            return getJson(column);
        } else if (type == Object.class) {
            return getObject(column);
        } else if (type == OffsetDateTime.class) {
            Instant t = getInstant(column);
            return t.equals(Instant.MAX) ? OffsetDateTime.MAX : t.equals(Instant.MIN) ? OffsetDateTime.MIN : t.atOffset(ZoneOffset.UTC);
        } else if (type == UUID.class) {
            RowType.Kind kind = this.type.kind(i);
            if (kind != RowType.Kind.UUID && kind != RowType.Kind.STRING) {
                throw cannotRead(i, type);
            }
            try {
                return UUID.fromString(getString(column));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("column '" + column + "' of " + this.type.table() + " holds '"
                        + getString(column) + "', which is not a UUID", e);
            }
        }
        Object v = getObject(column);
        if (type.isInstance(v)) {
            return v;
        }
        throw cannotRead(i, type);
    }

    private IllegalArgumentException cannotRead(int i, Class<?> wanted) {
        return new IllegalArgumentException("column '" + type.names().get(i) + "' of " + type.table() + " is "
                + type.typeName(i) + "; cannot read it as " + wanted.getSimpleName() + ", use " + suggestedClass(i));
    }

    private String suggestedClass(int i) {
        switch (type.kind(i)) {
            case INT8: case INT16: case INT32: case INT64: return "Long or Integer";
            case FLOAT32: case FLOAT64: return "Double";
            case BOOLEAN: return "Boolean";
            case BYTES: return "byte[]";
            case DATE: case CONNECT_DATE: return "LocalDate";
            case TIMESTAMP_MILLIS: case TIMESTAMP_MICROS: case TIMESTAMP_NANOS: case CONNECT_TIMESTAMP:
                return "LocalDateTime or Instant";
            case ZONED_TIMESTAMP: return "Instant or OffsetDateTime";
            case JSON: return "JsonNode or String";
            case CONNECT_DECIMAL: case VARIABLE_SCALE_DECIMAL: case DECIMAL_STRING: return "BigDecimal or String";
            case UUID: return "UUID or String";
            case STRING: return "String";
            case ARRAY: return "List";
            default: return "Object";
        }
    }

    /**
     * The row as a map from column name to its {@link #getObject} value, in column order: for logging,
     * asserting or handing on. SQL {@code NULL} maps to {@code null}, an unavailable column to
     * {@link #UNAVAILABLE}. Unmodifiable; built on each call, so bytea values are copies.
     */
    public Map<String, Object> toMap() {
        Map<String, Object> map = new LinkedHashMap<>(values.length * 2);
        for (int i = 0; i < values.length; i++) {
            String column = type.names().get(i);
            map.put(column, unavailableAt(i) ? UNAVAILABLE : getObject(column));
        }
        return Collections.unmodifiableMap(map);
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
            case DATE: case CONNECT_DATE: case DATE_TEXT: return "getLocalDate";
            case TIMESTAMP_MILLIS: case TIMESTAMP_MICROS: case TIMESTAMP_NANOS: case CONNECT_TIMESTAMP: return "getTimestamp";
            case ZONED_TIMESTAMP: return "getInstant";
            case JSON: return "getJson";
            case CONNECT_DECIMAL: case VARIABLE_SCALE_DECIMAL: return "getDecimal";
            case DECIMAL_STRING: return "getDecimal or getString";
            case STRING: return "getString";
            default: return "get";
        }
    }

    /** A getter's type error, which {@link #get(String, Class)} words for the class asked for. */
    private static final class TypeMismatch extends IllegalArgumentException {
        TypeMismatch(String message) {
            super(message);
        }
    }

    private IllegalArgumentException wrongType(int i, String getter, String use) {
        return new TypeMismatch("column '" + type.names().get(i) + "' of " + type.table() + " is "
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

    /**
     * {@code {id=42, amount=261.40, created=2024-01-01T00:00, data=<3 bytes>, big=<unavailable>}}: each
     * column's {@link #getObject} value (numerics in plain notation), bytea as its length, and
     * {@code <unavailable>} for values PostgreSQL did not send.
     */
    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("{");
        for (int i = 0; i < values.length; i++) {
            if (i > 0) {
                sb.append(", ");
            }
            String column = type.names().get(i);
            sb.append(column).append('=');
            Object v = values[i];
            if (unavailableAt(i)) {
                sb.append("<unavailable>");
            } else if (v instanceof byte[]) {
                sb.append("<").append(((byte[]) v).length).append(" bytes>");
            } else {
                Object decoded = getObject(column);
                sb.append(decoded instanceof BigDecimal ? ((BigDecimal) decoded).toPlainString() : decoded);
            }
        }
        return sb.append('}').toString();
    }
}
