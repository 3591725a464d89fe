package io.pgcdc;

import java.nio.file.Path;
import java.util.Objects;
import java.util.regex.Pattern;
import javax.sql.DataSource;

/**
 * Where the engine keeps its position (the offset of the last acknowledged event), so that a restart
 * resumes right after it. One of three immutable kinds: {@link #file}, {@link #jdbc} and {@link #memory}.
 */
public sealed interface OffsetStore permits OffsetStore.FileStore, OffsetStore.JdbcStore, OffsetStore.MemoryStore {

    /** The table {@link #jdbc} uses unless {@link JdbcStore#table(String)} names another. */
    String DEFAULT_JDBC_TABLE = "pgcdc_offsets";

    /**
     * Offsets in a file that survives restarts and crashes: every save writes a new file, forces it to
     * disk and renames it into place, so a crash leaves the old or the new offsets, never a torn file.
     * A missing file means "first start"; a corrupt one stops {@link CdcEngine#start()} with an error
     * instead of silently starting over. Its directory is created when missing. One file per engine.
     */
    static FileStore file(Path file) {
        Objects.requireNonNull(file, "file");
        return new FileStore(file.toAbsolutePath().normalize());
    }

    /**
     * Offsets in a table of a PostgreSQL database (the application's own, for instance), one row per
     * engine name, created when missing ({@code engine text primary key, offsets bytea, updated_at}).
     * Each save is one upsert; a row that fails its checks is an error, never a fresh start. A lost
     * connection is opened again on the next save.
     */
    static JdbcStore jdbc(String jdbcUrl, String user, String password) {
        Objects.requireNonNull(jdbcUrl, "jdbcUrl");
        Objects.requireNonNull(user, "user");
        Objects.requireNonNull(password, "password");
        if (!jdbcUrl.startsWith("jdbc:postgresql:")) {
            throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:");
        }
        return new JdbcStore(jdbcUrl, user, password, null, DEFAULT_JDBC_TABLE);
    }

    /**
     * Offsets in a table of the PostgreSQL database behind the application's own {@code DataSource} (a
     * pool, typically): the same table and checks as {@link #jdbc(String, String, String)}; the engine
     * borrows a connection for each save and returns it.
     */
    static JdbcStore jdbc(DataSource dataSource) {
        return new JdbcStore(null, null, null, Objects.requireNonNull(dataSource, "dataSource"), DEFAULT_JDBC_TABLE);
    }

    /**
     * Offsets in memory, lost when the engine stops: a new engine starts from the replication slot's
     * position (and, with {@link SnapshotMode#INITIAL}, snapshots again). For tests and throwaway use.
     */
    static MemoryStore memory() {
        return MemoryStore.INSTANCE;
    }

    /** Offsets in a crash-safe file; see {@link OffsetStore#file}. */
    record FileStore(Path file) implements OffsetStore {
        /** Checks the path. */
        public FileStore {
            Objects.requireNonNull(file, "file");
        }

        @Override
        public String toString() {
            return "file:" + file;
        }
    }

    /** Offsets in memory; see {@link OffsetStore#memory}. */
    final class MemoryStore implements OffsetStore {
        private static final MemoryStore INSTANCE = new MemoryStore();

        private MemoryStore() {
        }

        @Override
        public String toString() {
            return "memory";
        }
    }

    /** Offsets in a PostgreSQL table; see {@link OffsetStore#jdbc}. Never prints its password. */
    final class JdbcStore implements OffsetStore {
        private static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?");

        private final String url;
        private final String user;
        private final String password;
        private final DataSource dataSource;
        private final String table;

        private JdbcStore(String url, String user, String password, DataSource dataSource, String table) {
            this.url = url;
            this.user = user;
            this.password = password;
            this.dataSource = dataSource;
            this.table = table;
        }

        /** The same store in another table: a plain lower-case name, optionally schema-qualified. */
        public JdbcStore table(String table) {
            Objects.requireNonNull(table, "table");
            if (!TABLE_NAME.matcher(table).matches()) {
                throw new IllegalArgumentException("table must be a lower-case SQL identifier, optionally schema-qualified, not '" + table + "'");
            }
            return new JdbcStore(url, user, password, dataSource, table);
        }

        /** The database's JDBC URL; {@code null} for a store on a {@code DataSource}. */
        public String url() {
            return url;
        }

        /** The user; {@code null} for a store on a {@code DataSource}. */
        public String user() {
            return user;
        }

        /** The password (never printed); {@code null} for a store on a {@code DataSource}. */
        public String password() {
            return password;
        }

        /** The application's {@code DataSource}; {@code null} for a store on a URL. */
        public DataSource dataSource() {
            return dataSource;
        }

        /** The table. */
        public String table() {
            return table;
        }

        @Override
        public boolean equals(Object o) {
            if (!(o instanceof JdbcStore)) {
                return false;
            }
            JdbcStore s = (JdbcStore) o;
            return Objects.equals(url, s.url) && Objects.equals(user, s.user) && Objects.equals(password, s.password)
                    && dataSource == s.dataSource && table.equals(s.table);
        }

        @Override
        public int hashCode() {
            return Objects.hash(url, user, table, System.identityHashCode(dataSource));
        }

        @Override
        public String toString() {
            if (dataSource != null) {
                return "jdbc:" + dataSource.getClass().getSimpleName() + ", table " + table;
            }
            return CdcConfig.maskSecret("url", url) + " as " + user + ", table " + table;
        }
    }
}
