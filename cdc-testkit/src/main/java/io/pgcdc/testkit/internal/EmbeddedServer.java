package io.pgcdc.testkit.internal;

import io.zonky.test.db.postgres.embedded.EmbeddedPostgres;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HexFormat;
import java.util.Map;

/**
 * zonky's embedded PostgreSQL, made fit for CDC: the given settings, and password (SCRAM)
 * authentication on TCP so that wrong-password paths behave as on a real server.
 */
public final class EmbeddedServer implements ServerHandle {

    private static final String USER = "postgres";

    private final EmbeddedPostgres postgres;
    private final String password;

    private EmbeddedServer(EmbeddedPostgres postgres, String password) {
        this.postgres = postgres;
        this.password = password;
    }

    /** Starts a server with the given {@code postgresql.conf} settings. */
    public static EmbeddedServer start(Map<String, String> settings) {
        EmbeddedPostgres.Builder builder = EmbeddedPostgres.builder()
                .setPGStartupWait(java.time.Duration.ofSeconds(60))
                .setCleanDataDirectory(true)
                .setRegisterShutdownHook(true);
        settings.forEach(builder::setServerConfig);
        EmbeddedPostgres pg;
        try {
            pg = builder.start();
        } catch (IOException e) {
            throw new IllegalStateException("cannot start embedded PostgreSQL: " + e.getMessage(), e);
        }
        String password = randomPassword();
        try {
            requirePassword(pg, password);
        } catch (SQLException | IOException e) {
            closeQuietly(pg);
            throw new IllegalStateException("cannot configure authentication of embedded PostgreSQL: " + e.getMessage(), e);
        }
        return new EmbeddedServer(pg, password);
    }

    /**
     * zonky's initdb trusts every connection; set a password for the superuser and require it on TCP,
     * then reload the configuration.
     */
    private static void requirePassword(EmbeddedPostgres pg, String password) throws SQLException, IOException {
        try (Connection c = pg.getPostgresDatabase().getConnection(); Statement s = c.createStatement()) {
            s.execute("SET password_encryption = 'scram-sha-256'");
            // A role password cannot be a bind parameter; the value is hex generated above, never user input.
            s.execute("ALTER ROLE " + USER + " PASSWORD '" + password + "'");
            String dataDir;
            try (var rs = s.executeQuery("SHOW data_directory")) {
                rs.next();
                dataDir = rs.getString(1);
            }
            Files.writeString(Path.of(dataDir, "pg_hba.conf"), String.join("\n",
                    "# written by pgcdc-testkit: password authentication on TCP, replication included",
                    "local   all          all                    trust",
                    "host    all          all   127.0.0.1/32     scram-sha-256",
                    "host    all          all   ::1/128          scram-sha-256",
                    "host    replication  all   127.0.0.1/32     scram-sha-256",
                    "host    replication  all   ::1/128          scram-sha-256",
                    ""), StandardCharsets.UTF_8);
            s.execute("SELECT pg_reload_conf()");
        }
    }

    private static String randomPassword() {
        byte[] bytes = new byte[16];
        new SecureRandom().nextBytes(bytes);
        return HexFormat.of().formatHex(bytes);
    }

    private static void closeQuietly(EmbeddedPostgres pg) {
        try {
            pg.close();
        } catch (IOException ignored) {
            // Already failing; the start error is the one to report.
        }
    }

    @Override
    public String host() {
        return "localhost";
    }

    @Override
    public int port() {
        return postgres.getPort();
    }

    @Override
    public String user() {
        return USER;
    }

    @Override
    public String password() {
        return password;
    }

    @Override
    public String adminDatabase() {
        return "postgres";
    }

    @Override
    public String description() {
        return "embedded PostgreSQL";
    }


    @Override
    public void close() throws IOException {
        postgres.close();
    }
}
