package io.pgcdc;

import java.time.Instant;
import java.util.Objects;

/**
 * Where an event comes from in PostgreSQL's log.
 *
 * @param lsn WAL position of the change itself; for snapshot reads, the position the snapshot was
 *     consistent with
 * @param transactionId the PostgreSQL transaction id ({@code xid}); {@code null} when unknown
 * @param commitTime when the transaction committed; for snapshot reads, when the snapshot started
 */
public record SourcePosition(Lsn lsn, Long transactionId, Instant commitTime) {

    /** Checks the non-null parts. */
    public SourcePosition {
        Objects.requireNonNull(lsn, "lsn");
        Objects.requireNonNull(commitTime, "commitTime");
    }

    @Override
    public String toString() {
        return "lsn=" + lsn + (transactionId == null ? "" : " tx=" + transactionId) + " at " + commitTime;
    }
}
