package io.pgcdc.internal;

import java.nio.ByteBuffer;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import javax.sql.DataSource;
import java.util.regex.Pattern;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * Offsets in a table of a PostgreSQL database, one row per engine, written with an upsert in one
 * statement (atomic: a crash leaves the old row or the new one). The row holds the same checked
 * encoding as {@link SafeFileOffsetStore}; a row that fails its checks is an error, never a fresh start.
 * Unlike Debezium's JDBC store, it never deletes before it inserts.
 */
public final class JdbcOffsetStore extends MemoryOffsetBackingStore {

    /** JDBC URL of the database holding the table. */
    public static final String URL_PROPERTY = "pgcdc.offsets.jdbc.url";
    /** User for that database. */
    public static final String USER_PROPERTY = "pgcdc.offsets.jdbc.user";
    /** Password of that user. */
    public static final String PASSWORD_PROPERTY = "pgcdc.offsets.jdbc.password";
    /** The table, created when missing. */
    public static final String TABLE_PROPERTY = "pgcdc.offsets.jdbc.table";

    /**
     * {@code true}: the engine runs in standby mode, and every save is conditional on the epoch of the lease the
     * engine holds ({@link #lead}); a save after another replica took over fails with "leadership lost".
     */
    public static final String STANDBY_PROPERTY = "pgcdc.offsets.jdbc.standby";

    /** Names the application's {@code DataSource} registered with {@link #register}, instead of a URL. */
    public static final String DATA_SOURCE_PROPERTY = "pgcdc.offsets.jdbc.datasource";

    /** Table names the store accepts: plain lower-case identifiers, optionally schema-qualified. */
    public static final Pattern TABLE_NAME = Pattern.compile("[a-z_][a-z0-9_]{0,62}(\\.[a-z_][a-z0-9_]{0,62})?");

    private static final Map<String, DataSource> DATA_SOURCES = new ConcurrentHashMap<>();
    /** The lease each standby-mode engine holds now, by engine name. */
    private static final Map<String, Lease> LEASES = new ConcurrentHashMap<>();

    /** A lease an engine holds: whose it is and its epoch, which every offset write must still match. */
    public record Lease(Leadership leadership, long epoch) {
    }

    private boolean standby;

    private DataSource dataSource;

    private String url;
    private final Properties connection = new Properties();
    private String table;
    private String engine;
    private Connection db;

    /** Debezium instantiates the store by class name. */
    public JdbcOffsetStore() {
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        Map<String, String> p = config.originalsStrings();
        url = p.get(URL_PROPERTY);
        String dataSourceId = p.get(DATA_SOURCE_PROPERTY);
        dataSource = dataSourceId == null ? null : DATA_SOURCES.get(dataSourceId);
        table = p.get(TABLE_PROPERTY);
        engine = p.get("name");
        standby = Boolean.parseBoolean(p.get(STANDBY_PROPERTY));
        connection.setProperty("user", p.getOrDefault(USER_PROPERTY, ""));
        connection.setProperty("password", p.getOrDefault(PASSWORD_PROPERTY, ""));
        connection.setProperty("ApplicationName", "pgcdc offsets " + engine);
        if ((url == null && dataSource == null) || table == null || !TABLE_NAME.matcher(table).matches()) {
            throw new ConnectException(URL_PROPERTY + " or a registered " + DATA_SOURCE_PROPERTY + ", and a plain " + TABLE_PROPERTY
                    + " must be set");
        }
    }

    @Override
    public synchronized void start() {
        super.start();
        try {
            Connection c = connect();
            try {
                createTable(c, table);
                data = read(c, table, engine);
            } finally {
                if (dataSource != null) {
                    c.close();
                } else {
                    db = c;
                }
            }
        } catch (SQLException e) {
            throw new ConnectException("cannot read offsets from table " + table + ": " + e.getMessage(), e);
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new ConnectException(e.getMessage(), e);
        }
    }

    /**
     * Creates the offset table when missing, and commits unless in autocommit. The one place its shape is written;
     * the lease columns are {@link Leadership#prepare}'s.
     */
    static void createTable(Connection c, String table) throws SQLException {
        if (!TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not a plain table name: " + table);
        }
        try (Statement s = c.createStatement()) {
            // The table name matched TABLE_NAME: it cannot carry SQL.
            s.execute("CREATE TABLE IF NOT EXISTS " + table
                    + " (engine text PRIMARY KEY, offsets bytea NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    /** The engine's offsets in the table; empty when it has no row yet. */
    public static Map<ByteBuffer, ByteBuffer> read(Connection db, String table, String engine)
            throws SQLException, SafeFileOffsetStore.CorruptOffsetsException {
        if (!TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not a plain table name: " + table);
        }
        try (PreparedStatement ps = db.prepareStatement("SELECT offsets FROM " + table + " WHERE engine = ?")) {
            ps.setString(1, engine);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return new HashMap<>();
                }
                return SafeFileOffsetStore.decode(rs.getBytes(1), "the offsets of engine '" + engine + "' in table " + table);
            }
        }
    }

    @Override
    protected void save() {
        if (dataSource != null) {
            // The application's pool: borrow a connection for this save only.
            try (Connection c = dataSource.getConnection()) {
                upsert(c);
            } catch (SQLException e) {
                throw new ConnectException("cannot store offsets in table " + table + ": " + e.getMessage(), e);
            }
            return;
        }
        try {
            if (db == null || db.isClosed()) {
                db = connect();
            }
            upsert(db);
        } catch (SQLException first) {
            // A lost connection (the server restarted, the backend was terminated): open another once and try again.
            try {
                closeQuietly();
                db = connect();
                upsert(db);
            } catch (SQLException e) {
                e.addSuppressed(first);
                throw new ConnectException("cannot store offsets in table " + table + ": " + e.getMessage(), e);
            }
        }
    }

    private void upsert(Connection c) throws SQLException {
        if (standby) {
            upsertUnderLease(c);
        } else {
            upsert(c, table, engine, data);
        }
        if (!c.getAutoCommit()) {
            c.commit();
        }
    }

    /** Writes the offsets only while the lease this engine registered ({@link #lead}) is the current one. */
    private void upsertUnderLease(Connection c) throws SQLException {
        Lease lease = LEASES.get(engine);
        if (lease == null) {
            throw new ConnectException("engine '" + engine + "' holds no lease: it may not store offsets");
        }
        if (!lease.leadership().storeOffsets(c, lease.epoch(), SafeFileOffsetStore.encode(data))) {
            String lost = lease.leadership().lostTo(c);
            if (!c.getAutoCommit()) {
                c.rollback();
            }
            throw new LeadershipLostException(lost);
        }
    }

    /** Writes an engine's offsets to its row; the caller commits. The table name must match {@link #TABLE_NAME}. */
    static void upsert(Connection c, String table, String engine, Map<ByteBuffer, ByteBuffer> data) throws SQLException {
        if (!TABLE_NAME.matcher(table).matches()) {
            throw new IllegalArgumentException("not a plain table name: " + table);
        }
        try (PreparedStatement ps = c.prepareStatement("INSERT INTO " + table + " (engine, offsets) VALUES (?, ?)"
                + " ON CONFLICT (engine) DO UPDATE SET offsets = EXCLUDED.offsets, updated_at = now()")) {
            ps.setString(1, engine);
            ps.setBytes(2, SafeFileOffsetStore.encode(data));
            ps.executeUpdate();
        }
    }

    private Connection connect() throws SQLException {
        return dataSource != null ? dataSource.getConnection() : DriverManager.getConnection(url, connection);
    }

    private void closeQuietly() {
        if (db != null) {
            try {
                db.close();
            } catch (SQLException e) {
                // Already broken: nothing to close cleanly.
            }
            db = null;
        }
    }

    /** A save refused because another replica took the engine over (its epoch moved on). */
    public static final class LeadershipLostException extends ConnectException {
        private static final long serialVersionUID = 1L;

        LeadershipLostException(String message) {
            super(message);
        }
    }

    /** Records the lease the standby-mode engine {@code engine} holds; its stores write only while it is current. */
    public static void lead(String engine, Lease lease) {
        LEASES.put(engine, lease);
    }

    /** Forgets the lease of {@code engine} (it stopped): its stores can write nothing more. */
    public static void unlead(String engine) {
        LEASES.remove(engine);
    }

    /** Makes {@code dataSource} known to stores configured with {@code id} under {@link #DATA_SOURCE_PROPERTY}. */
    public static void register(String id, DataSource dataSource) {
        DATA_SOURCES.put(id, dataSource);
    }

    /** Forgets a registered {@code DataSource}. */
    public static void unregister(String id) {
        DATA_SOURCES.remove(id);
    }

    /** Opens a connection the way a store with these settings would, for the start-up check. */
    public static Connection connect(io.pgcdc.OffsetStore.JdbcStore store) throws SQLException {
        if (store.dataSource() != null) {
            return store.dataSource().getConnection();
        }
        Properties props = new Properties();
        props.setProperty("user", store.user());
        props.setProperty("password", store.password());
        return DriverManager.getConnection(store.url(), props);
    }

    @Override
    public synchronized void stop() {
        super.stop();
        closeQuietly();
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return new SafeFileOffsetStore.PartitionReader(data).partitions(connectorName);
    }
}
