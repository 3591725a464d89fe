package io.pgcdc.examples;

import io.pgcdc.CdcConfig;
import io.pgcdc.generator.Schema;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.testkit.TestPostgres;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;

/** The database an example runs against, with the credentials of its writer and of its capture role. */
final class DemoDatabase implements AutoCloseable {

    private final TestPostgres embedded;
    final String host;
    final int port;
    final String database;
    final String user;
    final String password;
    final String captureUser;
    final String capturePassword;

    DemoDatabase(TestPostgres embedded, String host, int port, String database, String user, String password, String captureUser,
                 String capturePassword) {
        this.embedded = embedded;
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
        this.captureUser = captureUser;
        this.capturePassword = capturePassword;
    }

    String jdbcUrl() {
        return "jdbc:postgresql://" + host + ":" + port + "/" + database;
    }

    /** Applies the project's {@code sql/} scripts (idempotent), setting the capture role's password when given. */
    void applySql(String newCapturePassword) {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        try (Connection c = DriverManager.getConnection(jdbcUrl(), props)) {
            Schema.apply(c, newCapturePassword);
        } catch (SQLException e) {
            throw new IllegalStateException("applying sql/ to " + jdbcUrl() + " as " + user + " failed: " + e.getMessage(), e);
        }
    }

    /** The engine's configuration for the {@code transactions} table, read through the publication {@code sql/} made. */
    CdcConfig.Builder captureConfig(String name) {
        return CdcConfig.builder()
                .name(name)
                .host(host).port(port).database(database)
                .user(captureUser).password(capturePassword)
                .tables("public.transactions")
                .publicationName(Schema.PUBLICATION)
                // The capture role owns no table, so it cannot create the publication; sql/ did.
                .property("publication.autocreate.mode", "disabled");
    }

    /** A generator writing as {@link #user}. */
    TransactionGenerator generator() {
        return TransactionGenerator.builder().jdbcUrl(jdbcUrl()).user(user).password(password).build();
    }

    /** One line for the console. */
    String describe() {
        return (embedded != null ? "embedded PostgreSQL " + embedded.versionNumber() / 10000 + " on " : "PostgreSQL at ")
                + host + ":" + port + "/" + database + (embedded != null ? " (deleted on exit)" : "")
                + ", capturing as " + captureUser;
    }

    @Override
    public void close() {
        if (embedded != null) {
            embedded.close();
        }
    }
}
