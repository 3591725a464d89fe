package io.pgcdc.generator;

import static org.assertj.core.api.Assertions.assertThat;

import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import org.junit.jupiter.api.Test;

class TransactionFakerTest {

    private static final String UUID_V4 = "[0-9a-f]{8}-[0-9a-f]{4}-4[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}";
    private static final String IPV4 = "((25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)\\.){3}(25[0-5]|2[0-4]\\d|1\\d\\d|[1-9]?\\d)";

    @Test
    void everyFieldFollowsTheRulesOfTheOriginalGenerator() {
        TransactionFaker faker = new TransactionFaker(7);
        Instant before = Instant.now().minusSeconds(1);
        Set<String> ids = new HashSet<>();
        for (int i = 0; i < 20_000; i++) {
            Transaction t = faker.next();
            assertThat(t.transactionId()).matches(UUID_V4);
            assertThat(ids.add(t.transactionId())).as("unique id").isTrue();
            assertThat(t.affiliateId()).matches(UUID_V4);
            assertThat(t.userId()).isNotBlank();
            assertThat(t.timestamp()).isAfter(before).isBefore(Instant.now().plusSeconds(1));
            assertThat(t.timestamp().getNano() % 1000).as("microsecond precision").isZero();
            assertThat(t.amount()).isBetween(TransactionFaker.MIN_AMOUNT, TransactionFaker.MAX_AMOUNT);
            assertThat(t.amount().scale()).isEqualTo(2);
            assertThat(t.currency()).isIn("USD", "GBP");
            assertThat(t.city()).isNotBlank();
            assertThat(t.country()).isNotBlank();
            assertThat(t.merchantName()).isNotBlank();
            assertThat(t.paymentMethod()).isIn("credit_card", "debit_card", "online_transfer");
            assertThat(t.ipAddress()).matches(IPV4);
            assertThat(t.voucherCode()).isIn("", "DISCOUNT10", "SPRING20");
        }
    }

    @Test
    void everyAllowedValueOccurs() {
        TransactionFaker faker = new TransactionFaker(11);
        Set<String> currencies = new HashSet<>();
        Set<String> methods = new HashSet<>();
        Set<String> vouchers = new HashSet<>();
        Set<String> cities = new HashSet<>();
        for (int i = 0; i < 5_000; i++) {
            Transaction t = faker.next();
            currencies.add(t.currency());
            methods.add(t.paymentMethod());
            vouchers.add(t.voucherCode());
            cities.add(t.city());
        }
        assertThat(currencies).containsExactlyInAnyOrderElementsOf(TransactionFaker.CURRENCIES);
        assertThat(methods).containsExactlyInAnyOrderElementsOf(TransactionFaker.PAYMENT_METHODS);
        assertThat(vouchers).containsExactlyInAnyOrderElementsOf(TransactionFaker.VOUCHER_CODES);
        assertThat(cities).as("realistic variety").hasSizeGreaterThan(500);
    }

    @Test
    void theSameSeedGivesTheSameSequenceAndAnotherSeedDoesNot() {
        Instant from = Instant.parse("2026-01-01T00:00:00Z");
        List<Transaction> a = take(new TransactionFaker(99, from, Duration.ofDays(1)), 1_000);
        List<Transaction> b = take(new TransactionFaker(99, from, Duration.ofDays(1)), 1_000);
        List<Transaction> c = take(new TransactionFaker(100, from, Duration.ofDays(1)), 1_000);
        assertThat(a).isEqualTo(b);
        assertThat(a.get(0)).isNotEqualTo(c.get(0));
        assertThat(a).allSatisfy(t -> assertThat(t.timestamp()).isBetween(from, from.plus(1, ChronoUnit.DAYS)));
    }

    private static List<Transaction> take(TransactionFaker faker, int n) {
        List<Transaction> list = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            list.add(faker.next());
        }
        return list;
    }
}
