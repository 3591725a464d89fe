package io.pgcdc.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.EngineHealth;
import io.pgcdc.Operation;
import io.pgcdc.Row;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The {@link Dashboard}'s listener: each change becomes a JSON message for the page's table, and the
 * commit-to-callback lag of the changes since the last status feeds the lag chart. Runs on the engine's
 * delivery thread and never blocks on a browser ({@link DashboardServer#broadcast} only enqueues).
 */
final class DashboardFeed implements ChangeListener {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final DashboardServer server;

    // The lag of the streamed changes since the last status; guarded by this.
    private long lagCount;
    private double lagSumMs;
    private double lagMaxMs;

    // The status thread's own state: events delivered at its last call, and when.
    private long lastDelivered = -1;
    private long lastNanos;

    DashboardFeed(DashboardServer server) {
        this.server = server;
    }

    @Override
    public void onChange(ChangeEvent event) throws JsonProcessingException {
        double lagMs = Math.max(0, Duration.between(event.source().commitTime(), Instant.now()).toNanos() / 1e6);
        if (!event.isSnapshot()) { // a snapshot row's "commit time" is when the snapshot began
            synchronized (this) {
                lagCount++;
                lagSumMs += lagMs;
                lagMaxMs = Math.max(lagMaxMs, lagMs);
            }
        }
        server.broadcast("change", JSON.writeValueAsString(toJson(event, lagMs)));
    }

    /** One row of the page's table: what changed, where, which columns, and when it committed. */
    static Map<String, Object> toJson(ChangeEvent event, double lagMs) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", event.idempotencyKey());
        json.put("op", operation(event.operation()));
        json.put("table", event.table().toString());
        json.put("key", key(event.key()));
        json.put("changed", changedColumns(event));
        json.put("commitTime", event.source().commitTime().toString());
        json.put("lagMs", Math.round(lagMs));
        return json;
    }

    private static String operation(Operation op) {
        switch (op) {
            case CREATE: return "insert";
            case READ: return "snapshot";
            default: return op.name().toLowerCase(java.util.Locale.ROOT);
        }
    }

    /** The key columns as text; empty for a truncate. */
    private static Map<String, String> key(Row key) {
        Map<String, String> values = new LinkedHashMap<>();
        if (key != null) {
            for (String column : key.columns()) {
                values.put(column, key.isNull(column) ? null : key.getString(column));
            }
        }
        return values;
    }

    /**
     * The columns an update changed: from the before image when the table has {@code REPLICA IDENTITY FULL},
     * else from the {@code change_info} column that {@code sql/020_audit.sql}'s trigger fills; {@code null}
     * when neither tells (and for other operations).
     */
    static List<String> changedColumns(ChangeEvent event) {
        if (event.operation() != Operation.UPDATE) {
            return null;
        }
        if (event.changedColumns().isPresent()) {
            return List.copyOf(event.changedColumns().get());
        }
        Row after = event.after();
        if (!after.has("change_info") || after.isUnavailable("change_info") || after.isNull("change_info")) {
            return null;
        }
        List<String> changed = new ArrayList<>();
        for (Map.Entry<String, JsonNode> field : after.getJson("change_info").properties()) {
            if (field.getValue().has("old")) { // modified_by and modified_at are plain values, not changes
                changed.add(field.getKey());
            }
        }
        return changed;
    }

    /**
     * The status message of the page's charts, from the engine's {@code health()} and the changes since
     * the last call. Called once a second by the server's status thread.
     */
    Map<String, Object> status(EngineHealth health) {
        long nanos = System.nanoTime();
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("time", health.checkedAt().toEpochMilli());
        json.put("state", health.state().name());
        json.put("eventsDelivered", health.eventsDelivered());
        json.put("eventsPerSecond", lastDelivered < 0 ? 0
                : Math.round((health.eventsDelivered() - lastDelivered) * 1e9 / Math.max(1, nanos - lastNanos)));
        lastDelivered = health.eventsDelivered();
        lastNanos = nanos;
        synchronized (this) {
            json.put("lagAvgMs", lagCount == 0 ? null : Math.round(lagSumMs / lagCount));
            json.put("lagMaxMs", lagCount == 0 ? null : Math.round(lagMaxMs));
            lagCount = 0;
            lagSumMs = 0;
            lagMaxMs = 0;
        }
        json.put("slotLagBytes", health.slotLagBytes().isPresent() ? health.slotLagBytes().getAsLong() : null);
        json.put("problem", health.problem().orElse(null));
        json.put("failure", health.failure().map(Throwable::getMessage).orElse(null));
        json.put("dropped", server.dropped());
        return json;
    }
}
