package io.pgcdc;

import io.pgcdc.internal.SnapshotOffsets;
import io.pgcdc.internal.SnapshotSession;
import java.time.Duration;
import java.util.IdentityHashMap;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.function.BooleanSupplier;
import org.apache.kafka.connect.data.Schema;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's initial snapshot, from its start to the stored "completed": reads the tables through a
 * {@link SnapshotSession}, turns rows into {@link Operation#READ} events on the reader threads, hands them
 * to {@link Delivery} on the delivery thread, and stores the position Debezium then streams from.
 */
final class EngineSnapshot {

    private static final Logger LOG = LoggerFactory.getLogger(EngineSnapshot.class);

    private final CdcConfig config;
    private final SnapshotSession session;
    private final String memoryId;
    private final int attempt;
    private final boolean seedStream;
    private final SnapshotInfo info;
    private final SourcePosition position;
    private final Map<Schema, RowType> rowTypes = new IdentityHashMap<>();

    private EngineSnapshot(CdcConfig config, SnapshotSession session, String memoryId, int attempt, boolean seedStream, String placeholder) {
        this.config = config;
        this.session = session;
        this.memoryId = memoryId;
        this.attempt = attempt;
        this.seedStream = seedStream;
        this.info = new SnapshotInfo(attempt, session.startedAt(), Lsn.of(session.consistentAt()), Lsn.of(session.streamFrom()));
        this.position = new SourcePosition(Lsn.of(session.consistentAt()), null, session.startedAt());
        for (SnapshotSession.CapturedTable t : session.tables()) {
            // Built once per table here, so reader threads only read the map.
            rowTypes.put(t.valueSchema(), RowType.of(t.id(), t.valueSchema(), placeholder));
            if (t.keySchema() != null) {
                rowTypes.put(t.keySchema(), RowType.of(t.id(), t.keySchema(), placeholder));
            }
        }
    }

    /** Whether the engine reads the tables before streaming: always with ALWAYS, with INITIAL until a snapshot completed. */
    static boolean needed(CdcConfig config, OptionalLong storedPosition) {
        return config.snapshotMode() == SnapshotMode.ALWAYS || (config.snapshotMode() == SnapshotMode.INITIAL && storedPosition.isEmpty());
    }

    /**
     * Fixes the snapshot and the stream's start (creating the slot if needed) and stores that an attempt
     * started; on the starting thread.
     */
    static EngineSnapshot open(CdcConfig config, Properties properties, OptionalLong storedPosition, String memoryId,
                               String placeholder, Duration timeout) {
        int attempt = SnapshotOffsets.nextAttempt(config, memoryId);
        SnapshotSession session = SnapshotSession.open(config, properties, storedPosition, timeout);
        try {
            SnapshotOffsets.started(config, memoryId, attempt);
            boolean seed = session.createdSlot() || storedPosition.isEmpty();
            EngineSnapshot snapshot = new EngineSnapshot(config, session, memoryId, attempt, seed, placeholder);
            LOG.info("engine '{}': snapshot attempt {} of {} (about {} rows), consistent at {}; streaming then starts at {}",
                    config.name(), attempt, config.tables(), session.estimatedRows() < 0 ? "?" : session.estimatedRows(),
                    snapshot.info.consistentAt(), snapshot.info.streamFrom());
            return snapshot;
        } catch (RuntimeException e) {
            session.close();
            throw e;
        }
    }

    /** Rows PostgreSQL estimates the captured tables hold; -1 when unknown. */
    long estimatedRows() {
        return session.estimatedRows();
    }

    /**
     * Delivers every row, then stores "completed" with the stream's start; on the delivery thread.
     *
     * @throws SnapshotSession.Stopped when {@code stop} turned true first: nothing is stored, the next start
     *     takes the snapshot again
     */
    void run(Delivery delivery, BooleanSupplier stop) throws Exception {
        long started = System.nanoTime();
        try {
            session.read(this::event, delivery::snapshotRows, stop);
        } finally {
            session.close();
        }
        delivery.snapshotEnd();
        SnapshotOffsets.completed(config, memoryId, attempt, seedStream ? session.streamFrom() : -1);
        LOG.info("engine '{}': snapshot attempt {} completed in {} ms; streaming from {}", config.name(), attempt,
                (System.nanoTime() - started) / 1_000_000, info.streamFrom());
    }

    /** Abandons a snapshot that will not run. */
    void close() {
        session.close();
    }

    private ChangeEvent event(SnapshotSession.CapturedTable table, Object[] key, Object[] values) {
        return ChangeEvent.builder(Operation.READ, table.id())
                .key(key == null ? null : Row.ofValues(rowTypes.get(table.keySchema()), key))
                .after(Row.ofValues(rowTypes.get(table.valueSchema()), values))
                .source(position)
                .snapshot(info)
                .build();
    }
}
