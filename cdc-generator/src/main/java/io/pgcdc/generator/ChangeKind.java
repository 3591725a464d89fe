package io.pgcdc.generator;

/** What one generated change does to the {@code transactions} table. */
public enum ChangeKind {
    /** A new transaction row. */
    INSERT,
    /** A new amount for an existing row (the audit triggers record it). */
    UPDATE,
    /** An existing row removed. */
    DELETE
}
