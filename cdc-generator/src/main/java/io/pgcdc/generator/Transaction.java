package io.pgcdc.generator;

import java.math.BigDecimal;
import java.time.Instant;
import java.util.Objects;

/**
 * One fake financial transaction: a row of the {@code transactions} table.
 *
 * @param transactionId a random UUID, the primary key
 * @param userId a user name
 * @param timestamp when it happened, at microsecond precision (what PostgreSQL keeps)
 * @param amount 10.00 to 1000.00, scale 2
 * @param currency {@code USD} or {@code GBP}
 * @param city a city
 * @param country a country
 * @param merchantName a company name
 * @param paymentMethod {@code credit_card}, {@code debit_card} or {@code online_transfer}
 * @param ipAddress an IPv4 address
 * @param voucherCode {@code ""}, {@code DISCOUNT10} or {@code SPRING20}
 * @param affiliateId a random UUID
 */
public record Transaction(String transactionId, String userId, Instant timestamp, BigDecimal amount, String currency, String city,
                          String country, String merchantName, String paymentMethod, String ipAddress, String voucherCode,
                          String affiliateId) {

    /** Checks that every field is present. */
    public Transaction {
        Objects.requireNonNull(transactionId, "transactionId");
        Objects.requireNonNull(userId, "userId");
        Objects.requireNonNull(timestamp, "timestamp");
        Objects.requireNonNull(amount, "amount");
        Objects.requireNonNull(currency, "currency");
        Objects.requireNonNull(city, "city");
        Objects.requireNonNull(country, "country");
        Objects.requireNonNull(merchantName, "merchantName");
        Objects.requireNonNull(paymentMethod, "paymentMethod");
        Objects.requireNonNull(ipAddress, "ipAddress");
        Objects.requireNonNull(voucherCode, "voucherCode");
        Objects.requireNonNull(affiliateId, "affiliateId");
    }
}
