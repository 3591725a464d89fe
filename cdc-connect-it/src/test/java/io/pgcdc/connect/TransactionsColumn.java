package io.pgcdc.connect;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgcdc.Row;
import java.math.BigDecimal;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.time.temporal.ChronoUnit;
import java.util.List;
import java.util.Objects;

/**
 * Every column of {@code public.transactions} ({@code sql/010_transactions.sql}, plus the audit columns of
 * {@code sql/020_audit.sql}), in table order, with how Debezium's PostgreSQL connector writes it in Kafka
 * Connect's JSON (the registration's settings: {@code decimal.handling.mode=string}, the default
 * {@code time.precision.mode=adaptive}, {@code column.propagate.source.type=.*}) and which getter of the
 * embedded engine's {@link Row} reads the same value.
 */
enum TransactionsColumn {
    TRANSACTION_ID("transaction_id", Encoding.TEXT, "VARCHAR"),
    USER_ID("user_id", Encoding.TEXT, "VARCHAR"),
    TIMESTAMP("timestamp", Encoding.MICRO_TIMESTAMP, "TIMESTAMP"),
    AMOUNT("amount", Encoding.NUMERIC_STRING, "NUMERIC"),
    CURRENCY("currency", Encoding.TEXT, "VARCHAR"),
    CITY("city", Encoding.TEXT, "VARCHAR"),
    COUNTRY("country", Encoding.TEXT, "VARCHAR"),
    MERCHANT_NAME("merchant_name", Encoding.TEXT, "VARCHAR"),
    PAYMENT_METHOD("payment_method", Encoding.TEXT, "VARCHAR"),
    IP_ADDRESS("ip_address", Encoding.TEXT, "VARCHAR"),
    VOUCHER_CODE("voucher_code", Encoding.TEXT, "VARCHAR"),
    AFFILIATEID("affiliateid", Encoding.TEXT, "VARCHAR"),
    MODIFIED_BY("modified_by", Encoding.TEXT, "TEXT"),
    MODIFIED_AT("modified_at", Encoding.MICRO_TIMESTAMP, "TIMESTAMP"),
    CHANGE_INFO("change_info", Encoding.JSON_TEXT, "JSONB");

    /** Debezium's encodings of the column types this table has. */
    enum Encoding {
        /** varchar, text: a JSON string; {@link Row#getString}. */
        TEXT("string", null),
        /**
         * numeric in {@code decimal.handling.mode=string}: a JSON string with PostgreSQL's digits and scale;
         * {@link Row#getDecimal}, compared as text ({@code 12.50} is not {@code 12.5}).
         */
        NUMERIC_STRING("string", null),
        /**
         * timestamp (precision 6): {@code io.debezium.time.MicroTimestamp}, a JSON integer of microseconds since
         * the epoch of the wall-clock value read as UTC; {@link Row#getTimestamp}.
         */
        MICRO_TIMESTAMP("int64", "io.debezium.time.MicroTimestamp"),
        /** jsonb: {@code io.debezium.data.Json}, a JSON string holding PostgreSQL's text of the value; {@link Row#getString}. */
        JSON_TEXT("string", "io.debezium.data.Json");

        /** Kafka Connect's schema type of the field. */
        final String connectType;
        /** The field schema's logical name, or null. */
        final String logicalName;

        Encoding(String connectType, String logicalName) {
            this.connectType = connectType;
            this.logicalName = logicalName;
        }
    }

    /** The column names in table order. */
    static final List<String> NAMES = java.util.Arrays.stream(values()).map(c -> c.column).toList();

    final String column;
    final Encoding encoding;
    /** What {@code column.propagate.source.type} puts in the field schema's {@code __debezium.source.column.type}. */
    final String sourceType;

    TransactionsColumn(String column, Encoding encoding, String sourceType) {
        this.column = column;
        this.encoding = encoding;
        this.sourceType = sourceType;
    }

    /**
     * Why the value Connect wrote for this column differs from the embedded row's, or null when they are equal.
     *
     * @param connect the field's value in the Connect JSON payload (a {@code NullNode} for SQL NULL)
     */
    String mismatch(JsonNode connect, Row embedded) {
        Objects.requireNonNull(connect, column);
        if (embedded.isNull(column)) {
            return connect.isNull() ? null : column + ": Connect " + connect + ", embedded NULL";
        }
        switch (encoding) {
            case TEXT:
            case JSON_TEXT:
                String text = embedded.getString(column);
                return connect.isTextual() && connect.textValue().equals(text) ? null
                        : column + ": Connect " + connect + ", embedded \"" + text + "\"";
            case NUMERIC_STRING:
                BigDecimal amount = embedded.getDecimal(column);
                return connect.isTextual() && connect.textValue().equals(amount.toPlainString())
                        && new BigDecimal(connect.textValue()).equals(amount) ? null
                        : column + ": Connect " + connect + ", embedded " + amount.toPlainString();
            case MICRO_TIMESTAMP:
                LocalDateTime wallClock = embedded.getTimestamp(column);
                long micros = ChronoUnit.MICROS.between(LocalDateTime.ofEpochSecond(0, 0, ZoneOffset.UTC), wallClock);
                return connect.isIntegralNumber() && connect.canConvertToLong() && connect.longValue() == micros ? null
                        : column + ": Connect " + connect + ", embedded " + wallClock + " (" + micros + " µs)";
            default:
                throw new IllegalStateException("no comparison for " + encoding);
        }
    }

    /** Why a field schema of Connect's JSON does not match this column's expected encoding, or null when it does. */
    String schemaMismatch(JsonNode field) {
        String type = field.path("type").asText(null);
        String name = field.path("name").asText(null);
        String source = field.path("parameters").path("__debezium.source.column.type").asText(null);
        if (encoding.connectType.equals(type) && Objects.equals(encoding.logicalName, name) && sourceType.equals(source)) {
            return null;
        }
        return column + ": schema type=" + type + " name=" + name + " source type=" + source + ", expected type="
                + encoding.connectType + " name=" + encoding.logicalName + " source type=" + sourceType;
    }
}
