package io.pgcdc;

import java.time.Instant;
import java.util.Objects;

/**
 * Which snapshot a {@link Operation#READ} event comes from, and how the stream after it fits: see
 * {@link ChangeEvent#snapshot()}.
 *
 * <p>A snapshot that a crash or {@link CdcEngine#close()} cut short is taken again from the start on the
 * next start, as the next {@code attempt}. Rows an earlier attempt delivered need no undoing: the stream
 * after the snapshot starts at {@code streamFrom}, which is never after the first attempt's position, so
 * every change committed since then arrives after the snapshot's rows, deletes of rows that only the
 * earlier attempt delivered included. Applying events in order (rows and inserts and updates as upserts
 * by key, deletes as deletes) therefore ends with the tables' content; changes between
 * {@code streamFrom} and {@code consistentAt} are already in the rows and arrive again after them.
 *
 * @param attempt 1 for the first snapshot of these offsets; {@code n} when {@code n - 1} earlier attempts
 *     were abandoned before they completed
 * @param startedAt when this attempt started reading (every row of it carries this time)
 * @param consistentAt the WAL position the rows are consistent with: exactly the stream's start when the
 *     engine created the replication slot for this snapshot, otherwise the server's WAL position when the
 *     snapshot was taken
 * @param streamFrom where the stream after the snapshot starts: every change committed after it is
 *     delivered after the snapshot's rows
 */
public record SnapshotInfo(int attempt, Instant startedAt, Lsn consistentAt, Lsn streamFrom) {

    /** Checks the parts. */
    public SnapshotInfo {
        if (attempt < 1) {
            throw new IllegalArgumentException("attempt starts at 1, not " + attempt);
        }
        Objects.requireNonNull(startedAt, "startedAt");
        Objects.requireNonNull(consistentAt, "consistentAt");
        Objects.requireNonNull(streamFrom, "streamFrom");
    }

    /** Whether the stream repeats changes already in the rows: it starts before the snapshot's position. */
    public boolean overlapsStream() {
        return streamFrom.compareTo(consistentAt) < 0;
    }
}
