package io.pgcdc.generator;

/**
 * A run could not start or stopped on an error. The message says what went wrong and what to do;
 * {@link #partialReport()} says what was committed before it (nothing is half-written: the
 * transaction in progress was rolled back).
 */
public final class GeneratorException extends RuntimeException {

    private static final long serialVersionUID = 1L;

    private final transient GeneratorReport partialReport;

    GeneratorException(String message, GeneratorReport partialReport, Throwable cause) {
        super(message, cause);
        this.partialReport = partialReport;
    }

    /** What was committed before the failure; {@code null} only after Java deserialisation. */
    public GeneratorReport partialReport() {
        return partialReport;
    }
}
