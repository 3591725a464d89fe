package io.pgcdc.testkit;

import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.concurrent.atomic.AtomicBoolean;

/**
 * A throwaway database on a {@link TestPostgres}: the unit of isolation between tests. Closing it
 * terminates its sessions, drops its replication slots and drops the database.
 */
public final class TestDatabase implements AutoCloseable {

    private final TestPostgres server;
    private final String name;
    private final AtomicBoolean closed = new AtomicBoolean();
    private final boolean owned;

    TestDatabase(TestPostgres server, String name) {
        this(server, name, true);
    }

    TestDatabase(TestPostgres server, String name, boolean owned) {
        this.server = server;
        this.name = name;
        this.owned = owned;
    }

    /** The server this database lives on. */
    public TestPostgres server() {
        return server;
    }

    /** Database name. */
    public String name() {
        return name;
    }

    /** Host name clients connect to. */
    public String host() {
        return server.host();
    }

    /** TCP port clients connect to. */
    public int port() {
        return server.port();
    }

    /** A user that may do anything in this database, replication included. */
    public String user() {
        return server.user();
    }

    /** The password of {@link #user()}. */
    public String password() {
        return server.password();
    }

    /** JDBC URL of this database. */
    public String jdbcUrl() {
        return server.jdbcUrl(name);
    }

    /** Opens a connection (auto-commit on); the caller closes it. */
    public Connection connect() throws SQLException {
        return server.connect(name);
    }

    /** Runs each statement in its own transaction; fails on the first error. */
    public void execute(String... statements) {
        try (Connection c = connect(); Statement s = c.createStatement()) {
            for (String sql : statements) {
                s.execute(sql);
            }
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed in " + name + ": " + e.getMessage(), e);
        }
    }

    /** Runs a query that returns one number, such as {@code SELECT count(*) FROM t}. */
    public long queryLong(String sql) {
        try (Connection c = connect(); Statement s = c.createStatement(); var rs = s.executeQuery(sql)) {
            if (!rs.next()) {
                throw new IllegalStateException("query returned no row: " + sql);
            }
            return rs.getLong(1);
        } catch (SQLException e) {
            throw new IllegalStateException("SQL failed in " + name + ": " + e.getMessage(), e);
        }
    }

    /** Drops this database and its replication slots, unless it was only attached to; idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true) && owned) {
            try {
                server.dropDatabase(name);
            } catch (SQLException e) {
                throw new IllegalStateException("cannot drop test database " + name + ": " + e.getMessage(), e);
            }
        }
    }

    @Override
    public String toString() {
        return "TestDatabase[" + name + " on " + server + "]";
    }
}
