package io.pgcdc.internal;

import io.debezium.data.SpecialValueDecimal;
import io.debezium.spi.converter.CustomConverter;
import io.debezium.spi.converter.RelationalColumn;
import java.math.BigDecimal;
import java.sql.Types;
import java.util.Locale;
import java.util.Properties;
import org.apache.kafka.connect.data.SchemaBuilder;
import org.postgresql.util.PGobject;

/**
 * A Debezium converter for the columns whose values Debezium's own converters change, so that the snapshot
 * (values from pgjdbc) and the stream (values decoded from pgoutput's text) reach the listener alike:
 * <ul>
 *   <li>arrays as PostgreSQL's text, which the engine parses: Debezium drops a numeric array holding NaN and
 *       the inner arrays of a multi-dimensional one (logging a warning);</li>
 *   <li>{@code bit(n)} and {@code varbit} as PostgreSQL's text of bits ({@code 0101}): Debezium turns them
 *       into the bytes of a number, losing the length and leading zeros;</li>
 *   <li>{@code date} as ISO-8601 text: Debezium's snapshot conversion shifts BC and pre-1582 dates and the
 *       infinities;</li>
 *   <li>a domain over {@code numeric} as the number's plain text, marked with {@link #BASE_TYPE_PARAMETER}
 *       so that the engine reads it as numeric (Debezium names only the domain).</li>
 * </ul>
 * An unchanged TOASTed value (Debezium's marker object) becomes the engine's placeholder, so the row reports
 * it unavailable.
 */
public final class PgTextConverter implements CustomConverter<SchemaBuilder, RelationalColumn> {

    /** The name the engine registers this converter under, in Debezium's {@code converters} property. */
    public static final String NAME = "pgcdc";
    /** Schema parameter holding the PostgreSQL base type of a domain column, upper case. */
    public static final String BASE_TYPE_PARAMETER = "pgcdc.base.type";

    private static final long STREAMED_PLUS_INFINITY = -2147472692L;
    private static final long STREAMED_MINUS_INFINITY = -2147472691L;

    /** This converter's property naming the stand-in for an unchanged TOASTed value (the engine's placeholder). */
    public static final String PLACEHOLDER_PROPERTY = "placeholder";

    private String placeholder = DebeziumProperties.DEFAULT_UNAVAILABLE_PLACEHOLDER;

    /** Called by Debezium through reflection. */
    public PgTextConverter() {
    }

    @Override
    public void configure(Properties props) {
        placeholder = props.getProperty(PLACEHOLDER_PROPERTY, placeholder);
    }

    @Override
    public void converterFor(RelationalColumn column, ConverterRegistration<SchemaBuilder> registration) {
        String type = column.typeName() == null ? "" : column.typeName().toLowerCase(Locale.ROOT);
        if (type.startsWith("_") || column.jdbcType() == Types.ARRAY) {
            // Arrays as PostgreSQL's text, parsed by the engine: Debezium drops a numeric[] holding NaN and the
            // inner arrays of a two-dimensional one.
            registration.register(SchemaBuilder.string().optional().parameter(BASE_TYPE_PARAMETER, "ARRAY"), this::array);
        } else if (type.equals("bit") || type.equals("varbit") || type.equals("bit varying")) {
            registration.register(SchemaBuilder.string().optional(), v -> unchanged(v) ? placeholder : bits(v));
        } else if (type.equals("date")) {
            registration.register(SchemaBuilder.string().optional().parameter(BASE_TYPE_PARAMETER, "DATE"),
                    v -> unchanged(v) ? placeholder : date(v));
        } else if ((column.jdbcType() == Types.NUMERIC || column.jdbcType() == Types.DECIMAL)
                && !type.equals("numeric") && !type.equals("decimal") && !type.equals("money")) {
            registration.register(SchemaBuilder.string().optional().parameter(BASE_TYPE_PARAMETER, "NUMERIC"),
                    v -> unchanged(v) ? placeholder : number(v));
        }
    }

    /** Whether Debezium passes one of its markers for an unchanged TOASTed value PostgreSQL did not send. */
    private static boolean unchanged(Object value) {
        return value != null && value.getClass() == Object.class;
    }

    /** An array's text, as PostgreSQL prints it: the stream and the snapshot both give a pgjdbc {@code Array}. */
    private Object array(Object value) {
        if (value == null) {
            return null;
        }
        if (unchanged(value)) {
            return placeholder;
        }
        return value.toString();
    }

    /** Bits as PostgreSQL prints them: the stream gives the text, the snapshot a PGobject (a Boolean for bit(1)). */
    private static Object bits(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof Boolean) {
            return (Boolean) value ? "1" : "0";
        }
        if (value instanceof PGobject) {
            return ((PGobject) value).getValue();
        }
        return value.toString();
    }

    /**
     * A date as ISO-8601 text ({@code -0043-03-15} for 44 BC), or {@code infinity} / {@code -infinity}. The
     * snapshot gives pgjdbc's {@code java.sql.Date}, whose fields (in the JVM's zone and the Julian calendar
     * before 1582, as pgjdbc made it) are the date PostgreSQL stored; Debezium's own conversion of it shifts
     * BC and pre-Gregorian dates and turns the infinities into distant years.
     */
    private static Object date(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof java.sql.Date) {
            long millis = ((java.sql.Date) value).getTime();
            if (millis == org.postgresql.PGStatement.DATE_POSITIVE_INFINITY || millis == org.postgresql.PGStatement.DATE_POSITIVE_SMALLER_INFINITY) {
                return "infinity";
            }
            if (millis == org.postgresql.PGStatement.DATE_NEGATIVE_INFINITY || millis == org.postgresql.PGStatement.DATE_NEGATIVE_SMALLER_INFINITY) {
                return "-infinity";
            }
            java.util.GregorianCalendar calendar = new java.util.GregorianCalendar();
            calendar.setTime((java.sql.Date) value);
            int year = calendar.get(java.util.Calendar.YEAR);
            if (calendar.get(java.util.Calendar.ERA) == java.util.GregorianCalendar.BC) {
                year = 1 - year;
            }
            return java.time.LocalDate.of(year, calendar.get(java.util.Calendar.MONTH) + 1, calendar.get(java.util.Calendar.DAY_OF_MONTH)).toString();
        }
        if (value instanceof java.time.LocalDate) {
            // The stream: Debezium's decoder reads infinity and -infinity as these day numbers.
            long day = ((java.time.LocalDate) value).toEpochDay();
            return day == STREAMED_PLUS_INFINITY ? "infinity" : day == STREAMED_MINUS_INFINITY ? "-infinity" : value.toString();
        }
        return value.toString();
    }

    /** A numeric value as plain text; NaN and the infinities as Debezium's string mode names them for numeric. */
    private static Object number(Object value) {
        if (value == null) {
            return null;
        }
        if (value instanceof BigDecimal) {
            return ((BigDecimal) value).toPlainString();
        }
        if (value instanceof SpecialValueDecimal) {
            // The stream: Debezium's decoder wraps numerics; its text is the plain number, or NAN, POSITIVE_INFINITY, ...
            return value.toString();
        }
        if (value instanceof Double || value instanceof Float) {
            double d = ((Number) value).doubleValue();
            return Double.isNaN(d) ? "NAN" : d > 0 ? "POSITIVE_INFINITY" : "NEGATIVE_INFINITY";
        }
        String text = value.toString();
        switch (text) {
            case "NaN": return "NAN";
            case "Infinity": return "POSITIVE_INFINITY";
            case "-Infinity": return "NEGATIVE_INFINITY";
            default: return text;
        }
    }
}
