package io.pgcdc;

/**
 * A PostgreSQL log sequence number: a position in the write-ahead log, printed as PostgreSQL prints it
 * ({@code 16/B374D848}) and ordered as unsigned 64-bit numbers.
 */
public final class Lsn implements Comparable<Lsn> {

    private final long value;

    private Lsn(long value) {
        this.value = value;
    }

    /** The LSN with this 64-bit value. */
    public static Lsn of(long value) {
        return new Lsn(value);
    }

    /**
     * Parses PostgreSQL's text form, {@code XXXXXXXX/XXXXXXXX} in hexadecimal.
     *
     * @throws IllegalArgumentException when the text is not an LSN
     */
    public static Lsn parse(String text) {
        int slash = text.indexOf('/');
        if (slash <= 0 || slash == text.length() - 1) {
            throw new IllegalArgumentException("not an LSN: '" + text + "' (expected hex/hex, such as 16/B374D848)");
        }
        try {
            long high = Long.parseLong(text.substring(0, slash), 16);
            long low = Long.parseLong(text.substring(slash + 1), 16);
            if (high > 0xFFFFFFFFL || low > 0xFFFFFFFFL || high < 0 || low < 0) {
                throw new IllegalArgumentException("not an LSN: '" + text + "' (each half is at most FFFFFFFF)");
            }
            return new Lsn(high << 32 | low);
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("not an LSN: '" + text + "' (expected hex/hex, such as 16/B374D848)", e);
        }
    }

    /** The 64-bit value, as {@code pg_lsn - '0/0'} gives it. */
    public long asLong() {
        return value;
    }

    @Override
    public int compareTo(Lsn other) {
        return Long.compareUnsigned(value, other.value);
    }

    @Override
    public boolean equals(Object o) {
        return o instanceof Lsn && ((Lsn) o).value == value;
    }

    @Override
    public int hashCode() {
        return Long.hashCode(value);
    }

    /** PostgreSQL's text form, such as {@code 16/B374D848}. */
    @Override
    public String toString() {
        return Long.toHexString(value >>> 32).toUpperCase(java.util.Locale.ROOT) + "/"
                + Long.toHexString(value & 0xFFFFFFFFL).toUpperCase(java.util.Locale.ROOT);
    }
}
