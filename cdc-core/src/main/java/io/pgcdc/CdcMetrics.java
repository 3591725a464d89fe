package io.pgcdc;

import io.micrometer.core.instrument.Counter;
import io.micrometer.core.instrument.FunctionCounter;
import io.micrometer.core.instrument.Gauge;
import io.micrometer.core.instrument.MeterRegistry;
import io.micrometer.core.instrument.Tag;
import io.micrometer.core.instrument.Tags;
import io.micrometer.core.instrument.Timer;
import io.micrometer.core.instrument.binder.MeterBinder;
import java.time.Duration;
import java.time.Instant;
import java.util.Map;
import java.util.Objects;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.TimeUnit;

/**
 * An engine's meters in a Micrometer registry, bound with one call:
 * {@code CdcMetrics.of(engine).bindTo(registry)}. Every meter carries the tag {@code engine} (the
 * engine's name):
 *
 * <ul>
 *   <li>{@code pgcdc.events} (counter; tags {@code table}, {@code operation}: create, update, delete,
 *       read, truncate): change events handed to the listener;
 *   <li>{@code pgcdc.messages} (counter; tag {@code prefix}): logical decoding messages handed to it;
 *   <li>{@code pgcdc.lag} (timer, with p50, p95, p99 and a histogram): commit to callback of streamed
 *       events, the time PostgreSQL's commit waited for its callback;
 *   <li>{@code pgcdc.listener.duration} (timer; tag {@code callback}: change, message, batch, begin,
 *       commit): how long the listener's callbacks took;
 *   <li>{@code pgcdc.slot.lag} (gauge, bytes): WAL PostgreSQL keeps for the slot beyond what the engine
 *       confirmed;
 *   <li>{@code pgcdc.reconnects}, {@code pgcdc.listener.retries}, {@code pgcdc.dead.letters}
 *       (counters): stream losses, retried callbacks, events handed to the dead-letter handler;
 *   <li>{@code pgcdc.engine.state} (gauge; tag {@code state}, one per {@link CdcEngine.State}): 1 for
 *       the current state, 0 for the others;
 *   <li>{@code pgcdc.snapshot.rows} (counter), {@code pgcdc.snapshot.rows.estimated} (gauge: PostgreSQL's
 *       estimate of the total, -1 when unknown) and {@code pgcdc.snapshot.running} (gauge, 0 or 1): snapshot progress.
 * </ul>
 *
 * <p>Micrometer is an optional dependency of this library: an application that never names this class
 * needs no Micrometer and pays nothing for metrics. Bind before {@link CdcEngine#start()} to count from
 * the first event; binding later counts from then on. Thread-safe; the meters are updated on the
 * engine's delivery thread.
 */
public final class CdcMetrics implements MeterBinder {

    /** Percentiles {@code pgcdc.lag} publishes. */
    private static final double[] PERCENTILES = {0.5, 0.95, 0.99};

    private final CdcEngine engine;
    private final Tags tags;

    private CdcMetrics(CdcEngine engine, Iterable<Tag> extraTags) {
        this.engine = engine;
        this.tags = Tags.of("engine", engine.config().name()).and(extraTags);
    }

    /** Meters for {@code engine}, tagged with its name. */
    public static CdcMetrics of(CdcEngine engine) {
        return new CdcMetrics(Objects.requireNonNull(engine, "engine"), Tags.empty());
    }

    /** Meters for {@code engine}, tagged with its name and {@code extraTags} (an application or region, say). */
    public static CdcMetrics of(CdcEngine engine, Iterable<Tag> extraTags) {
        return new CdcMetrics(Objects.requireNonNull(engine, "engine"), Objects.requireNonNull(extraTags, "extraTags"));
    }

    /** Registers the meters; may be called for several registries. */
    @Override
    public void bindTo(MeterRegistry registry) {
        Objects.requireNonNull(registry, "registry");
        EngineStats stats = engine.stats();
        Gauge.builder("pgcdc.slot.lag", engine, e -> e.slotLagBytes().isPresent() ? e.slotLagBytes().getAsLong() : Double.NaN)
                .description("WAL PostgreSQL keeps for the engine's replication slot beyond what the engine confirmed")
                .baseUnit("bytes").tags(tags).register(registry);
        FunctionCounter.builder("pgcdc.reconnects", stats, EngineStats::reconnects)
                .description("times the replication stream was found down while running").tags(tags).register(registry);
        FunctionCounter.builder("pgcdc.listener.retries", stats, EngineStats::retries)
                .description("listener callbacks retried by the failure policy").tags(tags).register(registry);
        FunctionCounter.builder("pgcdc.dead.letters", stats, EngineStats::deadLetters)
                .description("events handed to the dead-letter handler").tags(tags).register(registry);
        FunctionCounter.builder("pgcdc.snapshot.rows", stats, EngineStats::snapshotRows)
                .description("snapshot rows handed to the listener").tags(tags).register(registry);
        Gauge.builder("pgcdc.snapshot.rows.estimated", stats, EngineStats::snapshotEstimate)
                .description("rows the snapshot's tables hold by PostgreSQL's estimate; -1 when unknown").tags(tags).register(registry);
        Gauge.builder("pgcdc.snapshot.running", stats, s -> s.snapshotRunning() ? 1 : 0)
                .description("1 while snapshot rows are being delivered").tags(tags).register(registry);
        for (CdcEngine.State state : CdcEngine.State.values()) {
            Gauge.builder("pgcdc.engine.state", engine, e -> e.state() == state ? 1 : 0)
                    .description("1 for the engine's current state").tags(tags).tag("state", state.name().toLowerCase(java.util.Locale.ROOT))
                    .register(registry);
        }
        stats.add(new Recorder(registry));
    }

    /** Records per-event meters; runs on the delivery thread. */
    private final class Recorder implements EngineStats.Telemetry {
        private final MeterRegistry registry;
        private final Timer lag;
        private final Map<TableId, Map<Operation, Counter>> events = new ConcurrentHashMap<>();
        private final Map<String, Counter> messages = new ConcurrentHashMap<>();
        private final Map<String, Timer> callbacks = new ConcurrentHashMap<>();

        Recorder(MeterRegistry registry) {
            this.registry = registry;
            this.lag = Timer.builder("pgcdc.lag").description("commit to callback of streamed events")
                    .publishPercentiles(PERCENTILES).publishPercentileHistogram()
                    .minimumExpectedValue(Duration.ofMillis(1)).maximumExpectedValue(Duration.ofMinutes(10))
                    .tags(tags).register(registry);
        }

        @Override
        public void delivering(CdcEvent event, Instant commitTime, Instant now) {
            if (event instanceof ChangeEvent) {
                ChangeEvent change = (ChangeEvent) event;
                // Looked up by the event's own table and operation: no text built per event.
                events.computeIfAbsent(change.table(), t -> new ConcurrentHashMap<>())
                        .computeIfAbsent(change.operation(), op -> Counter.builder("pgcdc.events")
                                .description("change events handed to the listener").tags(tags).tag("table", change.table().toString())
                                .tag("operation", op.name().toLowerCase(java.util.Locale.ROOT)).register(registry))
                        .increment();
            } else {
                String prefix = ((LogicalMessage) event).prefix();
                messages.computeIfAbsent(prefix, k -> Counter.builder("pgcdc.messages")
                        .description("logical decoding messages handed to the listener").tags(tags).tag("prefix", prefix)
                        .register(registry)).increment();
            }
            if (commitTime != null) {
                lag.record(Math.max(0, Duration.between(commitTime, now).toNanos()), TimeUnit.NANOSECONDS);
            }
        }

        @Override
        public void called(String callback, long nanos) {
            callbacks.computeIfAbsent(callback, k -> Timer.builder("pgcdc.listener.duration")
                    .description("time the listener's callbacks took").tags(tags).tag("callback", callback).register(registry))
                    .record(nanos, TimeUnit.NANOSECONDS);
        }
    }
}
