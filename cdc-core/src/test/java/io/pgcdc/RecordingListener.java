package io.pgcdc;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.function.Predicate;

/** Keeps every event it receives; optionally throws on the first event matching a predicate. */
final class RecordingListener implements ChangeListener {

    private final List<ChangeEvent> events = new CopyOnWriteArrayList<>();
    private volatile Predicate<ChangeEvent> failOn = e -> false;
    private final List<String> threads = new CopyOnWriteArrayList<>();

    RecordingListener failOn(Predicate<ChangeEvent> predicate) {
        this.failOn = predicate;
        return this;
    }

    @Override
    public void onChange(ChangeEvent event) throws Exception {
        threads.add(Thread.currentThread().getName());
        if (failOn.test(event)) {
            throw new IllegalStateException("listener refuses " + event.operation() + " " + event.key());
        }
        events.add(event);
    }

    List<ChangeEvent> events() {
        return new ArrayList<>(events);
    }

    List<String> threads() {
        return new ArrayList<>(threads);
    }

    /** The distinct values of a column across the after images received. */
    java.util.Set<String> distinct(String column) {
        java.util.Set<String> values = new java.util.HashSet<>();
        events.forEach(e -> values.add(e.after().getString(column)));
        return values;
    }

    int size() {
        return events.size();
    }
}
