package io.pgcdc.testkit.internal;

import java.net.URI;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.Properties;

/** A server someone else runs, named by a JDBC URL; never stopped by the test kit. */
public final class ExternalServer implements ServerHandle {

    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;

    private ExternalServer(String host, int port, String database, String user, String password) {
        this.host = host;
        this.port = port;
        this.database = database;
        this.user = user;
        this.password = password;
    }

    /** Connects once to check the server is reachable and runs with {@code wal_level=logical}. */
    public static ExternalServer connect(String jdbcUrl, String user, String password) {
        if (!jdbcUrl.startsWith("jdbc:postgresql://")) {
            throw new IllegalArgumentException("PGCDC_TEST_JDBC_URL must look like jdbc:postgresql://host:port/database");
        }
        URI uri = URI.create(jdbcUrl.substring("jdbc:".length()));
        String database = uri.getPath() == null || uri.getPath().length() <= 1 ? "postgres" : uri.getPath().substring(1);
        ExternalServer server = new ExternalServer(uri.getHost(), uri.getPort() < 0 ? 5432 : uri.getPort(), database, user, password);
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        try (Connection c = DriverManager.getConnection("jdbc:postgresql://" + server.host + ":" + server.port + "/" + database, props);
             Statement s = c.createStatement();
             var rs = s.executeQuery("SHOW wal_level")) {
            rs.next();
            if (!"logical".equals(rs.getString(1))) {
                throw new IllegalStateException("the server at PGCDC_TEST_JDBC_URL runs with wal_level=" + rs.getString(1)
                        + "; the tests need wal_level=logical (ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL)");
            }
        } catch (SQLException e) {
            throw new IllegalStateException("cannot connect to PGCDC_TEST_JDBC_URL as " + user + ": " + e.getMessage(), e);
        }
        return server;
    }

    @Override
    public String host() {
        return host;
    }

    @Override
    public int port() {
        return port;
    }

    @Override
    public String user() {
        return user;
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    public String adminDatabase() {
        return database;
    }

    @Override
    public String description() {
        return "external PostgreSQL";
    }

    @Override
    public void close() {
        // Not ours to stop.
    }
}
