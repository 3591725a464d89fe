package io.pgcdc.generator.internal;

import io.pgcdc.generator.Transaction;
import java.nio.charset.StandardCharsets;
import java.time.LocalDateTime;
import java.time.ZoneOffset;

/**
 * Renders transactions as {@code COPY ... (FORMAT csv)} rows. Every text value is quoted, so commas,
 * quotes and line breaks in fake data cannot split a row; there are no NULLs to encode.
 */
public final class CopyEncoder {

    /** The column list, in the order rows are rendered. */
    public static final String COLUMNS = "transaction_id, user_id, \"timestamp\", amount, currency, city, country,"
            + " merchant_name, payment_method, ip_address, voucher_code, affiliateid";

    private final StringBuilder buffer = new StringBuilder(64 * 1024);

    /** Appends one row. */
    public CopyEncoder add(Transaction t) {
        quoted(t.transactionId()).append(',');
        quoted(t.userId()).append(',');
        // ISO-8601 local date-time in UTC: PostgreSQL reads it into "timestamp" without conversion.
        buffer.append(LocalDateTime.ofInstant(t.timestamp(), ZoneOffset.UTC)).append(',');
        buffer.append(t.amount().toPlainString()).append(',');
        quoted(t.currency()).append(',');
        quoted(t.city()).append(',');
        quoted(t.country()).append(',');
        quoted(t.merchantName()).append(',');
        quoted(t.paymentMethod()).append(',');
        quoted(t.ipAddress()).append(',');
        quoted(t.voucherCode()).append(',');
        quoted(t.affiliateId()).append('\n');
        return this;
    }

    private StringBuilder quoted(String value) {
        buffer.append('"');
        for (int i = 0; i < value.length(); i++) {
            char c = value.charAt(i);
            if (c == '"') {
                buffer.append('"');
            }
            buffer.append(c);
        }
        return buffer.append('"');
    }

    /** The rows so far as UTF-8, and clears the buffer. */
    public byte[] drain() {
        byte[] bytes = buffer.toString().getBytes(StandardCharsets.UTF_8);
        buffer.setLength(0);
        return bytes;
    }
}
