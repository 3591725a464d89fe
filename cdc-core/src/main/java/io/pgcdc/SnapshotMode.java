package io.pgcdc;

/** Whether the engine reads the captured tables' existing rows before streaming changes. */
public enum SnapshotMode {
    /**
     * On the first start (no stored offset), read every existing row as {@link Operation#READ} events,
     * then stream; later starts resume streaming. Debezium's {@code initial}.
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

    /** The value of Debezium's {@code snapshot.mode}. */
    public String debeziumName() {
        return debeziumName;
    }
}
