package io.pgcdc.generator;

import java.time.Duration;
import java.util.Collections;
import java.util.EnumMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;

/**
 * What a run committed: changes by kind, the ids each kind touched (when tracked), transactions and
 * time. Only committed work counts: a transaction that failed or was rolled back is not in it.
 */
public final class GeneratorReport {

    private final Map<ChangeKind, Long> counts;
    private final Map<ChangeKind, List<String>> ids;
    private final long transactions;
    private final Duration elapsed;
    private final boolean idsTracked;

    GeneratorReport(Map<ChangeKind, Long> counts, Map<ChangeKind, List<String>> ids, long transactions, Duration elapsed,
                    boolean idsTracked) {
        EnumMap<ChangeKind, Long> c = new EnumMap<>(ChangeKind.class);
        EnumMap<ChangeKind, List<String>> i = new EnumMap<>(ChangeKind.class);
        for (ChangeKind kind : ChangeKind.values()) {
            c.put(kind, counts.getOrDefault(kind, 0L));
            i.put(kind, Collections.unmodifiableList(ids.getOrDefault(kind, List.of())));
        }
        this.counts = Collections.unmodifiableMap(c);
        this.ids = Collections.unmodifiableMap(i);
        this.transactions = transactions;
        this.elapsed = elapsed;
        this.idsTracked = idsTracked;
    }

    /** Committed changes of one kind. */
    public long count(ChangeKind kind) {
        return counts.get(kind);
    }

    /** Committed changes of every kind. */
    public long total() {
        return counts.values().stream().mapToLong(Long::longValue).sum();
    }

    /**
     * The transaction ids of the committed changes of one kind, in commit order; an id appears once
     * per change (an id updated twice appears twice among the updates).
     *
     * @throws IllegalStateException when the workload did not track ids
     */
    public List<String> ids(ChangeKind kind) {
        if (!idsTracked) {
            throw new IllegalStateException("ids were not tracked: build the workload with trackIds(true)");
        }
        return ids.get(kind);
    }

    /** Committed database transactions. */
    public long transactions() {
        return transactions;
    }

    /** Wall-clock time of the run. */
    public Duration elapsed() {
        return elapsed;
    }

    /** Committed changes per second over the whole run. */
    public double changesPerSecond() {
        double seconds = elapsed.toNanos() / 1e9;
        return seconds <= 0 ? 0 : total() / seconds;
    }

    /** One line: {@code 7000 inserts, 2000 updates, 1000 deletes in 100 transactions, 1.23 s, 8130 changes/s}. */
    @Override
    public String toString() {
        return String.format(Locale.ROOT, "%d inserts, %d updates, %d deletes in %d transactions, %.2f s, %.0f changes/s",
                count(ChangeKind.INSERT), count(ChangeKind.UPDATE), count(ChangeKind.DELETE), transactions,
                elapsed.toNanos() / 1e9, changesPerSecond());
    }
}
