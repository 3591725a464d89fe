package io.pgcdc.internal;

import io.debezium.config.CommonConnectorConfig;
import io.debezium.config.Configuration;
import io.debezium.connector.postgresql.PostgresConnectorConfig;
import io.debezium.connector.postgresql.PostgresValueConverter;
import io.debezium.connector.postgresql.TypeRegistry;
import io.debezium.connector.postgresql.connection.PostgresConnection;
import io.debezium.connector.postgresql.connection.PostgresDefaultValueConverter;
import io.debezium.converters.custom.CustomConverterServiceProvider;
import io.debezium.relational.CustomConverterRegistry;
import io.debezium.relational.Table;
import io.debezium.relational.TableSchema;
import io.debezium.relational.Tables;
import io.debezium.relational.mapping.ColumnMappers;
import io.debezium.util.ColumnUtils;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcException;
import io.pgcdc.FailureReason;
import io.pgcdc.TableId;
import java.nio.charset.Charset;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.Queue;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.BlockingQueue;
import java.util.concurrent.ConcurrentLinkedQueue;
import java.util.concurrent.TimeUnit;
import java.util.function.BooleanSupplier;
import java.util.regex.Pattern;
import org.apache.kafka.connect.data.Schema;
import org.apache.kafka.connect.data.Struct;
import org.postgresql.PGConnection;
import org.postgresql.PGProperty;
import org.postgresql.replication.LogSequenceNumber;
import org.postgresql.replication.ReplicationSlotInfo;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The engine's own initial snapshot: every captured table read over several connections that share one
 * exported snapshot, rows converted exactly as Debezium's snapshot converts them (its value converters,
 * the engine's converter, the application's), handed on in bounded chunks.
 *
 * <p>Consistency with the stream: when the replication slot does not exist, it is created over a
 * replication connection with an exported snapshot, and the stream starts exactly at the slot's
 * consistent point. When it exists (a snapshot cut short, or {@code ALWAYS}), a snapshot is exported by
 * an ordinary repeatable-read transaction and the stream starts where the slot (or the stored offsets)
 * stand, which is never after it: changes in between come again after the rows, so applying events in
 * order still ends with the tables' content.
 *
 * <p>{@link #open} runs on the starting thread; {@link #read} on the delivery thread, with reader threads
 * of its own; {@link #close} from any thread.
 */
public final class SnapshotSession implements AutoCloseable {

    /** Makes what the delivery thread receives from one row; called on reader threads, concurrently. */
    public interface RowFactory<T> {
        /**
         * @param key the key's values by field of {@link CapturedTable#keySchema()}, null for a table without key
         * @param values the row's values as Debezium converts them, by field of {@link CapturedTable#valueSchema()}
         */
        T make(CapturedTable table, Object[] key, Object[] values);
    }

    /** Receives chunks of rows on the thread that called {@link #read}. */
    public interface ChunkConsumer<T> {
        void accept(List<T> rows) throws Exception;
    }

    /** One captured table as the snapshot reads it. */
    public static final class CapturedTable {
        private final TableId id;
        private final Table table;
        private final TableSchema schema;
        private final SnapshotSchemaBuilder.RowValues values;
        private final SnapshotSchemaBuilder.RowValues keys;
        private final long estimatedRows;

        CapturedTable(TableId id, Table table, TableSchema schema, SnapshotSchemaBuilder.RowValues values,
                      SnapshotSchemaBuilder.RowValues keys, long estimatedRows) {
            this.id = id;
            this.table = table;
            this.schema = schema;
            this.values = values;
            this.keys = keys;
            this.estimatedRows = estimatedRows;
        }

        /** The key's values by field of {@link #keySchema()}; null for a table without key. */
        Object[] key(Object[] row) {
            if (schema.keySchema() == null) {
                return null;
            }
            if (keys != null) {
                return keys.convert(row);
            }
            Struct key = schema.keyFromColumnData(row);
            List<org.apache.kafka.connect.data.Field> fields = key.schema().fields();
            Object[] values = new Object[fields.size()];
            for (int i = 0; i < values.length; i++) {
                values[i] = key.get(fields.get(i));
            }
            return values;
        }

        public TableId id() {
            return id;
        }

        /** The schema of the table's rows, one object for every row of this snapshot. */
        public Schema valueSchema() {
            return schema.valueSchema();
        }

        /** The schema of the key; null for a table without primary key. */
        public Schema keySchema() {
            return schema.keySchema();
        }

        /** {@code pg_class.reltuples}; -1 when PostgreSQL has no estimate (never analysed). */
        public long estimatedRows() {
            return estimatedRows;
        }
    }

    /** A part of one table that one reader reads in one query. */
    private static final class Unit {
        final CapturedTable table;
        final long fromPage;
        final long toPage;

        Unit(CapturedTable table, long fromPage, long toPage) {
            this.table = table;
            this.fromPage = fromPage;
            this.toPage = toPage;
        }
    }

    private static final Logger LOG = LoggerFactory.getLogger(SnapshotSession.class);
    private static final Pattern SNAPSHOT_NAME = Pattern.compile("[0-9A-Fa-f-]{1,64}");
    /** Rows per chunk handed to the delivery thread. */
    static final int CHUNK_ROWS = 1_000;
    /** Rows pgjdbc fetches per round trip. */
    private static final int FETCH_ROWS = 2_000;
    /** Smallest block range worth a query of its own: 8 MB of 8 kB pages. */
    private static final long MIN_UNIT_PAGES = 1_024;
    private static final Object DONE = new Object();

    private final CdcConfig config;
    private final List<CapturedTable> tables;
    private final Queue<Unit> units;
    private final List<PostgresConnection> readers;
    private final long consistentAt;
    private final long streamFrom;
    private final boolean createdSlot;
    private final Instant startedAt;
    private volatile boolean stopped;

    private SnapshotSession(CdcConfig config, List<CapturedTable> tables, Queue<Unit> units, List<PostgresConnection> readers,
                            long consistentAt, long streamFrom, boolean createdSlot, Instant startedAt) {
        this.config = config;
        this.tables = tables;
        this.units = units;
        this.readers = readers;
        this.consistentAt = consistentAt;
        this.streamFrom = streamFrom;
        this.createdSlot = createdSlot;
        this.startedAt = startedAt;
    }

    /**
     * Makes sure the publication and the slot exist, exports a snapshot, has every reader import it and
     * reads the tables' structure in it. Returns once the position the stream starts from is fixed: every
     * change committed after it will be delivered after the snapshot's rows.
     *
     * @param properties the engine's Debezium properties (connection, converters, filters)
     * @param storedPosition where the stored offsets resume streaming; empty when there are none
     * @param timeout how long creating the slot may wait for transactions in progress
     */
    public static SnapshotSession open(CdcConfig config, Properties properties, OptionalLong storedPosition, Duration timeout) {
        PostgresConnectorConfig connectorConfig = new PostgresConnectorConfig(Configuration.from(properties));
        List<PostgresConnection> readers = new ArrayList<>();
        Connection control = Preflight.openConnection(config);
        Connection replication = null;
        try {
            int serverVersion = serverVersion(control);
            ensurePublication(control, config, properties);
            Long confirmed = confirmedFlush(control, config.slotName());
            String snapshotName;
            long consistentAt;
            long streamFrom;
            boolean created = confirmed == null;
            Instant startedAt = Instant.now();
            if (created) {
                replication = openReplication(config);
                ReplicationSlotInfo slot = createSlot(replication, config, timeout);
                snapshotName = slot.getSnapshotName();
                consistentAt = slot.getConsistentPoint().asLong();
                streamFrom = consistentAt;
                LOG.info("engine '{}': created replication slot '{}' at {} with an exported snapshot", config.name(), config.slotName(),
                        slot.getConsistentPoint());
            } else {
                control.setAutoCommit(false);
                try (Statement s = control.createStatement()) {
                    s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                    try (ResultSet rs = s.executeQuery("SELECT pg_export_snapshot(), pg_current_wal_lsn()::text")) {
                        rs.next();
                        snapshotName = rs.getString(1);
                        consistentAt = LogSequenceNumber.valueOf(rs.getString(2)).asLong();
                    }
                }
                streamFrom = storedPosition.isPresent() ? storedPosition.getAsLong() : confirmed;
                LOG.info("engine '{}': replication slot '{}' exists; the snapshot is taken at {} and the stream starts at {}",
                        config.name(), config.slotName(), LogSequenceNumber.valueOf(consistentAt), LogSequenceNumber.valueOf(streamFrom));
            }
            if (!SNAPSHOT_NAME.matcher(snapshotName).matches()) {
                throw new IllegalStateException("PostgreSQL exported a snapshot named '" + snapshotName + "'");
            }
            List<Unit> planned = new ArrayList<>();
            List<TableId> captured = config.tables();
            Map<TableId, long[]> sizes = sizes(control, captured);
            int readerCount = Math.max(1, config.snapshotParallelism());

            Charset charset;
            try (PostgresConnection temp = new PostgresConnection(connectorConfig.getJdbcConfig(), PostgresConnection.CONNECTION_GENERAL)) {
                charset = temp.getDatabaseCharset();
            }
            TypeRegistry typeRegistry = PostgresConnection.createTypeRegistry(connectorConfig.getJdbcConfig());
            PostgresConnection.PostgresValueConverterBuilder converters = registry -> PostgresValueConverter.of(connectorConfig, charset, registry);
            // Units first: no more readers than there are units.
            Map<TableId, List<long[]>> rangesByTable = new HashMap<>();
            int unitCount = 0;
            for (TableId t : captured) {
                List<long[]> ranges = ranges(sizes.get(t), serverVersion, readerCount);
                rangesByTable.put(t, ranges);
                unitCount += ranges.size();
            }
            readerCount = Math.min(readerCount, Math.max(1, unitCount));
            for (int i = 0; i < readerCount; i++) {
                PostgresConnection reader = new PostgresConnection(connectorConfig.getJdbcConfig(), typeRegistry, converters,
                        "pgcdc " + config.name() + " snapshot");
                readers.add(reader);
                Connection c = reader.connection();
                c.setAutoCommit(false);
                try (Statement s = c.createStatement()) {
                    s.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ, READ ONLY");
                    // The name came from PostgreSQL and matched SNAPSHOT_NAME: it cannot carry SQL.
                    s.execute("SET TRANSACTION SNAPSHOT '" + snapshotName + "'");
                }
            }
            // Every reader holds the snapshot now: the exporting connection may go.
            if (replication != null) {
                replication.close();
                replication = null;
            }
            if (!control.getAutoCommit()) {
                control.rollback();
            }
            List<CapturedTable> capturedTables = schemas(connectorConfig, readers.get(0), config, sizes);
            for (CapturedTable t : capturedTables) {
                for (long[] range : rangesByTable.get(t.id())) {
                    planned.add(new Unit(t, range[0], range[1]));
                }
            }
            LOG.info("engine '{}': snapshot of {} in {} parts over {} connections", config.name(), captured, planned.size(), readers.size());
            return new SnapshotSession(config, capturedTables, new ConcurrentLinkedQueue<>(planned), readers, consistentAt, streamFrom,
                    created, startedAt);
        } catch (SQLException e) {
            closeAll(readers);
            throw new CdcException(Preflight.reasonOf(e), "engine '" + config.name() + "' cannot start its snapshot: " + e.getMessage(), e);
        } catch (CdcException e) {
            closeAll(readers);
            throw e;
        } catch (RuntimeException e) {
            closeAll(readers);
            throw new CdcException(FailureReason.INTERNAL, "engine '" + config.name() + "' cannot start its snapshot: " + e, e);
        } finally {
            closeQuietly(replication);
            closeQuietly(control);
        }
    }

    /** Where the rows are consistent: the slot's consistent point, or the server's position at export. */
    public long consistentAt() {
        return consistentAt;
    }

    /** Where streaming starts after the snapshot: every change committed after it follows the rows. */
    public long streamFrom() {
        return streamFrom;
    }

    /** Whether this snapshot created the replication slot (its consistent point is the stream's start). */
    public boolean createdSlot() {
        return createdSlot;
    }

    /** When the snapshot was taken. */
    public Instant startedAt() {
        return startedAt;
    }

    /** The captured tables, with their schemas. */
    public List<CapturedTable> tables() {
        return tables;
    }

    /** Estimated rows of all captured tables ({@code pg_class.reltuples}); -1 when PostgreSQL has no estimate. */
    public long estimatedRows() {
        long sum = 0;
        for (CapturedTable t : tables) {
            if (t.estimatedRows() < 0) {
                return -1;
            }
            sum += t.estimatedRows();
        }
        return sum;
    }

    /**
     * Reads every row on reader threads and hands them to {@code consumer} on the calling thread, in chunks;
     * readers wait while {@code consumer} is behind, so memory stays bounded.
     *
     * @param stop checked between chunks: when it turns true, reading stops and {@link Stopped} is thrown
     */
    public <T> void read(RowFactory<T> factory, ChunkConsumer<T> consumer, BooleanSupplier stop) throws Exception {
        BlockingQueue<Object> queue = new ArrayBlockingQueue<>(2 * readers.size() + 2);
        List<Thread> threads = new ArrayList<>();
        for (int i = 0; i < readers.size(); i++) {
            PostgresConnection reader = readers.get(i);
            Thread t = new Thread(() -> readUnits(reader, factory, queue), "pgcdc-" + config.name() + "-snapshot-" + (i + 1));
            t.setDaemon(true);
            threads.add(t);
        }
        threads.forEach(Thread::start);
        int done = 0;
        try {
            while (done < threads.size()) {
                boolean stopping = stop.getAsBoolean();
                // Stopping: rows still to come make the snapshot incomplete; readers that are only ending are waited for,
                // so that a snapshot whose every row was handled still counts as completed.
                Object item = queue.poll(stopping ? 500 : 50, TimeUnit.MILLISECONDS);
                if (item == null) {
                    if (stopping) {
                        throw new Stopped();
                    }
                    continue;
                }
                if (stopping && item != DONE) {
                    throw new Stopped();
                }
                if (item == DONE) {
                    done++;
                } else if (item instanceof Throwable) {
                    Throwable error = (Throwable) item;
                    throw error instanceof SQLException
                            ? new CdcException(Preflight.reasonOf((SQLException) error), "engine '" + config.name()
                                    + "' cannot read its snapshot: " + error.getMessage(), error)
                            : new CdcException(FailureReason.INTERNAL, "engine '" + config.name() + "' cannot read its snapshot: " + error, error);
                } else {
                    @SuppressWarnings("unchecked")
                    List<T> rows = (List<T>) item;
                    consumer.accept(rows);
                }
            }
        } finally {
            stopped = true;
            for (Thread t : threads) {
                t.interrupt();
            }
        }
    }

    private <T> void readUnits(PostgresConnection reader, RowFactory<T> factory, BlockingQueue<Object> queue) {
        try {
            Unit unit;
            while (!stopped && (unit = units.poll()) != null) {
                readUnit(reader, unit, factory, queue);
            }
            put(queue, DONE);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (Throwable e) {
            if (!stopped) {
                try {
                    put(queue, e);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                }
            }
        }
    }

    private <T> void readUnit(PostgresConnection reader, Unit unit, RowFactory<T> factory, BlockingQueue<Object> queue)
            throws SQLException, InterruptedException {
        CapturedTable t = unit.table;
        String relation = Preflight.quoteIdent(t.id().schema()) + "." + Preflight.quoteIdent(t.id().name());
        boolean ranged = unit.fromPage >= 0;
        // The relation name is quoted (identifiers cannot be bound); the block range is bound.
        String sql = "SELECT * FROM " + relation + (ranged ? " WHERE ctid >= ?::tid" + (unit.toPage >= 0 ? " AND ctid < ?::tid" : "") : "");
        Connection c = reader.connection();
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setFetchSize(FETCH_ROWS);
            if (ranged) {
                ps.setString(1, "(" + unit.fromPage + ",0)");
                if (unit.toPage >= 0) {
                    ps.setString(2, "(" + unit.toPage + ",0)");
                }
            }
            try (ResultSet rs = ps.executeQuery()) {
                ColumnUtils.ColumnArray columns = ColumnUtils.toArray(rs, t.table);
                ColumnValues values = ColumnValues.of(reader, rs, columns, t.table);
                List<T> chunk = new ArrayList<>(CHUNK_ROWS);
                while (rs.next()) {
                    Object[] row = values.row(rs);
                    chunk.add(factory.make(t, t.key(row), t.values.convert(row)));
                    if (chunk.size() == CHUNK_ROWS) {
                        if (stopped) {
                            return;
                        }
                        put(queue, chunk);
                        chunk = new ArrayList<>(CHUNK_ROWS);
                    }
                }
                if (!chunk.isEmpty()) {
                    put(queue, chunk);
                }
            }
        }
    }

    private void put(BlockingQueue<Object> queue, Object item) throws InterruptedException {
        while (!stopped) {
            if (queue.offer(item, 50, TimeUnit.MILLISECONDS)) {
                return;
            }
        }
    }

    /** Ends the readers' transactions and closes their connections. */
    @Override
    public void close() {
        stopped = true;
        closeAll(readers);
    }

    /** The snapshot was stopped before it was read entirely. */
    public static final class Stopped extends Exception {
        private static final long serialVersionUID = 1L;

        public Stopped() {
            super("snapshot stopped", null, false, false);
        }
    }

    // ---------------------------------------------------------------------------------------------

    private static int serverVersion(Connection c) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery("SELECT current_setting('server_version_num')::int")) {
            rs.next();
            return rs.getInt(1);
        }
    }

    /** The slot's confirmed position, or null when the slot does not exist. */
    static Long confirmedFlush(Connection c, String slot) throws SQLException {
        try (PreparedStatement ps = c.prepareStatement(
                "SELECT coalesce(confirmed_flush_lsn, restart_lsn)::text FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    return null;
                }
                String lsn = rs.getString(1);
                if (lsn == null) {
                    throw new CdcException(FailureReason.CONFIGURATION, "replication slot '" + slot + "' has no position;"
                            + " drop it (SELECT pg_drop_replication_slot('" + slot + "')) or give this engine another slotName");
                }
                return LogSequenceNumber.valueOf(lsn).asLong();
            }
        }
    }

    /**
     * Creates or completes the publication as Debezium would ({@code filtered}: exactly the captured
     * tables), before the slot exists: pgoutput reads the publication as of the WAL it decodes, so one
     * created after the slot's consistent point would be missing for the first changes.
     */
    private static void ensurePublication(Connection c, CdcConfig config, Properties properties) throws SQLException {
        String mode = properties.getProperty("publication.autocreate.mode", "filtered");
        if ("disabled".equals(mode)) {
            return;
        }
        String publication = config.publicationName();
        boolean exists;
        List<TableId> missing = new ArrayList<>(config.tables());
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                exists = rs.getLong(1) > 0;
            }
        }
        if (exists) {
            try (PreparedStatement ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
                ps.setString(1, publication);
                try (ResultSet rs = ps.executeQuery()) {
                    while (rs.next()) {
                        missing.remove(new TableId(rs.getString(1), rs.getString(2)));
                    }
                }
            }
            if (missing.isEmpty()) {
                return;
            }
        }
        StringBuilder list = new StringBuilder();
        for (TableId t : "all_tables".equals(mode) ? List.<TableId>of() : (exists ? missing : config.tables())) {
            list.append(list.length() == 0 ? "" : ", ").append(Preflight.quoteIdent(t.schema())).append('.').append(Preflight.quoteIdent(t.name()));
        }
        // Identifiers cannot be bound: they are quoted.
        String sql = "all_tables".equals(mode)
                ? (exists ? null : "CREATE PUBLICATION " + Preflight.quoteIdent(publication) + " FOR ALL TABLES")
                : exists ? "ALTER PUBLICATION " + Preflight.quoteIdent(publication) + " ADD TABLE " + list
                : "CREATE PUBLICATION " + Preflight.quoteIdent(publication) + " FOR TABLE " + list;
        if (sql == null) {
            return;
        }
        try (Statement s = c.createStatement()) {
            s.execute(sql);
        }
        LOG.info("engine '{}': {}", config.name(), sql);
    }

    private static Connection openReplication(CdcConfig config) throws SQLException {
        Properties p = Preflight.jdbcProperties(config, "snapshot slot");
        PGProperty.REPLICATION.set(p, "database");
        PGProperty.ASSUME_MIN_SERVER_VERSION.set(p, "10");
        PGProperty.PREFER_QUERY_MODE.set(p, "simple");
        return DriverManager.getConnection(Preflight.url(config), p);
    }

    /** Creates the slot; a watchdog closes the connection when transactions in progress hold it up past {@code timeout}. */
    private static ReplicationSlotInfo createSlot(Connection replication, CdcConfig config, Duration timeout) throws SQLException {
        Thread watchdog = new Thread(() -> {
            try {
                Thread.sleep(timeout.toMillis());
                replication.close();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            } catch (SQLException e) {
                // closing is all it does
            }
        }, "pgcdc-" + config.name() + "-slot-watchdog");
        watchdog.setDaemon(true);
        watchdog.start();
        try {
            return replication.unwrap(PGConnection.class).getReplicationAPI().createReplicationSlot().logical()
                    .withSlotName(config.slotName()).withOutputPlugin("pgoutput").make();
        } catch (SQLException e) {
            if (replication.isClosed()) {
                throw new CdcException(FailureReason.TIMEOUT, "creating replication slot '" + config.slotName() + "' did not finish within "
                        + timeout + ": PostgreSQL waits for the transactions in progress to end; look for long-running or idle-in-transaction"
                        + " sessions (pg_stat_activity), or raise startTimeout", e);
            }
            throw e;
        } finally {
            watchdog.interrupt();
        }
    }

    /** Per table: {relkind, pages, reltuples}; relkind as a char code. */
    private static Map<TableId, long[]> sizes(Connection c, List<TableId> tables) throws SQLException {
        Map<TableId, long[]> sizes = new java.util.HashMap<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT ascii(c.relkind), pg_relation_size(c.oid) / current_setting('block_size')::bigint,"
                + " CASE WHEN c.relkind = 'p' THEN (SELECT CASE WHEN bool_or(p.reltuples < 0) THEN -1 ELSE sum(p.reltuples) END"
                + "   FROM pg_partition_tree(c.oid) t JOIN pg_class p ON p.oid = t.relid WHERE t.isleaf)"
                + " ELSE c.reltuples END::bigint FROM pg_class c WHERE c.oid = to_regclass(?)")) {
            for (TableId t : tables) {
                ps.setString(1, Preflight.quoteIdent(t.schema()) + "." + Preflight.quoteIdent(t.name()));
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        throw new CdcException(FailureReason.MISSING_TABLE, "table " + t + " does not exist");
                    }
                    sizes.put(t, new long[] {rs.getLong(1), rs.getLong(2), rs.getLong(3)});
                }
            }
        }
        return sizes;
    }

    /**
     * Block ranges of a table, {@code [from, to)} with {@code to = -1} meaning "to the end" (rows a later
     * page holds are read too) and {@code from = -1} meaning "the whole table, no range". Split only
     * where PostgreSQL scans a ctid range directly (14 and later, plain tables).
     */
    static List<long[]> ranges(long[] size, int serverVersion, int parallelism) {
        long pages = size[1];
        if (serverVersion < 140000 || size[0] != 'r' || pages < 2 * MIN_UNIT_PAGES || parallelism < 2) {
            return Collections.singletonList(new long[] {-1, -1});
        }
        long unit = Math.max(MIN_UNIT_PAGES, (pages + 4L * parallelism - 1) / (4L * parallelism));
        List<long[]> ranges = new ArrayList<>();
        for (long from = 0; from < pages; from += unit) {
            ranges.add(new long[] {from, from + unit >= pages ? -1 : from + unit});
        }
        return ranges;
    }

    private static List<CapturedTable> schemas(PostgresConnectorConfig connectorConfig, PostgresConnection reader, CdcConfig config,
                                               Map<TableId, long[]> sizes) throws SQLException {
        Tables tables = new Tables();
        java.util.Set<String> schemaNames = new java.util.LinkedHashSet<>();
        config.tables().forEach(t -> schemaNames.add(t.schema()));
        for (String schema : schemaNames) {
            reader.readSchema(tables, config.database(), schema, connectorConfig.getTableFilters().dataCollectionFilter(), null, false);
        }
        PostgresDefaultValueConverter defaults = reader.getDefaultValueConverter();
        PostgresValueConverter values = PostgresValueConverter.of(connectorConfig, reader.getDatabaseCharset(), reader.getTypeRegistry());
        CustomConverterRegistry custom = new CustomConverterServiceProvider().createService(connectorConfig.getConfig(), null);
        SnapshotSchemaBuilder builder = new SnapshotSchemaBuilder(values, defaults, connectorConfig.schemaNameAdjuster(), custom,
                connectorConfig.getSourceInfoStructMaker().schema(), connectorConfig.getFieldNamer(),
                connectorConfig.getEventConvertingFailureHandlingMode());
        @SuppressWarnings("unchecked")
        io.debezium.spi.topic.TopicNamingStrategy<io.debezium.relational.TableId> topics =
                connectorConfig.getTopicNamingStrategy(CommonConnectorConfig.TOPIC_NAMING_STRATEGY);
        ColumnMappers mappers = ColumnMappers.create(connectorConfig);
        List<CapturedTable> result = new ArrayList<>();
        for (TableId id : config.tables()) {
            Table table = null;
            for (io.debezium.relational.TableId candidate : tables.tableIds()) {
                if (id.schema().equals(candidate.schema()) && id.name().equals(candidate.table())) {
                    table = tables.forTable(candidate);
                }
            }
            if (table == null) {
                throw new CdcException(FailureReason.MISSING_TABLE, "table " + id + " is not visible to user '" + config.user()
                        + "' in the snapshot; check that it exists and that the user may read it");
            }
            TableSchema schema = builder.create(topics, table, connectorConfig.getColumnFilter(), mappers, connectorConfig.getKeyMapper());
            SnapshotSchemaBuilder.RowValues rowValues = builder.rowValues(schema.valueSchema(), table, connectorConfig.getColumnFilter(), mappers);
            SnapshotSchemaBuilder.RowValues keyValues = builder.keyValues(schema.keySchema(), table, connectorConfig.getKeyMapper());
            result.add(new CapturedTable(id, table, schema, rowValues, keyValues, sizes.get(id)[2]));
        }
        return result;
    }

    private static void closeAll(List<PostgresConnection> connections) {
        for (PostgresConnection c : connections) {
            try {
                c.close();
            } catch (RuntimeException e) {
                // Ending the snapshot: a connection that cannot close cleanly is dropped.
            }
        }
    }

    private static void closeQuietly(Connection c) {
        if (c != null) {
            try {
                c.close();
            } catch (SQLException e) {
                // nothing left to do with it
            }
        }
    }
}
