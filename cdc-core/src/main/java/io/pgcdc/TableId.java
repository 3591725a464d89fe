package io.pgcdc;

import java.util.Objects;

/**
 * A table's schema and name, as PostgreSQL stores them (case-sensitive, unquoted).
 *
 * @param schema the schema, such as {@code public}
 * @param name the table name
 */
public record TableId(String schema, String name) {

    /** Validates both parts. */
    public TableId {
        Objects.requireNonNull(schema, "schema");
        Objects.requireNonNull(name, "name");
        if (schema.isBlank()) {
            throw new IllegalArgumentException("schema must not be blank");
        }
        if (name.isBlank()) {
            throw new IllegalArgumentException("table name must not be blank");
        }
    }

    /** Parses {@code schema.table}, or {@code table} meaning {@code public.table}. */
    public static TableId parse(String qualifiedName) {
        Objects.requireNonNull(qualifiedName, "qualifiedName");
        int dot = qualifiedName.indexOf('.');
        if (dot < 0) {
            return new TableId("public", qualifiedName.trim());
        }
        return new TableId(qualifiedName.substring(0, dot).trim(), qualifiedName.substring(dot + 1).trim());
    }

    /** {@code schema.name}. */
    @Override
    public String toString() {
        return schema + "." + name;
    }
}
