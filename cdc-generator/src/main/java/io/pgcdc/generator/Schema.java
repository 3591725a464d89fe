package io.pgcdc.generator;

import java.io.IOException;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Objects;

/**
 * The project's SQL scripts ({@code sql/} in the repository, packed into this jar): the
 * {@code transactions} table, its audit triggers, the publication and the capture role. Each script
 * is idempotent; {@link #apply} runs them in order, as docker-compose does at first start.
 */
public final class Schema {

    /** The scripts, in the order they apply. */
    public static final List<String> SCRIPTS = List.of(
            "010_transactions.sql", "020_audit.sql", "030_publication.sql", "040_capture_role.sql");

    /** The publication {@code 030_publication.sql} creates. */
    public static final String PUBLICATION = "pgcdc_pub";

    /** The least-privilege capture role {@code 040_capture_role.sql} creates. */
    public static final String CAPTURE_ROLE = "pgcdc_capture";

    private static final String RESOURCE_DIR = "/io/pgcdc/sql/";

    private Schema() {
    }

    /** One script's text. */
    public static String script(String name) {
        if (!SCRIPTS.contains(name)) {
            throw new IllegalArgumentException("no script '" + name + "'; the scripts are " + SCRIPTS);
        }
        try (InputStream in = Schema.class.getResourceAsStream(RESOURCE_DIR + name)) {
            if (in == null) {
                throw new IllegalStateException(RESOURCE_DIR + name + " is missing from the class path: the cdc-generator jar is incomplete");
            }
            return new String(in.readAllBytes(), StandardCharsets.UTF_8);
        } catch (IOException e) {
            throw new IllegalStateException("cannot read " + RESOURCE_DIR + name + ": " + e.getMessage(), e);
        }
    }

    /**
     * Applies every script in order, in one transaction, leaving the capture role without a new password.
     * Needs a user that may create tables, publications and roles.
     */
    public static void apply(Connection c) throws SQLException {
        apply(c, null);
    }

    /**
     * Applies every script in order, in one transaction, and sets the capture role's password when
     * {@code capturePassword} is not null.
     */
    public static void apply(Connection c, String capturePassword) throws SQLException {
        boolean autoCommit = c.getAutoCommit();
        c.setAutoCommit(false);
        try {
            if (capturePassword != null) {
                try (PreparedStatement ps = c.prepareStatement("SELECT set_config('pgcdc.capture_password', ?, true)")) {
                    ps.setString(1, Objects.requireNonNull(capturePassword));
                    ps.execute();
                }
            }
            try (Statement s = c.createStatement()) {
                for (String name : SCRIPTS) {
                    s.execute(script(name));
                }
            }
            c.commit();
        } catch (SQLException | RuntimeException e) {
            c.rollback();
            throw e;
        } finally {
            c.setAutoCommit(autoCommit);
        }
    }
}
