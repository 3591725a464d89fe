package io.pgcdc;

/**
 * Receives committed changes, one at a time, in commit order. Implement the callbacks you need; the
 * others do nothing.
 *
 * <p>Callbacks run on the engine's single delivery thread, never concurrently. An event counts as
 * handled (its offset may be stored) only once its callback returned normally. A callback that throws
 * stops the engine: {@link CdcEngine#failure()} then holds a {@link ListenerException} with the cause,
 * and the event is delivered again when an engine with the same offset store starts. Events before it
 * stay acknowledged.
 */
public interface ChangeListener {

    /**
     * Called for every event. The default dispatches to the per-operation callback; override it to
     * see every event in one place.
     *
     * @throws Exception to stop the engine; see the interface documentation
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

    /** A snapshot read a row that existed when the engine first started; {@link ChangeEvent#after()} holds it. */
    default void onRead(ChangeEvent event) throws Exception {
    }

    /** The table was truncated. */
    default void onTruncate(ChangeEvent event) throws Exception {
    }
}
