package io.pgcdc;

import java.time.Instant;
import java.util.Objects;

/**
 * Where a change comes from in PostgreSQL's log, as Debezium reports it.
 *
 * @param lsn WAL position of the change itself (of the snapshot's start, for snapshot reads)
 * @param lastCommitLsn commit LSN of the last transaction Debezium completed before this event:
 *     PostgreSQL sends a transaction only after it committed, but Debezium does not pass on the
 *     transaction's own commit LSN. With {@code lsn} it orders events (Debezium's {@code sequence});
 *     {@code null} before the first commit this engine has seen
 * @param transactionId the PostgreSQL transaction id ({@code xid}); {@code null} when unknown
 * @param commitTime when the transaction committed (for snapshot reads, when the row was read)
 */
public record SourcePosition(Lsn lsn, Lsn lastCommitLsn, Long transactionId, Instant commitTime) {

    /** Checks the non-null parts. */
    public SourcePosition {
        Objects.requireNonNull(lsn, "lsn");
        Objects.requireNonNull(commitTime, "commitTime");
    }

    @Override
    public String toString() {
        return "lsn=" + lsn + (lastCommitLsn == null ? "" : " lastCommit=" + lastCommitLsn)
                + (transactionId == null ? "" : " tx=" + transactionId) + " at " + commitTime;
    }
}
