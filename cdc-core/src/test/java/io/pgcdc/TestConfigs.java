package io.pgcdc;

import io.pgcdc.testkit.TestDatabase;
import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;

/** Configurations and schema for tests against a {@link TestDatabase}. */
final class TestConfigs {

    private TestConfigs() {
    }

    /** Streaming-only capture of {@code public.transactions}, offsets in memory. */
    static CdcConfig.Builder transactions(TestDatabase db) {
        return CdcConfig.builder()
                .name("test-" + db.name())
                .host(db.host())
                .port(db.port())
                .database(db.name())
                .user(db.user())
                .password(db.password())
                .tables("public.transactions")
                .snapshotMode(SnapshotMode.NONE)
                .startTimeout(java.time.Duration.ofSeconds(60));
    }

    /** Creates the transactions table from the project's own SQL file. */
    static void createTransactions(TestDatabase db) {
        db.execute(sql("010_transactions.sql"));
    }

    static String sql(String file) {
        Path path = Path.of("..", "sql", file);
        try {
            return Files.readString(path);
        } catch (IOException e) {
            throw new UncheckedIOException("cannot read " + path.toAbsolutePath(), e);
        }
    }
}
