package io.pgcdc;

/**
 * Receives committed changes one at a time, in commit order, with the boundaries of their source
 * transactions. Implement the callbacks you need; the others do nothing, except {@link #onRead}, which
 * passes snapshot rows to {@link #onInsert} so that a listener written for inserts sees the rows that
 * existed before it started too.
 *
 * <p>Threading: every callback runs on the engine's delivery thread ({@code pgcdc-<name>}, or one
 * from {@link CdcConfig#threadFactory()}), never concurrently; with {@link CdcConfig#lanes()} above 1,
 * change callbacks run on lane threads, concurrently for different rows and in order for one row, and the
 * listener must be thread-safe. A callback may call
 * {@link CdcEngine#close()}: it returns at once, and the engine stops after the callback returned.
 *
 * <p>Order within a transaction: {@link #onBegin}, then its changes and messages by ordinal, then
 * {@link #onCommit}. Transactions without a captured change or a delivered message are not reported.
 * Snapshot rows ({@link Operation#READ}) belong to no transaction.
 *
 * <p>Acknowledgement: an event counts as handled (its offset may be stored) only once its callback
 * returned normally. A callback that throws is handled by {@link CdcConfig#failurePolicy()}: by default
 * the engine stops, {@link CdcEngine#failure()} holds a {@link ListenerException}, and the event is
 * delivered again when an engine with the same offset store starts. After a restart, the transaction
 * in progress begins again ({@link #onBegin} again) with its first event not yet acknowledged: events
 * keep their {@link ChangeEvent#id()}.
 */
public interface ChangeListener {

    /**
     * A source transaction begins; its events follow. The transaction carries its commit LSN already.
     *
     * @throws Exception retried as the failure policy says; then the engine stops (there is no event to
     *     dead-letter)
     */
    default void onBegin(Transaction transaction) throws Exception {
    }

    /**
     * Called for every change. The default dispatches to the per-operation callback; override it to
     * see every change in one place.
     *
     * @throws Exception to stop the engine (or whatever the failure policy says)
     */
    default void onChange(ChangeEvent event) throws Exception {
        switch (event.operation()) {
            case CREATE:
                onInsert(event);
                break;
            case UPDATE:
                onUpdate(event);
                break;
            case DELETE:
                onDelete(event);
                break;
            case READ:
                onRead(event);
                break;
            case TRUNCATE:
                onTruncate(event);
                break;
            default:
                throw new IllegalStateException("unknown operation " + event.operation());
        }
    }

    /** A row was inserted; {@link ChangeEvent#after()} holds it. */
    default void onInsert(ChangeEvent event) throws Exception {
    }

    /** A row was updated; {@link ChangeEvent#after()} holds the new row. */
    default void onUpdate(ChangeEvent event) throws Exception {
    }

    /** A row was deleted; {@link ChangeEvent#before()} holds its key (the whole row with {@code REPLICA IDENTITY FULL}). */
    default void onDelete(ChangeEvent event) throws Exception {
    }

    /**
     * A snapshot read a row that existed when the engine first started; {@link ChangeEvent#after()}
     * holds it and {@link ChangeEvent#isSnapshot()} is true. The default passes it to
     * {@link #onInsert}: override this (even with an empty body) to treat snapshot rows differently.
     */
    default void onRead(ChangeEvent event) throws Exception {
        onInsert(event);
    }

    /** The table was truncated. */
    default void onTruncate(ChangeEvent event) throws Exception {
    }

    /** A logical decoding message ({@code pg_logical_emit_message}) was written; see {@link LogicalMessage}. */
    default void onMessage(LogicalMessage message) throws Exception {
    }

    /**
     * The transaction committed and all its events were delivered.
     *
     * @param eventCount how many changes and messages of it this engine delivered since it began it
     *     (after a restart inside the transaction, only those after the restart)
     * @throws Exception retried as the failure policy says; then the engine stops, and the transaction's
     *     commit (with the events not yet acknowledged) comes again on the next start
     */
    default void onCommit(Transaction transaction, long eventCount) throws Exception {
    }
}
