package io.pgcdc.generator;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;

/**
 * What to write: the mix of inserts, updates and deletes, how much, how fast, how many rows per
 * database transaction, and the seed. Immutable; built with {@link #builder()}.
 *
 * <p>Without a {@link Builder#count count} or a {@link Builder#duration duration} a run goes on until
 * {@link TransactionGenerator#stop()} or an interrupt.
 */
public final class Workload {

    /** Share of inserts when none is set, in percent. */
    public static final int DEFAULT_INSERT_PERCENT = 70;
    /** Share of updates when none is set, in percent. */
    public static final int DEFAULT_UPDATE_PERCENT = 20;
    /** Share of deletes when none is set, in percent. */
    public static final int DEFAULT_DELETE_PERCENT = 10;
    /** Rows per database transaction when none is set. */
    public static final int DEFAULT_ROWS_PER_TRANSACTION = 100;
    /** Seed when none is set. */
    public static final long DEFAULT_SEED = 42L;

    /** How inserts reach PostgreSQL. */
    public enum InsertMethod {
        /** {@code COPY ... FROM STDIN}: the fastest. */
        COPY,
        /** Batched prepared {@code INSERT}s, rewritten by pgjdbc into multi-row statements. */
        BATCH
    }

    private final int insertPercent;
    private final int updatePercent;
    private final int deletePercent;
    private final long count;
    private final Duration duration;
    private final double rate;
    private final int rowsPerTransaction;
    private final long seed;
    private final Instant timestampsFrom;
    private final Duration timestampsWindow;
    private final InsertMethod insertMethod;
    private final boolean trackIds;

    private Workload(Builder b) {
        this.insertPercent = b.insertPercent;
        this.updatePercent = b.updatePercent;
        this.deletePercent = b.deletePercent;
        this.count = b.count;
        this.duration = b.duration;
        this.rate = b.rate;
        this.rowsPerTransaction = b.rowsPerTransaction;
        this.seed = b.seed;
        this.timestampsFrom = b.timestampsFrom;
        this.timestampsWindow = b.timestampsWindow;
        this.insertMethod = b.insertMethod;
        this.trackIds = b.trackIds;
    }

    /** A builder with the defaults: 70/20/10 mix, 100 rows per transaction, full speed, seed 42, unbounded. */
    public static Builder builder() {
        return new Builder();
    }

    /** Share of inserts, in percent. */
    public int insertPercent() {
        return insertPercent;
    }

    /** Share of updates, in percent. */
    public int updatePercent() {
        return updatePercent;
    }

    /** Share of deletes, in percent. */
    public int deletePercent() {
        return deletePercent;
    }

    /** How many changes (rows) to write; empty when unbounded by count. */
    public Optional<Long> count() {
        return count > 0 ? Optional.of(count) : Optional.empty();
    }

    /** How long to write; empty when unbounded by time. */
    public Optional<Duration> duration() {
        return Optional.ofNullable(duration);
    }

    /** Target changes (rows) per second; 0 means as fast as possible. */
    public double rate() {
        return rate;
    }

    /** Rows per database transaction. */
    public int rowsPerTransaction() {
        return rowsPerTransaction;
    }

    /** Seed of every random choice: the same seed writes the same rows. */
    public long seed() {
        return seed;
    }

    /** Start of the timestamp window; empty means timestamps are the current time. */
    public Optional<Instant> timestampsFrom() {
        return Optional.ofNullable(timestampsFrom);
    }

    /** Width of the timestamp window. */
    public Duration timestampsWindow() {
        return timestampsWindow;
    }

    /** How inserts are written. */
    public InsertMethod insertMethod() {
        return insertMethod;
    }

    /** Whether the report keeps every id written (off for very long runs). */
    public boolean trackIds() {
        return trackIds;
    }

    /** A new faker for this workload's seed and timestamps. */
    public TransactionFaker newFaker() {
        return new TransactionFaker(seed, timestampsFrom, timestampsWindow);
    }

    @Override
    public String toString() {
        return "Workload[" + insertPercent + "/" + updatePercent + "/" + deletePercent + " insert/update/delete, "
                + (count > 0 ? count + " changes" : duration != null ? "for " + duration : "until stopped")
                + ", " + (rate > 0 ? rate + "/s" : "full speed") + ", " + rowsPerTransaction + " rows per transaction, seed "
                + seed + ", inserts by " + insertMethod + "]";
    }

    /** Builds a {@link Workload}; not thread-safe. */
    public static final class Builder {
        private int insertPercent = DEFAULT_INSERT_PERCENT;
        private int updatePercent = DEFAULT_UPDATE_PERCENT;
        private int deletePercent = DEFAULT_DELETE_PERCENT;
        private long count;
        private Duration duration;
        private double rate;
        private int rowsPerTransaction = DEFAULT_ROWS_PER_TRANSACTION;
        private long seed = DEFAULT_SEED;
        private Instant timestampsFrom;
        private Duration timestampsWindow = Duration.ZERO;
        private InsertMethod insertMethod = InsertMethod.COPY;
        private boolean trackIds = true;

        private Builder() {
        }

        /** The mix in percent; the three must add up to 100. */
        public Builder mix(int insertPercent, int updatePercent, int deletePercent) {
            this.insertPercent = insertPercent;
            this.updatePercent = updatePercent;
            this.deletePercent = deletePercent;
            return this;
        }

        /** Write this many changes (rows), then stop. */
        public Builder count(long count) {
            if (count <= 0) {
                throw new IllegalArgumentException("count must be positive, not " + count);
            }
            this.count = count;
            return this;
        }

        /** Write for this long, then stop. */
        public Builder duration(Duration duration) {
            Objects.requireNonNull(duration, "duration");
            if (duration.isNegative() || duration.isZero()) {
                throw new IllegalArgumentException("duration must be positive, not " + duration);
            }
            this.duration = duration;
            return this;
        }

        /** Target changes (rows) per second; 0 for full speed. */
        public Builder rate(double rate) {
            if (!(rate >= 0) || Double.isInfinite(rate)) {
                throw new IllegalArgumentException("rate must be 0 (full speed) or a positive number of changes per second, not " + rate);
            }
            this.rate = rate;
            return this;
        }

        /** Rows per database transaction. */
        public Builder rowsPerTransaction(int rows) {
            if (rows < 1 || rows > 1_000_000) {
                throw new IllegalArgumentException("rowsPerTransaction must be between 1 and 1000000, not " + rows);
            }
            this.rowsPerTransaction = rows;
            return this;
        }

        /** Seed of every random choice. */
        public Builder seed(long seed) {
            this.seed = seed;
            return this;
        }

        /** Spread timestamps over {@code [from, from + window)} instead of using the current time: reproducible. */
        public Builder timestamps(Instant from, Duration window) {
            this.timestampsFrom = Objects.requireNonNull(from, "from");
            this.timestampsWindow = Objects.requireNonNull(window, "window");
            if (window.isNegative()) {
                throw new IllegalArgumentException("window must not be negative, not " + window);
            }
            return this;
        }

        /** How inserts are written. */
        public Builder insertMethod(InsertMethod insertMethod) {
            this.insertMethod = Objects.requireNonNull(insertMethod, "insertMethod");
            return this;
        }

        /** Whether the report keeps every id written; on by default. */
        public Builder trackIds(boolean trackIds) {
            this.trackIds = trackIds;
            return this;
        }

        /** Validates and builds. */
        public Workload build() {
            if (insertPercent < 0 || updatePercent < 0 || deletePercent < 0 || insertPercent + updatePercent + deletePercent != 100) {
                throw new IllegalArgumentException("mix must be three non-negative percentages adding up to 100, not "
                        + insertPercent + "/" + updatePercent + "/" + deletePercent);
            }
            if (insertPercent == 0) {
                throw new IllegalArgumentException("mix needs some inserts: updates and deletes only touch rows this run inserted");
            }
            if (count > 0 && duration != null) {
                throw new IllegalArgumentException("set count or duration, not both");
            }
            return new Workload(this);
        }
    }
}
