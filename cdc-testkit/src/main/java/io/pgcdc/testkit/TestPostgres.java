package io.pgcdc.testkit;

import io.pgcdc.testkit.internal.ContainerServer;
import io.pgcdc.testkit.internal.EmbeddedServer;
import io.pgcdc.testkit.internal.ExternalServer;
import io.pgcdc.testkit.internal.ServerHandle;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * A PostgreSQL server with logical decoding, for tests and demos.
 *
 * <p>Where the server comes from is chosen by {@link #shared()} from the environment:
 * <ul>
 *   <li>{@code PGCDC_TEST_JDBC_URL} (with {@code PGCDC_TEST_USER}, {@code PGCDC_TEST_PASSWORD}): an
 *       existing server, which must already run with {@code wal_level=logical};</li>
 *   <li>{@code PGCDC_TEST_POSTGRES=testcontainers} (with optional {@code PGCDC_TEST_IMAGE}): a Docker
 *       container, when a Docker engine answers;</li>
 *   <li>otherwise an embedded server from zonky's binaries (PostgreSQL 17), on a free loopback port,
 *       with password authentication, deleted when closed.</li>
 * </ul>
 *
 * <p>Tests isolate themselves with {@link #createDatabase(String)}: a fresh database per test whose
 * replication slots and publications go away with it. Instances are thread-safe.
 */
public final class TestPostgres implements AutoCloseable {

    /** Settings every server started here runs with: what CDC needs, and fast commits visible at once. */
    public static final Map<String, String> CDC_SETTINGS = Map.of(
            "wal_level", "logical",
            "max_replication_slots", "40",
            "max_wal_senders", "40",
            "synchronous_commit", "on",
            "max_connections", "200");

    private static final Logger LOG = LoggerFactory.getLogger(TestPostgres.class);
    private static final AtomicLong DATABASE_COUNTER = new AtomicLong();
    private static TestPostgres shared;

    private final ServerHandle server;
    private final AtomicBoolean closed = new AtomicBoolean();

    private TestPostgres(ServerHandle server) {
        this.server = server;
    }

    /**
     * Returns the server shared by every test in this JVM, starting it on first use; it is stopped by a
     * shutdown hook when the JVM exits.
     */
    public static synchronized TestPostgres shared() {
        if (shared == null || shared.closed.get()) {
            TestPostgres started = fromEnvironment();
            Runtime.getRuntime().addShutdownHook(new Thread(started::close, "pgcdc-testkit-shutdown"));
            shared = started;
        }
        return shared;
    }

    /** Starts (or connects to) the server the environment names; see the class documentation. */
    public static TestPostgres fromEnvironment() {
        String url = System.getenv("PGCDC_TEST_JDBC_URL");
        if (url != null && !url.isBlank()) {
            return new TestPostgres(ExternalServer.connect(url,
                    Objects.requireNonNullElse(System.getenv("PGCDC_TEST_USER"), "postgres"),
                    Objects.requireNonNullElse(System.getenv("PGCDC_TEST_PASSWORD"), "")));
        }
        String kind = Objects.requireNonNullElse(System.getenv("PGCDC_TEST_POSTGRES"), "embedded");
        switch (kind.toLowerCase(Locale.ROOT)) {
            case "embedded":
                return embedded().start();
            case "testcontainers":
                return new TestPostgres(ContainerServer.start(
                        Objects.requireNonNullElse(System.getenv("PGCDC_TEST_IMAGE"), "postgres:17"), CDC_SETTINGS));
            default:
                throw new IllegalArgumentException("PGCDC_TEST_POSTGRES must be 'embedded' or 'testcontainers', not '" + kind + "'");
        }
    }

    /** A builder for an embedded server, to change a setting (say {@code wal_level=replica} to test an error). */
    public static EmbeddedBuilder embedded() {
        return new EmbeddedBuilder();
    }

    /** Whether a Docker engine answers, so that {@code PGCDC_TEST_POSTGRES=testcontainers} can work. */
    public static boolean isDockerAvailable() {
        return ContainerServer.isDockerAvailable();
    }

    /** Host name clients connect to. */
    public String host() {
        return server.host();
    }

    /** TCP port clients connect to. */
    public int port() {
        return server.port();
    }

    /** A superuser (for the embedded server) or the user the environment named. */
    public String user() {
        return server.user();
    }

    /** The password of {@link #user()}. */
    public String password() {
        return server.password();
    }

    /** JDBC URL of the given database on this server. */
    public String jdbcUrl(String database) {
        return "jdbc:postgresql://" + host() + ":" + port() + "/" + database;
    }

    /** Opens a connection to the given database as {@link #user()}; the caller closes it. */
    public Connection connect(String database) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", user());
        props.setProperty("password", password());
        return DriverManager.getConnection(jdbcUrl(database), props);
    }

    /** The server's {@code server_version_num}, e.g. 170011. */
    public int versionNumber() {
        try (Connection c = connect(server.adminDatabase()); Statement s = c.createStatement();
             var rs = s.executeQuery("SHOW server_version_num")) {
            rs.next();
            return Integer.parseInt(rs.getString(1));
        } catch (SQLException e) {
            throw new IllegalStateException("cannot read server_version_num: " + e.getMessage(), e);
        }
    }

    /**
     * Creates a fresh, empty database named after {@code prefix} plus a counter; closing it drops its
     * replication slots and the database.
     */
    public TestDatabase createDatabase(String prefix) {
        String clean = prefix.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (clean.length() > 40) {
            clean = clean.substring(0, 40);
        }
        String name = "t_" + clean + "_" + ProcessHandle.current().pid() + "_" + DATABASE_COUNTER.incrementAndGet();
        try (Connection c = connect(server.adminDatabase()); Statement s = c.createStatement()) {
            // An identifier cannot be a bind parameter; the name is built above from [a-z0-9_] only.
            s.execute("CREATE DATABASE " + name);
        } catch (SQLException e) {
            throw new IllegalStateException("cannot create test database " + name + ": " + e.getMessage(), e);
        }
        return new TestDatabase(this, name);
    }

    /**
     * A handle on a database that already exists on this server (another process created it, say a
     * benchmark's parent); closing the handle leaves the database alone.
     */
    public TestDatabase attach(String name) {
        return new TestDatabase(this, name, false);
    }

    void dropDatabase(String name) throws SQLException {
        try (Connection c = connect(server.adminDatabase())) {
            // Terminate consumers first: an active slot cannot be dropped, a database with sessions neither.
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_terminate_backend(active_pid) FROM pg_replication_slots WHERE database = ? AND active_pid IS NOT NULL")) {
                ps.setString(1, name);
                ps.execute();
            }
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_terminate_backend(pid) FROM pg_stat_activity WHERE datname = ? AND pid <> pg_backend_pid()")) {
                ps.setString(1, name);
                ps.execute();
            }
            dropSlots(c, name);
            try (Statement s = c.createStatement()) {
                s.execute("DROP DATABASE IF EXISTS " + name + " WITH (FORCE)");
            }
        }
    }

    private static void dropSlots(Connection c, String database) throws SQLException {
        long deadline = System.nanoTime() + 10_000_000_000L;
        while (true) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT pg_drop_replication_slot(slot_name) FROM pg_replication_slots WHERE database = ? AND NOT active")) {
                ps.setString(1, database);
                ps.execute();
            }
            try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_replication_slots WHERE database = ?")) {
                ps.setString(1, database);
                try (var rs = ps.executeQuery()) {
                    rs.next();
                    if (rs.getLong(1) == 0 || System.nanoTime() > deadline) {
                        return;
                    }
                }
            }
            try {
                Thread.sleep(50);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            }
        }
    }

    /**
     * Restarts an embedded server on the same port and data, {@code immediate}ly (as after a crash: no
     * checkpoint, recovery from WAL at start) or after a clean shutdown; waits until it accepts
     * connections again.
     *
     * @throws UnsupportedOperationException for servers the test kit did not start
     */
    public void restart(boolean immediate) {
        if (!(server instanceof EmbeddedServer)) {
            throw new UnsupportedOperationException("only an embedded server can be restarted by the test kit");
        }
        try (Connection c = connect(server.adminDatabase()); Statement s = c.createStatement();
             var rs = s.executeQuery("SELECT current_setting('data_directory'), (SELECT setting FROM pg_config WHERE name = 'BINDIR')")) {
            rs.next();
            String dataDir = rs.getString(1);
            String binDir = rs.getString(2);
            List<String> command = new ArrayList<>();
            if (isRoot()) {
                // As zonky does: PostgreSQL refuses to run as root, but not in a user namespace of its own.
                command.addAll(List.of("unshare", "-U"));
            }
            // -l: the new postmaster logs to a file. Without it, it would inherit pg_ctl's output pipe and
            // keep it open for its whole life, and reading pg_ctl's output would wait for the server to stop.
            String log = dataDir + "/pgcdc-restart.log";
            command.addAll(List.of(binDir + "/pg_ctl", "-D", dataDir, "-l", log, "-m", immediate ? "immediate" : "fast", "-w", "-t", "60",
                    "restart"));
            java.nio.file.Path output = java.nio.file.Files.createTempFile("pgcdc-pg_ctl", ".out");
            try {
                Process p = new ProcessBuilder(command).redirectErrorStream(true).redirectOutput(output.toFile()).start();
                if (!p.waitFor(90, java.util.concurrent.TimeUnit.SECONDS)) {
                    p.destroyForcibly();
                    throw new IllegalStateException("pg_ctl restart did not finish within 90 s");
                }
                if (p.exitValue() != 0) {
                    throw new IllegalStateException("pg_ctl restart failed: " + java.nio.file.Files.readString(output));
                }
            } finally {
                java.nio.file.Files.deleteIfExists(output);
            }
        } catch (SQLException | java.io.IOException e) {
            throw new IllegalStateException("cannot restart " + this + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted while restarting " + this, e);
        }
    }

    private static boolean isRoot() {
        return "root".equals(System.getProperty("user.name"));
    }

    /** Stops the server and deletes its data (embedded and container); idempotent. */
    @Override
    public void close() {
        if (closed.compareAndSet(false, true)) {
            try {
                server.close();
            } catch (Exception e) {
                LOG.warn("stopping the test PostgreSQL failed: {}", e.toString());
            }
        }
    }

    @Override
    public String toString() {
        return "TestPostgres[" + server.description() + " at " + host() + ":" + port() + "]";
    }

    /** Builds an embedded server; every {@link #CDC_SETTINGS} entry applies unless overridden. */
    public static final class EmbeddedBuilder {
        private final Map<String, String> settings = new LinkedHashMap<>(CDC_SETTINGS);

        private EmbeddedBuilder() {
        }

        /** Sets a server setting ({@code postgresql.conf} name and value). */
        public EmbeddedBuilder setting(String name, String value) {
            settings.put(Objects.requireNonNull(name, "name"), Objects.requireNonNull(value, "value"));
            return this;
        }

        /** Starts the server; throws {@link IllegalStateException} with the reason when it cannot. */
        public TestPostgres start() {
            return new TestPostgres(EmbeddedServer.start(settings));
        }
    }
}
