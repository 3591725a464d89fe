package io.pgcdc;

/**
 * Whether the engine reads the captured tables' existing rows before streaming changes. The engine reads
 * snapshots itself (in parallel, consistent with the stream by an exported snapshot; see
 * {@link CdcConfig#snapshotParallelism()} and {@link SnapshotInfo}); Debezium only streams.
 */
public enum SnapshotMode {
    /**
     * Until a snapshot completed (no stored streaming offset), read every existing row as
     * {@link Operation#READ} events, then stream; later starts resume streaming. A snapshot cut short by a
     * crash or {@link CdcEngine#close()} is taken again on the next start. Debezium's {@code initial}.
     */
    INITIAL("initial"),
    /** Never read existing rows: stream changes committed from the slot's position on. Debezium's {@code no_data}. */
    NONE("no_data"),
    /** Read every existing row on every start, then stream. Debezium's {@code always}. */
    ALWAYS("always");

    private final String debeziumName;

    SnapshotMode(String debeziumName) {
        this.debeziumName = debeziumName;
    }

    /** The value of Debezium's {@code snapshot.mode}, for a Kafka Connect worker running the same configuration. */
    public String debeziumName() {
        return debeziumName;
    }
}
