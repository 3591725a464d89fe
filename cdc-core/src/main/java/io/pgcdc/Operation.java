package io.pgcdc;

/** What a {@link ChangeEvent} did to its table; the codes are Debezium's envelope {@code op} codes. */
public enum Operation {
    /** A row was inserted ({@code c}). */
    CREATE("c"),
    /** A row was updated ({@code u}). */
    UPDATE("u"),
    /** A row was deleted ({@code d}). */
    DELETE("d"),
    /** A row was read by a snapshot, not changed ({@code r}). */
    READ("r"),
    /** The table was truncated ({@code t}); the event has no rows. */
    TRUNCATE("t");

    private final String code;

    Operation(String code) {
        this.code = code;
    }

    /** Debezium's one-letter code. */
    public String code() {
        return code;
    }

    /**
     * The operation for a Debezium code.
     *
     * @throws IllegalArgumentException for a code that is not a row operation (such as {@code m})
     */
    public static Operation fromCode(String code) {
        switch (code) {
            case "c": return CREATE;
            case "u": return UPDATE;
            case "d": return DELETE;
            case "r": return READ;
            case "t": return TRUNCATE;
            default: throw new IllegalArgumentException("not a row operation code: '" + code + "'");
        }
    }
}
