package io.pgcdc.internal;

import io.debezium.connector.postgresql.PostgresType;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.data.SpecialValueDecimal;
import io.debezium.relational.Column;
import io.debezium.relational.Table;
import io.debezium.util.ColumnUtils;
import java.math.BigDecimal;
import java.sql.ResultSet;
import java.sql.ResultSetMetaData;
import java.sql.SQLException;
import java.time.LocalDateTime;
import java.time.OffsetDateTime;
import java.time.ZoneOffset;
import java.util.Optional;
import org.postgresql.core.Oid;

/**
 * Reads a result set's rows into the values Debezium's value converters take, as
 * {@code PostgresConnection.getColumnValue} does, with the column's type looked up once per result set
 * instead of once per value, and timestamps parsed by hand where their text has PostgreSQL's usual
 * shape: the converters' own parsing of that text ({@code DateTimeFormatter}) was most of the
 * snapshot's time. The parsed value is the one the converter would compute from the text; any other
 * text (infinity, BC, years past 9999) goes to the converter unchanged.
 */
final class ColumnValues {

    private enum Read { OBJECT, STRING, ARRAY, NUMERIC, TIMESTAMP, TIMESTAMPTZ, DEBEZIUM }

    private final PostgresConnection connection;
    private final Table table;
    private final Column[] columns;
    private final Read[] reads;
    private final int width;

    private ColumnValues(PostgresConnection connection, Table table, Column[] columns, Read[] reads, int width) {
        this.connection = connection;
        this.table = table;
        this.columns = columns;
        this.reads = reads;
        this.width = width;
    }

    static ColumnValues of(PostgresConnection connection, ResultSet rs, ColumnUtils.ColumnArray array, Table table) throws SQLException {
        Column[] columns = array.getColumns();
        Read[] reads = new Read[columns.length];
        ResultSetMetaData meta = rs.getMetaData();
        for (int i = 0; i < columns.length; i++) {
            reads[i] = readOf(connection, meta, i + 1);
        }
        return new ColumnValues(connection, table, columns, reads, array.getGreatestColumnPosition());
    }

    private static Read readOf(PostgresConnection connection, ResultSetMetaData meta, int index) {
        PostgresType type;
        try {
            type = connection.getTypeRegistry().get(meta.getColumnTypeName(index));
        } catch (SQLException | RuntimeException e) {
            // As getColumnValue does with a type it cannot look up.
            return Read.DEBEZIUM;
        }
        if (type == null) {
            return Read.DEBEZIUM;
        }
        if (type.isArrayType()) {
            return Read.ARRAY;
        }
        switch (type.getOid()) {
            case Oid.MONEY:
                return Read.DEBEZIUM;
            case Oid.BIT:
            case Oid.TIME:
            case Oid.TIMETZ:
            // getObject gives these as getString does, after a type lookup per value.
            case Oid.TEXT:
            case Oid.VARCHAR:
            case Oid.BPCHAR:
                return Read.STRING;
            case Oid.NUMERIC:
                return Read.NUMERIC;
            case Oid.TIMESTAMP:
                return Read.TIMESTAMP;
            case Oid.TIMESTAMPTZ:
                return Read.TIMESTAMPTZ;
            default:
                return Read.OBJECT;
        }
    }

    /** The current row, indexed by column position as Debezium's table schema expects. */
    Object[] row(ResultSet rs) throws SQLException {
        Object[] row = new Object[width];
        for (int i = 0; i < columns.length; i++) {
            row[columns[i].position() - 1] = value(rs, i);
        }
        return row;
    }

    private Object value(ResultSet rs, int i) throws SQLException {
        int index = i + 1;
        switch (reads[i]) {
            case OBJECT:
                return rs.getObject(index);
            case STRING:
                return rs.getString(index);
            case ARRAY:
                return rs.getArray(index);
            case NUMERIC: {
                String s = rs.getString(index);
                if (s == null) {
                    return null;
                }
                Optional<SpecialValueDecimal> special = PostgresValueConverter.toSpecialValue(s);
                return special.isPresent() ? special.get() : new SpecialValueDecimal(new BigDecimal(s));
            }
            case TIMESTAMP: {
                String s = rs.getString(index);
                LocalDateTime parsed = s == null ? null : localDateTime(s, s.length());
                return parsed != null ? parsed : s;
            }
            case TIMESTAMPTZ: {
                String s = rs.getString(index);
                OffsetDateTime parsed = s == null ? null : offsetDateTime(s);
                return parsed != null ? parsed : s;
            }
            default:
                return connection.getColumnValue(rs, index, columns[i], table);
        }
    }

    /**
     * {@code yyyy-MM-dd HH:mm:ss[.f{1,6}]} in the first {@code end} characters, as PostgreSQL prints a
     * timestamp in the ISO date style; null for any other text.
     */
    static LocalDateTime localDateTime(String s, int end) {
        if (end < 19 || s.charAt(4) != '-' || s.charAt(7) != '-' || s.charAt(10) != ' ' || s.charAt(13) != ':' || s.charAt(16) != ':') {
            return null;
        }
        int year = digits(s, 0, 4);
        int month = digits(s, 5, 7);
        int day = digits(s, 8, 10);
        int hour = digits(s, 11, 13);
        int minute = digits(s, 14, 16);
        int second = digits(s, 17, 19);
        int nanos = 0;
        if (end > 19) {
            if (s.charAt(19) != '.' || end == 20 || end > 26) {
                return null;
            }
            int fraction = digits(s, 20, end);
            if (fraction < 0) {
                return null;
            }
            for (int scale = end - 20; scale < 9; scale++) {
                fraction *= 10;
            }
            nanos = fraction;
        }
        if (year < 1 || month < 1 || day < 1 || hour < 0 || minute < 0 || second < 0 || hour > 23 || minute > 59 || second > 59) {
            return null;
        }
        try {
            return LocalDateTime.of(year, month, day, hour, minute, second, nanos);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /** A timestamp with {@code ±HH[:MM[:SS]]} after it, moved to UTC as the converter does; null for any other text. */
    static OffsetDateTime offsetDateTime(String s) {
        int sign = -1;
        for (int i = 19; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '+' || c == '-') {
                sign = i;
                break;
            }
        }
        if (sign < 0) {
            return null;
        }
        LocalDateTime local = localDateTime(s, sign);
        if (local == null) {
            return null;
        }
        int length = s.length() - sign - 1;
        if (length != 2 && length != 5 && length != 8) {
            return null;
        }
        int hours = digits(s, sign + 1, sign + 3);
        int minutes = length >= 5 && s.charAt(sign + 3) == ':' ? digits(s, sign + 4, sign + 6) : length >= 5 ? -1 : 0;
        int seconds = length == 8 && s.charAt(sign + 6) == ':' ? digits(s, sign + 7, sign + 9) : length == 8 ? -1 : 0;
        if (hours < 0 || minutes < 0 || seconds < 0 || hours > 18 || minutes > 59 || seconds > 59) {
            return null;
        }
        int direction = s.charAt(sign) == '-' ? -1 : 1;
        try {
            ZoneOffset offset = ZoneOffset.ofHoursMinutesSeconds(direction * hours, direction * minutes, direction * seconds);
            return OffsetDateTime.of(local, offset).withOffsetSameInstant(ZoneOffset.UTC);
        } catch (java.time.DateTimeException e) {
            return null;
        }
    }

    /** The decimal number in {@code s[from, to)}; -1 when a character is not a digit. */
    private static int digits(String s, int from, int to) {
        int value = 0;
        for (int i = from; i < to; i++) {
            char c = s.charAt(i);
            if (c < '0' || c > '9') {
                return -1;
            }
            value = value * 10 + (c - '0');
        }
        return value;
    }
}
