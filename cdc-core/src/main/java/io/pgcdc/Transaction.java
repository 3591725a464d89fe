package io.pgcdc;

import java.time.Instant;
import java.util.Objects;

/**
 * One committed source transaction, as the events of it carry it and as
 * {@link ChangeListener#onBegin} and {@link ChangeListener#onCommit} see it.
 *
 * @param xid PostgreSQL's transaction id
 * @param commitLsn where the transaction's commit record ends in the WAL: unique per transaction, and
 *     increasing in commit order (the order of delivery)
 * @param commitTime when the transaction committed, in microseconds
 */
public record Transaction(long xid, Lsn commitLsn, Instant commitTime) {

    /** Checks the non-null parts. */
    public Transaction {
        Objects.requireNonNull(commitLsn, "commitLsn");
        Objects.requireNonNull(commitTime, "commitTime");
    }

    @Override
    public String toString() {
        return "tx " + xid + " commit " + commitLsn + " at " + commitTime;
    }
}
