package io.pgcdc;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;

/**
 * One batch for a {@link BatchListener}: changes and messages in commit order, and which transactions
 * committed in it. Immutable.
 */
public final class ChangeBatch {

    private final List<CdcEvent> events;
    private final List<Transaction> committed;
    private final boolean transactionComplete;

    private ChangeBatch(List<? extends CdcEvent> events, List<Transaction> committed, boolean transactionComplete) {
        this.events = Collections.unmodifiableList(new ArrayList<>(events));
        this.committed = Collections.unmodifiableList(new ArrayList<>(committed));
        this.transactionComplete = transactionComplete;
    }

    /**
     * A batch as the engine delivers it, for unit tests of batch listeners.
     *
     * @param events {@link ChangeEvent}s and {@link LogicalMessage}s, in order
     * @param committed the transactions whose last event is in this batch
     * @param transactionComplete false when the last transaction continues in the next batch
     */
    public static ChangeBatch of(List<? extends CdcEvent> events, List<Transaction> committed, boolean transactionComplete) {
        for (CdcEvent e : Objects.requireNonNull(events, "events")) {
            Objects.requireNonNull(e, "events must not hold null");
        }
        return new ChangeBatch(new ArrayList<>(events), Objects.requireNonNull(committed, "committed"), transactionComplete);
    }

    /** Every {@link ChangeEvent} and {@link LogicalMessage} of the batch, in order. */
    public List<CdcEvent> events() {
        return events;
    }

    /** The row changes of the batch, in order (messages left out). */
    public List<ChangeEvent> changes() {
        List<ChangeEvent> changes = new ArrayList<>(events.size());
        for (CdcEvent e : events) {
            if (e instanceof ChangeEvent) {
                changes.add((ChangeEvent) e);
            }
        }
        return changes;
    }

    /** The logical messages of the batch, in order. */
    public List<LogicalMessage> messages() {
        List<LogicalMessage> messages = new ArrayList<>();
        for (CdcEvent e : events) {
            if (e instanceof LogicalMessage) {
                messages.add((LogicalMessage) e);
            }
        }
        return messages;
    }

    /** Number of events. */
    public int size() {
        return events.size();
    }

    /** The transactions that committed in this batch (their last event is here), in order. */
    public List<Transaction> committed() {
        return committed;
    }

    /**
     * Whether the batch ends on a transaction boundary; false when its last transaction is larger than
     * the batch limit and continues in the next batch.
     */
    public boolean isTransactionComplete() {
        return transactionComplete;
    }

    @Override
    public String toString() {
        return "ChangeBatch[" + events.size() + " events, " + committed.size() + " commits"
                + (transactionComplete ? "" : ", transaction continues") + "]";
    }
}
