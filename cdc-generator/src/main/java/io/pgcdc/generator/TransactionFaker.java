package io.pgcdc.generator;

import java.math.BigDecimal;
import java.time.Duration;
import java.time.Instant;
import java.time.temporal.ChronoUnit;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.SplittableRandom;
import java.util.function.Supplier;
import net.datafaker.Faker;

/**
 * Makes fake financial transactions with the fields and value rules of the original generator. The
 * same seed gives the same sequence (timestamps included when they are spread over a fixed window).
 *
 * <p>Names, cities, countries and merchants come from datafaker, drawn once into pools when the faker
 * is built; each transaction then picks from the pools, so making one costs well under a microsecond
 * and generation never limits the writer. Not thread-safe: one faker per thread.
 */
public final class TransactionFaker {

    /** Currencies a transaction may have. */
    public static final List<String> CURRENCIES = List.of("USD", "GBP");
    /** Payment methods a transaction may have. */
    public static final List<String> PAYMENT_METHODS = List.of("credit_card", "debit_card", "online_transfer");
    /** Voucher codes a transaction may have; the empty string means none. */
    public static final List<String> VOUCHER_CODES = List.of("", "DISCOUNT10", "SPRING20");
    /** Smallest amount. */
    public static final BigDecimal MIN_AMOUNT = new BigDecimal("10.00");
    /** Largest amount. */
    public static final BigDecimal MAX_AMOUNT = new BigDecimal("1000.00");

    private static final int USERS = 5_000;
    private static final int CITIES = 1_000;
    private static final int COUNTRIES = 200;
    private static final int MERCHANTS = 2_000;
    private static final long MIN_CENTS = 1_000;
    private static final long MAX_CENTS = 100_000;

    private final SplittableRandom random;
    private final String[] users;
    private final String[] cities;
    private final String[] countries;
    private final String[] merchants;
    private final Instant from;
    private final long windowMicros;

    /** A faker whose timestamps are the current UTC time. */
    public TransactionFaker(long seed) {
        this(seed, null, Duration.ZERO);
    }

    /**
     * A faker whose timestamps are spread uniformly over {@code [from, from + window)}: with a fixed
     * {@code from}, the whole sequence is reproducible.
     */
    public TransactionFaker(long seed, Instant from, Duration window) {
        if (window.isNegative()) {
            throw new IllegalArgumentException("window must not be negative, not " + window);
        }
        this.random = new SplittableRandom(seed);
        this.from = from == null ? null : from.truncatedTo(ChronoUnit.MICROS);
        this.windowMicros = window.toNanos() / 1_000;
        Faker faker = new Faker(Locale.ENGLISH, new Random(seed));
        this.users = pool(USERS, () -> faker.internet().username());
        this.cities = pool(CITIES, () -> faker.address().city());
        this.countries = pool(COUNTRIES, () -> faker.address().country());
        this.merchants = pool(MERCHANTS, () -> faker.company().name());
    }

    private static String[] pool(int size, Supplier<String> supplier) {
        List<String> values = new ArrayList<>(size);
        for (int i = 0; i < size; i++) {
            values.add(supplier.get());
        }
        return values.toArray(String[]::new);
    }

    /** The next transaction. */
    public Transaction next() {
        return new Transaction(
                uuid(),
                pick(users),
                timestamp(),
                nextAmount(),
                CURRENCIES.get(random.nextInt(CURRENCIES.size())),
                pick(cities),
                pick(countries),
                pick(merchants),
                PAYMENT_METHODS.get(random.nextInt(PAYMENT_METHODS.size())),
                ipv4(),
                VOUCHER_CODES.get(random.nextInt(VOUCHER_CODES.size())),
                uuid());
    }

    /** An amount between {@link #MIN_AMOUNT} and {@link #MAX_AMOUNT}, with two decimals. */
    public BigDecimal nextAmount() {
        return BigDecimal.valueOf(random.nextLong(MIN_CENTS, MAX_CENTS + 1), 2);
    }

    private String pick(String[] pool) {
        return pool[random.nextInt(pool.length)];
    }

    private Instant timestamp() {
        if (from == null) {
            return Instant.now().truncatedTo(ChronoUnit.MICROS);
        }
        long offset = windowMicros == 0 ? 0 : random.nextLong(windowMicros);
        return from.plus(offset, ChronoUnit.MICROS);
    }

    /** A version-4 UUID from this faker's random sequence. */
    private String uuid() {
        long high = (random.nextLong() & ~0xF000L) | 0x4000L;
        long low = (random.nextLong() & 0x3FFFFFFFFFFFFFFFL) | 0x8000000000000000L;
        return new java.util.UUID(high, low).toString();
    }

    private String ipv4() {
        return new StringBuilder(15)
                .append(1 + random.nextInt(254)).append('.')
                .append(random.nextInt(256)).append('.')
                .append(random.nextInt(256)).append('.')
                .append(1 + random.nextInt(254)).toString();
    }

    @Override
    public String toString() {
        return "TransactionFaker[" + (from == null ? "timestamps now" : "timestamps from " + from + " over "
                + Duration.ofNanos(windowMicros * 1_000)) + "]";
    }
}
