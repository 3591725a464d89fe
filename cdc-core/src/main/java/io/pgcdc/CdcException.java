package io.pgcdc;

/**
 * The one unchecked exception root of this library. Its message says what happened and what to do
 * about it; the cause, when there is one, is the underlying driver or Debezium error.
 */
public class CdcException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    /** Creates an exception with an actionable message. */
    public CdcException(String message) {
        super(message);
    }

    /** Creates an exception with an actionable message and the underlying cause. */
    public CdcException(String message, Throwable cause) {
        super(message, cause);
    }
}
