package io.pgcdc;

import java.util.ArrayDeque;
import java.util.concurrent.ThreadFactory;

/**
 * Listener threads for {@link CdcConfig#lanes()} above 1: each lane runs its tasks one at a time, in the
 * order they were submitted, so that events given to one lane (all changes of one row) keep their order.
 * The delivery thread submits and waits ({@link #await()}) at every point where order across lanes
 * matters (the end of each of Debezium's batches, before anything that must follow every earlier event).
 */
final class Lanes {

    private final Lane[] lanes;
    private final Object lock = new Object();
    /** Tasks submitted and not yet finished (or dropped), over all lanes; guarded by {@link #lock}. */
    private long inFlight;
    private boolean started;
    private volatile boolean closed;

    Lanes(int count, String engine, ThreadFactory threadFactory) {
        lanes = new Lane[count];
        for (int i = 0; i < count; i++) {
            lanes[i] = new Lane();
            Thread t = threadFactory.newThread(lanes[i]);
            t.setName("pgcdc-" + engine + "-lane-" + (i + 1));
            t.setDaemon(true);
            lanes[i].thread = t;
        }
    }

    int count() {
        return lanes.length;
    }

    /** The lane of a key: the same for equal keys. */
    int laneOf(Object key) {
        return Math.floorMod(key == null ? 0 : key.hashCode() * 0x9E3779B1, lanes.length);
    }

    /** Queues a task on a lane; returns at once. The lane threads start with the first task. */
    void submit(int lane, Runnable task) {
        synchronized (lock) {
            if (closed) {
                throw new IllegalStateException("lanes are closed");
            }
            inFlight++;
            if (!started) {
                started = true;
                for (Lane l : lanes) {
                    l.thread.start();
                }
            }
        }
        lanes[lane].add(task);
    }

    /** Waits until every task submitted so far has finished. */
    void await() throws InterruptedException {
        synchronized (lock) {
            while (inFlight > 0) {
                lock.wait();
            }
        }
    }

    private void finished(int tasks) {
        synchronized (lock) {
            inFlight -= tasks;
            if (inFlight <= 0) {
                lock.notifyAll();
            }
        }
    }

    /** Drops the tasks not started, lets the running ones finish (never interrupted), and ends the lane threads. */
    void close() {
        closed = true;
        for (Lane lane : lanes) {
            finished(lane.clear());
        }
    }

    /** One lane: a thread taking tasks from its own queue. */
    private final class Lane implements Runnable {
        private final ArrayDeque<Runnable> queue = new ArrayDeque<>();
        private Thread thread;

        synchronized void add(Runnable task) {
            queue.addLast(task);
            notifyAll();
        }

        synchronized int clear() {
            int dropped = queue.size();
            queue.clear();
            notifyAll();
            return dropped;
        }

        private synchronized Runnable take() throws InterruptedException {
            while (queue.isEmpty()) {
                if (closed) {
                    return null;
                }
                wait();
            }
            return queue.pollFirst();
        }

        @Override
        public void run() {
            try {
                Runnable task;
                while ((task = take()) != null) {
                    try {
                        task.run();
                    } finally {
                        finished(1);
                    }
                }
            } catch (InterruptedException e) {
                // closed
            }
        }
    }
}
