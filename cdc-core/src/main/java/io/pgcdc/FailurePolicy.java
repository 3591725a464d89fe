package io.pgcdc;

import java.time.Duration;
import java.util.Objects;
import java.util.Optional;

/**
 * What the engine does when a {@link ChangeListener} callback throws: stop (the default), retry with
 * exponential backoff and then stop, or retry and then hand the event to a {@link DeadLetterHandler}
 * and go on. In every case an offset never passes an event that was neither handled nor dead-lettered.
 *
 * <pre>{@code
 * FailurePolicy.stop()
 * FailurePolicy.retry(5, Duration.ofMillis(100), Duration.ofSeconds(5))
 * FailurePolicy.retry(5, Duration.ofMillis(100), Duration.ofSeconds(5)).thenDeadLetter((event, error) -> dlq.save(event, error))
 * }</pre>
 *
 * <p>An {@link Error} is never retried. Retries run on the delivery thread, so later events wait;
 * {@link CdcEngine#close()} interrupts a backoff and leaves the event unacknowledged.
 */
public final class FailurePolicy {

    private static final FailurePolicy STOP = new FailurePolicy(0, Duration.ZERO, Duration.ZERO, null);

    private final int maxRetries;
    private final Duration initialBackoff;
    private final Duration maxBackoff;
    private final DeadLetterHandler deadLetter;

    private FailurePolicy(int maxRetries, Duration initialBackoff, Duration maxBackoff, DeadLetterHandler deadLetter) {
        this.maxRetries = maxRetries;
        this.initialBackoff = initialBackoff;
        this.maxBackoff = maxBackoff;
        this.deadLetter = deadLetter;
    }

    /** Stop the engine on the first failure; the event is delivered again on the next start. */
    public static FailurePolicy stop() {
        return STOP;
    }

    /**
     * Call the listener again up to {@code maxRetries} times, waiting {@code initialBackoff}, then twice
     * as long each time up to {@code maxBackoff}; then stop.
     */
    public static FailurePolicy retry(int maxRetries, Duration initialBackoff, Duration maxBackoff) {
        if (maxRetries < 1) {
            throw new IllegalArgumentException("maxRetries must be at least 1, not " + maxRetries);
        }
        Objects.requireNonNull(initialBackoff, "initialBackoff");
        Objects.requireNonNull(maxBackoff, "maxBackoff");
        if (initialBackoff.isNegative() || maxBackoff.compareTo(initialBackoff) < 0) {
            throw new IllegalArgumentException("backoff must satisfy 0 <= initialBackoff <= maxBackoff, not "
                    + initialBackoff + " and " + maxBackoff);
        }
        return new FailurePolicy(maxRetries, initialBackoff, maxBackoff, null);
    }

    /**
     * After the retries, hand the event and its last failure to {@code handler} and continue with the
     * next event; the event counts as handled. If the handler throws, the engine stops.
     */
    public FailurePolicy thenDeadLetter(DeadLetterHandler handler) {
        return new FailurePolicy(maxRetries, initialBackoff, maxBackoff, Objects.requireNonNull(handler, "handler"));
    }

    /** How many times a failed callback is called again. */
    public int maxRetries() {
        return maxRetries;
    }

    /** The wait before retry number {@code attempt} (1-based): exponential, capped. */
    public Duration backoff(int attempt) {
        Duration d = initialBackoff;
        for (int i = 1; i < attempt && d.compareTo(maxBackoff) < 0; i++) {
            d = d.multipliedBy(2);
        }
        return d.compareTo(maxBackoff) > 0 ? maxBackoff : d;
    }

    /** The dead-letter handler, when the policy continues after failures. */
    public Optional<DeadLetterHandler> deadLetter() {
        return Optional.ofNullable(deadLetter);
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof FailurePolicy)) {
            return false;
        }
        FailurePolicy p = (FailurePolicy) o;
        return maxRetries == p.maxRetries && initialBackoff.equals(p.initialBackoff) && maxBackoff.equals(p.maxBackoff)
                && deadLetter == p.deadLetter;
    }

    @Override
    public int hashCode() {
        return Objects.hash(maxRetries, initialBackoff, maxBackoff, System.identityHashCode(deadLetter));
    }

    @Override
    public String toString() {
        if (maxRetries == 0 && deadLetter == null) {
            return "stop";
        }
        return "retry " + maxRetries + "x (" + initialBackoff + ".." + maxBackoff + ")" + (deadLetter == null ? " then stop" : " then dead-letter");
    }

    /** Receives events the listener failed on, after the retries; from the delivery thread. */
    @FunctionalInterface
    public interface DeadLetterHandler {
        /**
         * Keeps the event somewhere for later (a table, a file, a queue).
         *
         * @throws Exception to stop the engine instead; the event is then delivered again on the next start
         */
        void accept(ChangeEvent event, Exception failure) throws Exception;

        /**
         * Keeps a logical message the listener failed on. By default rethrows {@code failure}: the
         * engine stops and the message comes again on the next start.
         *
         * @throws Exception to stop the engine instead
         */
        default void acceptMessage(LogicalMessage message, Exception failure) throws Exception {
            throw failure;
        }
    }
}
