package io.pgcdc;

import io.pgcdc.internal.DebeziumProperties;
import io.pgcdc.internal.JdbcOffsetStore;
import java.nio.file.Path;
import java.util.Objects;
import java.util.Optional;

/**
 * Where the engine keeps its position (the offset of the last acknowledged event), so that a restart
 * resumes right after it. Immutable.
 */
public final class OffsetStore {

    /** The table {@link #jdbc} uses unless {@link #table(String)} names another. */
    public static final String DEFAULT_JDBC_TABLE = "pgcdc_offsets";

    private static final OffsetStore MEMORY = new OffsetStore(null, null, null, null, null);

    private final Path file;
    private final String jdbcUrl;
    private final String jdbcUser;
    private final String jdbcPassword;
    private final String jdbcTable;

    private OffsetStore(Path file, String jdbcUrl, String jdbcUser, String jdbcPassword, String jdbcTable) {
        this.file = file;
        this.jdbcUrl = jdbcUrl;
        this.jdbcUser = jdbcUser;
        this.jdbcPassword = jdbcPassword;
        this.jdbcTable = jdbcTable;
    }

    /**
     * Offsets in a file that survives restarts and crashes: every save writes a new file, forces it to
     * disk and renames it into place, so a crash leaves the old or the new offsets, never a torn file.
     * A missing file means "first start"; a corrupt one stops {@link CdcEngine#start()} with an error
     * instead of silently starting over. Its directory is created when missing. One file per engine.
     */
    public static OffsetStore file(Path file) {
        Objects.requireNonNull(file, "file");
        return new OffsetStore(file.toAbsolutePath().normalize(), null, null, null, null);
    }

    /**
     * Offsets in a table of a PostgreSQL database (the application's own, for instance), one row per
     * engine name, created when missing ({@code engine text primary key, offsets bytea, updated_at}).
     * Each save is one upsert; a row that fails its checks is an error, never a fresh start.
     */
    public static OffsetStore jdbc(String jdbcUrl, String user, String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:");
        }
        return new OffsetStore(null, jdbcUrl, user, password, DEFAULT_JDBC_TABLE);
    }

    /** The same JDBC store in another table: a plain lower-case name, optionally schema-qualified. */
    public OffsetStore table(String table) {
        Objects.requireNonNull(table, "table");
        if (jdbcUrl == null) {
            throw new IllegalStateException("only a jdbc offset store has a table");
        }
        if (!JdbcOffsetStore.TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("table must be a lower-case SQL identifier, optionally schema-qualified, not '" + table + "'");
        }
        return new OffsetStore(null, jdbcUrl, jdbcUser, jdbcPassword, table);
    }

    /**
     * Offsets in memory, lost when the engine stops: a new engine starts from the replication slot's
     * position (and, with {@link SnapshotMode#INITIAL}, snapshots again). For tests and throwaway use.
     */
    public static OffsetStore memory() {
        return MEMORY;
    }

    /** The file, for a file store. */
    public Optional<Path> file() {
        return Optional.ofNullable(file);
    }

    /** The database's JDBC URL, for a JDBC store. */
    public Optional<String> jdbcUrl() {
        return Optional.ofNullable(jdbcUrl);
    }

    /** The user of a JDBC store; {@code null} for other stores. */
    public String jdbcUser() {
        return jdbcUser;
    }

    /** The password of a JDBC store (never printed); {@code null} for other stores. */
    public String jdbcPassword() {
        return jdbcPassword;
    }

    /** The table of a JDBC store; {@code null} for other stores. */
    public String jdbcTable() {
        return jdbcTable;
    }

    @Override
    public boolean equals(Object o) {
        if (!(o instanceof OffsetStore)) {
            return false;
        }
        OffsetStore s = (OffsetStore) o;
        return Objects.equals(file, s.file) && Objects.equals(jdbcUrl, s.jdbcUrl) && Objects.equals(jdbcUser, s.jdbcUser)
                && Objects.equals(jdbcPassword, s.jdbcPassword) && Objects.equals(jdbcTable, s.jdbcTable);
    }

    @Override
    public int hashCode() {
        return Objects.hash(file, jdbcUrl, jdbcUser, jdbcTable);
    }

    @Override
    public String toString() {
        if (file != null) {
            return "file:" + file;
        }
        if (jdbcUrl != null) {
            return "jdbc:" + DebeziumProperties.maskValue("url", jdbcUrl) + " as " + jdbcUser + ", table " + jdbcTable;
        }
        return "memory";
    }
}
