package io.pgcdc;

import java.math.BigDecimal;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.time.LocalTime;
import java.time.OffsetDateTime;
import java.time.OffsetTime;
import java.time.ZoneOffset;
import java.time.format.DateTimeFormatter;
import java.time.format.DateTimeFormatterBuilder;
import java.time.temporal.ChronoField;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HexFormat;
import java.util.List;
import java.util.Locale;
import java.util.UUID;

/**
 * PostgreSQL's text of an array ({@code {1,2,NULL}}, {@code {{1,2},{3,4}}}, {@code [0:1]={a,b}}) read into
 * nested lists of the element type's Java values, as pgjdbc's {@code Array.getArray()} gives them (with
 * {@code java.time} values for the temporal types, and {@code Double} NaN or infinity in a numeric array,
 * which pgjdbc cannot read). Stateless.
 */
final class ArrayText {

    private static final DateTimeFormatter TIME = new DateTimeFormatterBuilder()
            .appendPattern("HH:mm:ss").optionalStart().appendFraction(ChronoField.NANO_OF_SECOND, 0, 9, true).optionalEnd()
            .toFormatter(Locale.ROOT);
    private static final DateTimeFormatter OFFSET = new DateTimeFormatterBuilder()
            .appendOffset("+HH:mm:ss", "+00").toFormatter(Locale.ROOT);

    private ArrayText() {
    }

    /**
     * The array's elements, nested as its dimensions.
     *
     * @param elementType PostgreSQL's element type name ({@code int4}, {@code numeric}, {@code uuid}, ...)
     * @throws IllegalArgumentException for text that is not an array
     */
    static List<Object> parse(String text, String elementType) {
        String s = text;
        if (s.startsWith("[")) {
            // Explicit bounds, such as [0:1]={a,b}: the elements follow the '='.
            s = s.substring(s.indexOf('=') + 1);
        }
        int[] at = {0};
        List<Object> list = list(s, at, elementType);
        if (at[0] != s.length()) {
            throw new IllegalArgumentException("not an array: '" + text + "'");
        }
        return list;
    }

    private static List<Object> list(String s, int[] at, String type) {
        if (at[0] >= s.length() || s.charAt(at[0]) != '{') {
            throw new IllegalArgumentException("not an array: '" + s + "'");
        }
        at[0]++;
        List<Object> out = new ArrayList<>();
        if (s.charAt(at[0]) == '}') {
            at[0]++;
            return Collections.unmodifiableList(out);
        }
        while (true) {
            char c = s.charAt(at[0]);
            if (c == '{') {
                out.add(list(s, at, type));
            } else if (c == '"') {
                StringBuilder sb = new StringBuilder();
                at[0]++;
                while (s.charAt(at[0]) != '"') {
                    if (s.charAt(at[0]) == '\\') {
                        at[0]++;
                    }
                    sb.append(s.charAt(at[0]++));
                }
                at[0]++;
                out.add(element(sb.toString(), type));
            } else {
                int start = at[0];
                while (s.charAt(at[0]) != ',' && s.charAt(at[0]) != '}') {
                    at[0]++;
                }
                String token = s.substring(start, at[0]).trim();
                out.add(token.equalsIgnoreCase("NULL") ? null : element(token, type));
            }
            char next = s.charAt(at[0]++);
            if (next == '}') {
                return Collections.unmodifiableList(out);
            }
            if (next != ',') {
                throw new IllegalArgumentException("not an array: '" + s + "'");
            }
        }
    }

    /** One element's text as the Java value of its type; types without a mapping stay text. */
    private static Object element(String t, String type) {
        switch (type) {
            case "bool":
                return t.equals("t") || t.equals("true");
            case "int2":
            case "int4":
                return Integer.valueOf(t);
            case "int8":
            case "oid":
                return Long.valueOf(t);
            case "float4":
                return Float.valueOf(t);
            case "float8":
                return Double.valueOf(t);
            case "numeric":
                switch (t) {
                    case "NaN": return Double.NaN;
                    case "Infinity": return Double.POSITIVE_INFINITY;
                    case "-Infinity": return Double.NEGATIVE_INFINITY;
                    default: return new BigDecimal(t);
                }
            case "uuid":
                return UUID.fromString(t);
            case "bytea":
                return HexFormat.of().parseHex(t.startsWith("\\x") ? t.substring(2) : t);
            case "date":
                return date(t);
            case "timestamp":
                return timestamp(t);
            case "timestamptz":
                return timestamptz(t);
            case "time":
                return t.startsWith("24:00") ? LocalTime.MAX : LocalTime.parse(t, TIME);
            case "timetz":
                return timetz(t);
            default:
                return t;
        }
    }

    private static LocalDate date(String t) {
        if (t.equals("infinity") || t.equals("-infinity")) {
            return t.equals("infinity") ? LocalDate.MAX : LocalDate.MIN;
        }
        boolean bc = t.endsWith(" BC");
        LocalDate d = LocalDate.parse(bc ? t.substring(0, t.length() - 3) : t);
        return bc ? d.withYear(1 - d.getYear()) : d;
    }

    private static LocalDateTime timestamp(String t) {
        if (t.equals("infinity") || t.equals("-infinity")) {
            return t.equals("infinity") ? LocalDateTime.MAX : LocalDateTime.MIN;
        }
        boolean bc = t.endsWith(" BC");
        String body = bc ? t.substring(0, t.length() - 3) : t;
        LocalDateTime v = LocalDateTime.of(LocalDate.parse(body.substring(0, body.indexOf(' '))),
                LocalTime.parse(body.substring(body.indexOf(' ') + 1), TIME));
        return bc ? v.withYear(1 - v.getYear()) : v;
    }

    private static OffsetDateTime timestamptz(String t) {
        if (t.equals("infinity") || t.equals("-infinity")) {
            return t.equals("infinity") ? OffsetDateTime.MAX : OffsetDateTime.MIN;
        }
        int split = Math.max(t.lastIndexOf('+'), t.lastIndexOf('-'));
        ZoneOffset offset = ZoneOffset.from(OFFSET.parse(t.substring(split)));
        return timestamp(t.substring(0, split)).atOffset(offset).withOffsetSameInstant(ZoneOffset.UTC);
    }

    private static OffsetTime timetz(String t) {
        int split = Math.max(t.lastIndexOf('+'), t.lastIndexOf('-'));
        return LocalTime.parse(t.substring(0, split), TIME).atOffset(ZoneOffset.from(OFFSET.parse(t.substring(split))));
    }
}
