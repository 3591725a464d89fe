package io.pgcdc.examples;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeBatch;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.EventId;
import io.pgcdc.OffsetStore;
import io.pgcdc.Row;
import io.pgcdc.SinkProgress;
import io.pgcdc.SnapshotMode;
import io.pgcdc.generator.Schema;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Replicates {@code transactions} into another database, each change applied exactly once even when
 * this process is killed: the replica's writes and {@link SinkProgress} commit in one transaction, so
 * a change the engine delivers again after a crash is recognised and skipped. By default a whole
 * {@link ChangeBatch} (whole source transactions, up to the batch size) is applied in one replica
 * transaction; {@code --per-event} applies each change in its own. Runs until Ctrl-C or SIGTERM, then
 * closes the engine and exits 0.
 */
@Command(name = "ReplicaSink", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Replicates public.transactions into another database, exactly once; runs until Ctrl-C or SIGTERM (exit 0).")
public final class ReplicaSink implements Callable<Integer> {

    /** The replicated columns, in table order. */
    static final List<String> COLUMNS = List.of("transaction_id", "user_id", "timestamp", "amount", "currency", "city", "country",
            "merchant_name", "payment_method", "ip_address", "voucher_code", "affiliateid");

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--apply-sql", description = ConnectionOptions.APPLY_SQL)
    boolean applySql;

    @Option(names = "--replica-database", required = true, description = "database on the same server to replicate into (created on the embedded server)")
    String replicaDatabase;

    @Option(names = "--offsets", paramLabel = "FILE", description = "offsets file (default: none; the replica's progress still prevents repeats)")
    Path offsets;

    @Option(names = "--per-event", description = "one replica transaction per change instead of one per batch")
    boolean perEvent;

    @Mixin
    Cli.Verbose verbose;

    public static void main(String[] args) {
        System.exit(Cli.execute(new ReplicaSink(), args));
    }

    @Override
    public Integer call() throws Exception {
        try (DemoDatabase db = connection.open(applySql); Connection replica = replica(db)) {
            System.out.println("PostgreSQL: " + db.describe());
            CdcConfig.Builder config = db.captureConfig("replica_sink").snapshotMode(SnapshotMode.INITIAL);
            if (offsets != null) {
                config.offsetStore(OffsetStore.file(offsets));
            }
            CountDownLatch stop = new CountDownLatch(1);
            try (CdcEngine engine = engine(config.build(), replica, perEvent)) {
                System.out.println(Cli.capturing(engine.config()));
                Cli.stopOnSignal(stop, engine);
                engine.start();
                System.out.println("replicating into " + replicaDatabase);
                return Cli.awaitStop(stop, engine);
            }
        }
    }

    /**
     * An engine replicating into {@code replica} (whose {@code transactions} table, progress and counter
     * are created when missing): one replica transaction per batch, or per change with {@code perEvent}.
     */
    public static CdcEngine engine(CdcConfig config, Connection replica, boolean perEvent) throws SQLException {
        SinkProgress progress = SinkProgress.in("pgcdc_sink_progress", "transactions-replica");
        prepare(replica, progress);
        Applier applier = new Applier(replica, progress);
        if (!perEvent) {
            return CdcEngine.create(config, applier::applyBatch);
        }
        return CdcEngine.create(config, new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) throws Exception {
                applier.applyOne(event);
            }
        });
    }

    private Connection replica(DemoDatabase db) throws SQLException {
        Properties props = new Properties();
        props.setProperty("user", db.user);
        props.setProperty("password", db.password);
        if (connection.embedded()) {
            // The embedded server starts empty: the replica database comes with it.
            try (Connection c = DriverManager.getConnection(db.jdbcUrl(), props); Statement s = c.createStatement()) {
                s.execute("CREATE DATABASE \"" + replicaDatabase.replace("\"", "\"\"") + "\"");
            }
        }
        return DriverManager.getConnection("jdbc:postgresql://" + db.host + ":" + db.port + "/" + replicaDatabase, props);
    }

    private static void prepare(Connection replica, SinkProgress progress) throws SQLException {
        try (Statement s = replica.createStatement()) {
            s.execute(Schema.script("010_transactions.sql"));
            // Counts every applied change: after any number of crashes it equals the changes written.
            s.execute("CREATE TABLE IF NOT EXISTS replica_stats (id int PRIMARY KEY, applied bigint NOT NULL)");
            s.execute("INSERT INTO replica_stats VALUES (1, 0) ON CONFLICT DO NOTHING");
        }
        progress.createTable(replica);
        replica.setAutoCommit(false);
    }

    /** Applies changes and their progress in one replica transaction: per change, or per batch. */
    private static final class Applier {
        private final Connection replica;
        private final SinkProgress progress;
        private final PreparedStatement upsert;
        private final PreparedStatement delete;
        private final PreparedStatement count;

        Applier(Connection replica, SinkProgress progress) throws SQLException {
            this.replica = replica;
            this.progress = progress;
            StringBuilder set = new StringBuilder();
            for (String c : COLUMNS.subList(1, COLUMNS.size())) {
                set.append(set.length() == 0 ? "" : ", ").append('"').append(c).append("\" = EXCLUDED.\"").append(c).append('"');
            }
            this.upsert = replica.prepareStatement("INSERT INTO transactions (\"" + String.join("\", \"", COLUMNS) + "\") VALUES ("
                    + "?, ?, ?, ?::numeric, ?, ?, ?, ?, ?, ?, ?, ?) ON CONFLICT (transaction_id) DO UPDATE SET " + set);
            this.delete = replica.prepareStatement("DELETE FROM transactions WHERE transaction_id = ?");
            this.count = replica.prepareStatement("UPDATE replica_stats SET applied = applied + ? WHERE id = 1");
        }

        void applyOne(ChangeEvent event) throws Exception {
            try {
                if (!progress.isApplied(replica, event)) {
                    apply(event);
                    progress.markApplied(replica, event);
                    count(1);
                }
                replica.commit();
            } catch (SQLException e) {
                replica.rollback();
                throw e;
            }
        }

        void applyBatch(ChangeBatch batch) throws Exception {
            try {
                EventId last = progress.lastApplied(replica);
                EventId applied = null;
                int n = 0;
                for (ChangeEvent event : batch.changes()) {
                    // A repeat after a crash: the replica has it already.
                    if (!event.isSnapshot() && last != null && event.id().compareTo(last) <= 0) {
                        continue;
                    }
                    apply(event);
                    n++;
                    if (!event.isSnapshot()) {
                        applied = event.id();
                    }
                }
                if (applied != null) {
                    progress.markApplied(replica, applied);
                }
                count(n);
                replica.commit();
            } catch (SQLException e) {
                replica.rollback();
                throw e;
            }
        }

        private void count(int n) throws SQLException {
            if (n > 0) {
                count.setInt(1, n);
                count.executeUpdate();
            }
        }

        private void apply(ChangeEvent event) throws SQLException {
            switch (event.operation()) {
                case CREATE:
                case UPDATE:
                case READ:
                    Row row = event.after();
                    for (int i = 0; i < COLUMNS.size(); i++) {
                        String column = COLUMNS.get(i);
                        Object value = column.equals("timestamp") ? row.getTimestamp(column) : row.getString(column);
                        upsert.setObject(i + 1, value);
                    }
                    upsert.executeUpdate();
                    break;
                case DELETE:
                    delete.setString(1, event.key().getString("transaction_id"));
                    delete.executeUpdate();
                    break;
                case TRUNCATE:
                    try (Statement s = replica.createStatement()) {
                        s.execute("TRUNCATE transactions");
                    }
                    break;
                default:
                    throw new IllegalStateException("unexpected operation " + event.operation());
            }
        }
    }
}
