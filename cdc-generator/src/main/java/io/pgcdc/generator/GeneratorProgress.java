package io.pgcdc.generator;

import java.time.Duration;
import java.util.Optional;

/**
 * A run's progress, reported about every {@link TransactionGenerator#PROGRESS_INTERVAL} from the
 * writing thread.
 *
 * @param changes committed changes so far
 * @param target changes the run will write in all, when bounded by count (0 otherwise)
 * @param elapsed time since the run started
 * @param planned how long the run lasts, when bounded by duration ({@code null} otherwise)
 */
public record GeneratorProgress(long changes, long target, Duration elapsed, Duration planned) {

    /** Committed changes per second so far. */
    public double changesPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : changes / seconds;
    }

    /** Done share between 0 and 1, when the run is bounded. */
    public Optional<Double> fraction() {
        if (target > 0) {
            return Optional.of(Math.min(1.0, (double) changes / target));
        }
        if (planned != null) {
            return Optional.of(Math.min(1.0, (double) elapsed.toNanos() / planned.toNanos()));
        }
        return Optional.empty();
    }

    /** Time left at the current rate, when the run is bounded and has made progress. */
    public Optional<Duration> eta() {
        if (target > 0) {
            double rate = changesPerSecond();
            return rate <= 0 ? Optional.empty() : Optional.of(Duration.ofMillis((long) ((target - changes) / rate * 1000)));
        }
        if (planned != null) {
            Duration left = planned.minus(elapsed);
            return Optional.of(left.isNegative() ? Duration.ZERO : left);
        }
        return Optional.empty();
    }
}
