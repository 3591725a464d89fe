package io.pgcdc;

/**
 * A {@link ChangeListener} callback threw, so the engine stopped. The event it threw on was not
 * acknowledged: it is delivered again, first, when an engine with the same offset store starts.
 * {@link #getCause()} is what the listener threw.
 */
public final class ListenerException extends CdcException {

    private static final long serialVersionUID = 1L;

    private final transient ChangeEvent event;

    /** Creates the exception for the event whose callback threw {@code cause}. */
    public ListenerException(ChangeEvent event, Throwable cause) {
        super("the listener threw " + cause + " on " + event.operation() + " " + event.table() + " at " + event.source().lsn()
                + "; the engine stopped and this event will be delivered again when it restarts", cause);
        this.event = event;
    }

    /** The event whose callback threw; {@code null} only after Java deserialisation. */
    public ChangeEvent event() {
        return event;
    }
}
