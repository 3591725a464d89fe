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
         */
        void checked(String problem, long slotLagBytes);
    }

    /** Checks in a row an inactive slot is tolerated before it first streams. */
    static final int STARTUP_GRACE_CHECKS = 5;

    private final CdcConfig config;
    private final Duration interval;
    private final Observer observer;
    private final Thread thread;
    private volatile boolean stopped;
    /** Whether the slot was seen streaming since the monitor started. */
    private boolean streamedOnce;
    /** Checks in a row that found the slot inactive before it ever streamed. */
    private int inactiveBeforeStreaming;

    /** Creates the monitor; nothing runs until {@link #start()}. */
    public HealthMonitor(CdcConfig config, Duration interval, Observer observer) {
        this.config = config;
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
     * slot is briefly inactive: before the slot has ever streamed, that is only a problem once it lasts
     * {@link #STARTUP_GRACE_CHECKS} checks in a row (no false "reconnecting" right after a snapshot).
     */
    private String notActive() {
        if (!streamedOnce && ++inactiveBeforeStreaming < STARTUP_GRACE_CHECKS) {
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
                try {
                    if (probe == null) {
                        probe = StreamingProbe.open(config);
                    }
                    boolean capturing = probe.isCapturing();
                    lag = probe.lagBytes();
                    problem = capturing ? null : notActive();
                    if (probe.isSlotActive()) {
                        streamedOnce = true;
                    }
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
                observer.checked(problem, lag);
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
