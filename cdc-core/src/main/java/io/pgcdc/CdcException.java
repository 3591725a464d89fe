package io.pgcdc;

import java.util.Objects;

/**
 * The one unchecked exception root of this library. Its message says what happened and what to do
 * about it; {@link #reason()} says the same for code, which must not parse the message; the cause,
 * when there is one, is the underlying driver or Debezium error.
 */
public class CdcException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final FailureReason reason;

    /** Creates an exception with an actionable message and reason {@link FailureReason#INTERNAL}. */
    public CdcException(String message) {
        this(FailureReason.INTERNAL, message);
    }

    /** Creates an exception with an actionable message, the underlying cause and reason {@link FailureReason#INTERNAL}. */
    public CdcException(String message, Throwable cause) {
        this(FailureReason.INTERNAL, message, cause);
    }

    /** Creates an exception with its reason and an actionable message. */
    public CdcException(FailureReason reason, String message) {
        super(message);
        this.reason = Objects.requireNonNull(reason, "reason must not be null");
    }

    /** Creates an exception with its reason, an actionable message and the underlying cause. */
    public CdcException(FailureReason reason, String message, Throwable cause) {
        super(message, cause);
        this.reason = Objects.requireNonNull(reason, "reason must not be null");
    }

    /** Why this happened; never null ({@link FailureReason#INTERNAL} when nothing more precise is known). */
    public FailureReason reason() {
        // null only when deserialised from a form written before the field existed
        return reason == null ? FailureReason.INTERNAL : reason;
    }
}
