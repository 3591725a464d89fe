package io.pgcdc.examples;

import io.pgcdc.testkit.TestPostgres;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import org.postgresql.Driver;
import org.postgresql.PGProperty;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Option;

/**
 * Where the examples connect: a server named by {@code --url} or by {@code --host}, {@code --port}
 * and {@code --database}, or, given none, an embedded PostgreSQL started for the run (nothing to
 * install) and deleted when it ends.
 */
final class ConnectionOptions {

    /** How {@code --apply-sql} reads, for the examples that apply {@code sql/} to a named server only when asked. */
    static final String APPLY_SQL = "apply sql/ (table, audit triggers, publication, capture role; idempotent) to the server"
            + " named by --host or --url before starting; always done on the embedded server";

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Server server;

    @Option(names = "--user", description = "user that writes and applies sql/ (default: ${DEFAULT-VALUE})")
    String user = "postgres";

    @Option(names = "--password-env", paramLabel = "VAR", description = "environment variable with --user's password (default: ${DEFAULT-VALUE})")
    String passwordEnv = "PGPASSWORD";

    @Option(names = "--capture-user", description = "role the engine connects as (default: --user; embedded: pgcdc_capture)")
    String captureUser;

    @Option(names = "--capture-password-env", paramLabel = "VAR",
            description = "environment variable with --capture-user's password (default: ${DEFAULT-VALUE})")
    String capturePasswordEnv = "PGCDC_CAPTURE_PASSWORD";

    /** A named server: a JDBC URL, or host, port and database; not both. */
    static final class Server {
        @ArgGroup(exclusive = false)
        Url url;

        @ArgGroup(exclusive = false)
        Parts parts;

        Address address() {
            return url != null ? url.address : new Address(parts.host, parts.port, parts.database);
        }
    }

    /** {@code --url}, in a group of its own so that picocli names both sides when it is given with {@code --host}. */
    static final class Url {
        @Option(names = "--url", required = true, paramLabel = "JDBC_URL", converter = JdbcUrl.class,
                description = "jdbc:postgresql://host:port/database, instead of --host, --port and --database")
        Address address;
    }

    /** {@code --host}, {@code --port} and {@code --database}. */
    static final class Parts {
        @Option(names = "--host", required = true,
                description = "PostgreSQL host; without it (or --url) an embedded PostgreSQL is started for this run")
        String host;

        @Option(names = "--port", defaultValue = "5432", description = "PostgreSQL port (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--database", defaultValue = "postgres", description = "database (default: ${DEFAULT-VALUE})")
        String database;
    }

    /** Where a named server is. */
    record Address(String host, int port, String database) {
    }

    /**
     * Reads {@code --url} with pgjdbc's own parser: one host, no parameters (the user and password have
     * their options). Its messages never repeat the URL, which may hold a password.
     */
    static final class JdbcUrl implements CommandLine.ITypeConverter<Address> {
        @Override
        public Address convert(String url) {
            Properties p = Driver.parseURL(url, null);
            if (p == null) {
                throw new CommandLine.TypeConversionException("not a PostgreSQL JDBC URL such as jdbc:postgresql://localhost:5432/postgres");
            }
            String host = PGProperty.PG_HOST.getOrDefault(p);
            String port = PGProperty.PG_PORT.getOrDefault(p);
            if (host.contains(",")) {
                throw new CommandLine.TypeConversionException("it names several hosts; name one");
            }
            Set<String> parameters = new TreeSet<>(p.stringPropertyNames());
            parameters.removeAll(Set.of(PGProperty.PG_HOST.getName(), PGProperty.PG_PORT.getName(), PGProperty.PG_DBNAME.getName()));
            if (!parameters.isEmpty()) {
                throw new CommandLine.TypeConversionException("it has parameters " + parameters + "; give"
                        + " jdbc:postgresql://host:port/database, the user with --user and the password in the environment (--password-env)");
            }
            String database = p.getProperty(PGProperty.PG_DBNAME.getName(), "postgres");
            return new Address(host, Integer.parseInt(port), database);
        }
    }

    /** Whether no server was named, so an embedded one will be started. */
    boolean embedded() {
        return server == null;
    }

    /**
     * Starts the embedded server and applies {@code sql/} to it, or describes the named one and applies
     * {@code sql/} there only when {@code applySqlToNamedServer}.
     */
    DemoDatabase open(boolean applySqlToNamedServer) {
        if (embedded()) {
            TestPostgres pg = TestPostgres.embedded().start();
            String capturePassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
            DemoDatabase db = new DemoDatabase(pg, pg.host(), pg.port(), "postgres", pg.user(), pg.password(),
                    io.pgcdc.generator.Schema.CAPTURE_ROLE, capturePassword);
            db.applySql(capturePassword);
            return db;
        }
        Address address = server.address();
        String password = Objects.requireNonNullElse(System.getenv(passwordEnv), "");
        String capture = captureUser == null ? user : captureUser;
        String capturePassword = captureUser == null ? password : Objects.requireNonNullElse(System.getenv(capturePasswordEnv), "");
        DemoDatabase db = new DemoDatabase(null, address.host(), address.port(), address.database(), user, password, capture, capturePassword);
        if (applySqlToNamedServer) {
            db.applySql(null);
        }
        return db;
    }
}
