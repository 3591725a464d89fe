package io.pgcdc;

import java.time.Duration;
import java.time.Instant;
import java.util.Objects;
import java.util.Optional;
import java.util.OptionalLong;

/**
 * One consistent look at an engine, for a health endpoint or a readiness probe: its state, when it last
 * delivered an event and how late, the WAL its slot keeps, and what is wrong. Taken by
 * {@link CdcEngine#health()}; immutable, safe to share between threads.
 */
public final class EngineHealth {

    private final CdcEngine.State state;
    private final Instant checkedAt;
    private final Instant lastEventTime;
    private final Duration lag;
    private final long slotLagBytes;
    private final String problem;
    private final CdcException failure;
    private final long eventsDelivered;
    private final long snapshotRows;
    private final boolean snapshotRunning;
    private final long snapshotRowsEstimated;

    EngineHealth(CdcEngine.State state, Instant checkedAt, Instant lastEventTime, Duration lag, long slotLagBytes, String problem,
                 CdcException failure, long eventsDelivered, long snapshotRows, boolean snapshotRunning, long snapshotRowsEstimated) {
        this.snapshotRowsEstimated = snapshotRowsEstimated;
        this.state = Objects.requireNonNull(state, "state");
        this.checkedAt = Objects.requireNonNull(checkedAt, "checkedAt");
        this.lastEventTime = lastEventTime;
        this.lag = lag;
        this.slotLagBytes = slotLagBytes;
        this.problem = problem;
        this.failure = failure;
        this.eventsDelivered = eventsDelivered;
        this.snapshotRows = snapshotRows;
        this.snapshotRunning = snapshotRunning;
    }

    /** The engine's state when this was taken. */
    public CdcEngine.State state() {
        return state;
    }

    /** Whether the engine is {@link CdcEngine.State#RUNNING}: capturing with its stream up. */
    public boolean isHealthy() {
        return state == CdcEngine.State.RUNNING;
    }

    /** When this was taken. */
    public Instant checkedAt() {
        return checkedAt;
    }

    /** When a callback last received an event; empty before the first. */
    public Optional<Instant> lastEventTime() {
        return Optional.ofNullable(lastEventTime);
    }

    /**
     * Commit to callback of the last streamed event: how far behind PostgreSQL the listener was then.
     * Empty before the first streamed event (snapshot rows have no commit).
     */
    public Optional<Duration> lag() {
        return Optional.ofNullable(lag);
    }

    /** WAL bytes PostgreSQL keeps for the slot beyond what the engine confirmed (see {@link CdcEngine#slotLagBytes()}). */
    public OptionalLong slotLagBytes() {
        return slotLagBytes < 0 ? OptionalLong.empty() : OptionalLong.of(slotLagBytes);
    }

    /** What the last check saw wrong while {@link CdcEngine.State#RECONNECTING}; empty when all is well. */
    public Optional<String> problem() {
        return Optional.ofNullable(problem);
    }

    /** Why the engine failed; empty unless {@link CdcEngine.State#FAILED}. */
    public Optional<CdcException> failure() {
        return Optional.ofNullable(failure);
    }

    /** Events handed to the listener since the engine started (snapshot rows included). */
    public long eventsDelivered() {
        return eventsDelivered;
    }

    /** Snapshot rows handed to the listener since the engine started. */
    public long snapshotRows() {
        return snapshotRows;
    }

    /**
     * How many rows the snapshot's tables hold by PostgreSQL's estimate ({@code pg_class.reltuples} when
     * the snapshot started): with {@link #snapshotRows()}, the snapshot's progress. -1 when no snapshot ran
     * or PostgreSQL has no estimate (a table never vacuumed or analysed); the count may end above it.
     */
    public long snapshotRowsEstimated() {
        return snapshotRowsEstimated;
    }

    /** Whether snapshot rows are being delivered (from the first until the last, or the first streamed event). */
    public boolean isSnapshotRunning() {
        return snapshotRunning;
    }

    @Override
    public String toString() {
        StringBuilder sb = new StringBuilder("EngineHealth[").append(state);
        sb.append(", events ").append(eventsDelivered);
        if (lastEventTime != null) {
            sb.append(", last event ").append(lastEventTime);
        }
        if (lag != null) {
            sb.append(", lag ").append(lag.toMillis()).append(" ms");
        }
        if (slotLagBytes >= 0) {
            sb.append(", slot lag ").append(slotLagBytes).append(" bytes");
        }
        if (snapshotRunning) {
            sb.append(", snapshot rows ").append(snapshotRows);
            if (snapshotRowsEstimated >= 0) {
                sb.append(" of about ").append(snapshotRowsEstimated);
            }
        }
        if (problem != null) {
            sb.append(", problem: ").append(problem);
        }
        if (failure != null) {
            sb.append(", failure: ").append(failure.getMessage());
        }
        return sb.append(']').toString();
    }
}
