package io.pgcdc;

/**
 * A {@link ChangeListener} callback threw, so the engine stopped. The event it threw on was not
 * acknowledged: it is delivered again, first, when an engine with the same offset store starts.
 * {@link #getCause()} is what the listener threw.
 */
public final class ListenerException extends CdcException {

    private static final long serialVersionUID = 1L;

    private final transient CdcEvent event;

    /**
     * Creates the exception for the callback that threw {@code cause}.
     *
     * @param what the callback and what it was given, for the message
     * @param event the event it was given; {@code null} for transaction and batch callbacks
     */
    public ListenerException(String what, CdcEvent event, Throwable cause) {
        super(FailureReason.LISTENER, "the listener threw " + cause + " on " + what
                + "; the engine stopped and this will be delivered again when it restarts", cause);
        this.event = event;
    }

    /**
     * The event whose callback threw; {@code null} when a transaction or batch callback threw, and after
     * Java deserialisation.
     */
    public CdcEvent event() {
        return event;
    }
}
