package io.pgcdc;

import java.time.Instant;
import java.util.Arrays;

/**
 * What an engine counts about its own work, always (a few field writes per event), and the telemetry
 * that metrics bound to it add ({@link CdcMetrics}). Written on the delivery thread and, for
 * reconnects, the health thread; read from any thread.
 */
final class EngineStats {

    private volatile Telemetry[] telemetry = new Telemetry[0];
    private volatile long events;
    private volatile long snapshotRows;
    private volatile boolean snapshotRunning;
    private volatile long snapshotEstimate = -1;
    private volatile long reconnects;
    private volatile long retries;
    private volatile long deadLetters;
    private volatile Instant lastEventTime;
    private volatile long lastLagMillis = -1;

    /** Adds a sink for per-event telemetry; from any thread. */
    synchronized void add(Telemetry t) {
        Telemetry[] next = Arrays.copyOf(telemetry, telemetry.length + 1);
        next[next.length - 1] = t;
        telemetry = next;
    }

    /** A callback is about to receive {@code event}, which PostgreSQL committed at {@code commitTime} (null for snapshot rows). */
    void delivering(CdcEvent event, Instant commitTime, Instant now) {
        events++;
        lastEventTime = now;
        if (event instanceof ChangeEvent && ((ChangeEvent) event).isSnapshot()) {
            snapshotRows++;
            snapshotRunning = true;
        } else if (commitTime != null) {
            snapshotRunning = false;
            lastLagMillis = Math.max(0, now.toEpochMilli() - commitTime.toEpochMilli());
        }
        for (Telemetry t : telemetry) {
            t.delivering(event, commitTime, now);
        }
    }

    /** The engine's own snapshot starts; PostgreSQL estimates the tables hold {@code estimatedRows} (-1: unknown). */
    void snapshotStarted(long estimatedRows) {
        snapshotEstimate = estimatedRows;
        snapshotRunning = true;
    }

    /** Rows the tables of the snapshot held by PostgreSQL's estimate; -1 when unknown or no snapshot ran. */
    long snapshotEstimate() {
        return snapshotEstimate;
    }

    /** The snapshot's last row was delivered. */
    void snapshotDone() {
        snapshotRunning = false;
    }

    /** A listener callback returned after {@code nanos}. */
    void called(String callback, long nanos) {
        for (Telemetry t : telemetry) {
            t.called(callback, nanos);
        }
    }

    synchronized void retried() {
        retries++;
    }

    synchronized void deadLettered() {
        deadLetters++;
    }

    void reconnecting() {
        reconnects++;
    }

    long events() {
        return events;
    }

    long snapshotRows() {
        return snapshotRows;
    }

    boolean snapshotRunning() {
        return snapshotRunning;
    }

    long reconnects() {
        return reconnects;
    }

    long retries() {
        return retries;
    }

    long deadLetters() {
        return deadLetters;
    }

    Instant lastEventTime() {
        return lastEventTime;
    }

    long lastLagMillis() {
        return lastLagMillis;
    }

    /** Per-event telemetry: what metrics record beyond the counters above. Called on the delivery thread. */
    interface Telemetry {
        /** A callback is about to receive {@code event}; {@code commitTime} is null for snapshot rows. */
        void delivering(CdcEvent event, Instant commitTime, Instant now);

        /** A callback ({@code change}, {@code message}, {@code batch}, {@code begin}, {@code commit}) returned after {@code nanos}. */
        void called(String callback, long nanos);
    }
}
