package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcException;
import java.sql.SQLException;
import java.time.Duration;

/**
 * Watches a running engine's replication slot on a thread of its own: whether the stream is up, and
 * how much WAL the slot keeps. Reports each check to an {@link Observer}.
 */
public final class HealthMonitor {

    /** Hears each check, on the monitor thread. */
    public interface Observer {
        /**
         * One check.
         *
         * @param problem what is wrong, or {@code null} when the stream is up
         * @param slotLagBytes WAL kept for the slot beyond what was confirmed; -1 when unknown
         * @param slotActive whether the slot itself was seen streaming (not only a snapshot running)
         */
        void checked(String problem, long slotLagBytes, boolean slotActive);
    }

    /** Checks an inactive slot is tolerated for after a check that saw a snapshot running, or after the start. */
    static final int GRACE_CHECKS = 2;

    private final CdcConfig config;
    private final Duration interval;
    private final Observer observer;
    private final java.util.function.BooleanSupplier snapshotRunning;
    private final Thread thread;
    private volatile boolean stopped;
    /** Checks that may still find the slot inactive without a problem: right after a snapshot (or the start). */
    private int graceLeft = GRACE_CHECKS;

    /**
     * Creates the monitor; nothing runs until {@link #start()}.
     *
     * @param snapshotRunning whether the engine reads its own snapshot now: the slot is not streamed meanwhile
     */
    public HealthMonitor(CdcConfig config, Duration interval, Observer observer, java.util.function.BooleanSupplier snapshotRunning) {
        this.config = config;
        this.snapshotRunning = snapshotRunning;
        this.interval = interval;
        this.observer = observer;
        this.thread = new Thread(this::run, "pgcdc-" + config.name() + "-health");
        this.thread.setDaemon(true);
    }

    /** Starts checking. */
    public void start() {
        thread.start();
    }

    /** Stops checking; returns at once. */
    public void stop() {
        stopped = true;
        thread.interrupt();
    }

    /**
     * The problem an inactive slot means. Between the end of a snapshot and the start of streaming the
     * slot is briefly inactive: right after a check that saw the snapshot running (or right after the
     * start, which may follow a snapshot that just ended), that is a problem only once it lasts more than
     * {@link #GRACE_CHECKS} checks (no false "reconnecting" after a snapshot).
     */
    private String notActive() {
        if (graceLeft > 0) {
            graceLeft--;
            return null;
        }
        return "replication slot '" + config.slotName() + "' is not active: the stream is down";
    }

    private void run() {
        StreamingProbe probe = null;
        try {
            while (!stopped) {
                String problem;
                long lag;
                boolean slotActive = false;
                try {
                    if (probe == null) {
                        probe = StreamingProbe.open(config);
                    }
                    boolean capturing = probe.isCapturing() || snapshotRunning.getAsBoolean();
                    lag = probe.lagBytes();
                    slotActive = probe.isSlotActive();
                    if (slotActive) {
                        graceLeft = 0;
                    } else if (capturing) {
                        graceLeft = GRACE_CHECKS;
                    }
                    problem = capturing ? null : notActive();
                } catch (SQLException | CdcException e) {
                    if (probe != null) {
                        probe.close();
                        probe = null;
                    }
                    lag = -1;
                    problem = "cannot check PostgreSQL: " + e.getMessage();
                }
                if (stopped) {
                    return;
                }
                observer.checked(problem, lag, slotActive);
                Thread.sleep(interval.toMillis());
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            if (probe != null) {
                probe.close();
            }
        }
    }
}
