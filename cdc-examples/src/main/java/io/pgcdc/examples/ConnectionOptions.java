package io.pgcdc.examples;

import io.pgcdc.testkit.TestPostgres;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Objects;
import picocli.CommandLine.Option;

/**
 * Where the examples connect: a server named by options, or, given no {@code --host}, an embedded
 * PostgreSQL started for the run (nothing to install) and deleted when it ends.
 */
final class ConnectionOptions {

    @Option(names = "--host", description = "PostgreSQL host; without it an embedded PostgreSQL is started for this run")
    String host;

    @Option(names = "--port", description = "PostgreSQL port (default: ${DEFAULT-VALUE})")
    int port = 5432;

    @Option(names = "--database", description = "database (default: ${DEFAULT-VALUE})")
    String database = "postgres";

    @Option(names = "--user", description = "user that writes and applies sql/ (default: ${DEFAULT-VALUE})")
    String user = "postgres";

    @Option(names = "--password-env", paramLabel = "VAR", description = "environment variable with --user's password (default: ${DEFAULT-VALUE})")
    String passwordEnv = "PGPASSWORD";

    @Option(names = "--capture-user", description = "role the engine connects as (default: --user; embedded: pgcdc_capture)")
    String captureUser;

    @Option(names = "--capture-password-env", paramLabel = "VAR",
            description = "environment variable with --capture-user's password (default: ${DEFAULT-VALUE})")
    String capturePasswordEnv = "PGCDC_CAPTURE_PASSWORD";

    /** Whether no server was named, so an embedded one will be started. */
    boolean embedded() {
        return host == null;
    }

    /** Starts the embedded server or describes the named one; applies {@code sql/} when asked. */
    DemoDatabase open(boolean applySql) {
        if (embedded()) {
            TestPostgres pg = TestPostgres.embedded().start();
            String capturePassword = HexFormat.of().formatHex(new SecureRandom().generateSeed(12));
            DemoDatabase db = new DemoDatabase(pg, pg.host(), pg.port(), "postgres", pg.user(), pg.password(),
                    io.pgcdc.generator.Schema.CAPTURE_ROLE, capturePassword);
            if (applySql) {
                db.applySql(capturePassword);
            }
            return db;
        }
        String password = Objects.requireNonNullElse(System.getenv(passwordEnv), "");
        String capture = captureUser == null ? user : captureUser;
        String capturePassword = captureUser == null ? password : Objects.requireNonNullElse(System.getenv(capturePasswordEnv), "");
        DemoDatabase db = new DemoDatabase(null, host, port, database, user, password, capture, capturePassword);
        if (applySql) {
            db.applySql(null);
        }
        return db;
    }
}
