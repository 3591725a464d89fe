package io.pgcdc.internal;

import java.nio.ByteBuffer;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Offsets in memory that outlive one Debezium engine inside the same {@code CdcEngine}: the driver
 * restarts Debezium to read a large transaction twice, and must resume where it was, not snapshot again.
 * Forgotten when the {@code CdcEngine} ends ({@link #forget}).
 */
public final class EngineMemoryOffsetStore extends MemoryOffsetBackingStore {

    /** Property naming the in-memory area of one {@code CdcEngine}. */
    public static final String ID_PROPERTY = "offset.storage.pgcdc.memory.id";

    private static final Map<String, Map<ByteBuffer, ByteBuffer>> AREAS = new ConcurrentHashMap<>();

    private String id;

    /** Called by Debezium through reflection. */
    public EngineMemoryOffsetStore() {
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        id = config.originalsStrings().get(ID_PROPERTY);
        if (id == null) {
            throw new IllegalArgumentException(ID_PROPERTY + " must be set");
        }
    }

    @Override
    public synchronized void start() {
        super.start();
        Map<ByteBuffer, ByteBuffer> kept = AREAS.get(id);
        if (kept != null) {
            data = new HashMap<>(kept);
        }
    }

    @Override
    protected void save() {
        AREAS.put(id, new HashMap<>(data));
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return new SafeFileOffsetStore.PartitionReader(data).partitions(connectorName);
    }

    /** The offsets kept for an engine, a copy; empty when there are none. */
    static Map<ByteBuffer, ByteBuffer> area(String id) {
        Map<ByteBuffer, ByteBuffer> kept = AREAS.get(id);
        return kept == null ? new HashMap<>() : new HashMap<>(kept);
    }

    /** Adds offsets to an engine's area before Debezium starts with it. */
    static void putAll(String id, Map<ByteBuffer, ByteBuffer> entries) {
        AREAS.compute(id, (k, kept) -> {
            Map<ByteBuffer, ByteBuffer> next = kept == null ? new HashMap<>() : new HashMap<>(kept);
            next.putAll(entries);
            return next;
        });
    }

    /** Drops the offsets of an engine that ended. */
    public static void forget(String id) {
        AREAS.remove(id);
    }
}
