package io.pgcdc.generator;

import io.pgcdc.generator.internal.CopyEncoder;
import io.pgcdc.generator.internal.TransactionsTable;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.net.ConnectException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.sql.Timestamp;
import java.time.Duration;
import java.time.LocalDateTime;
import java.time.ZoneOffset;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.Properties;
import java.util.SplittableRandom;
import java.util.function.Consumer;
import org.postgresql.PGConnection;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Writes a {@link Workload} of fake transactions into PostgreSQL's {@code transactions} table.
 *
 * <pre>{@code
 * TransactionGenerator generator = TransactionGenerator.builder()
 *         .jdbcUrl("jdbc:postgresql://localhost:5432/shop").user("app").password(secret)
 *         .build();
 * GeneratorReport report = generator.run(Workload.builder().count(10_000).rate(500).build());
 * }</pre>
 *
 * <p>Updates and deletes only touch rows the same run inserted and committed, so a run never depends
 * on what the table held before. Within one database transaction, inserts are written first, then
 * updates, then deletes. {@link #run} blocks the calling thread; {@link #stop()} (from any thread) or an
 * interrupt ends it after the transaction in progress.
 */
public final class TransactionGenerator {

    /** How often {@link #run(Workload, Consumer)} reports progress. */
    public static final Duration PROGRESS_INTERVAL = Duration.ofMillis(200);

    private static final Logger LOG = LoggerFactory.getLogger(TransactionGenerator.class);

    private final String jdbcUrl;
    private final String user;
    private final String password;
    private final boolean createTable;
    private volatile boolean stopRequested;

    private TransactionGenerator(Builder b) {
        this.jdbcUrl = b.jdbcUrl;
        this.user = b.user;
        this.password = b.password;
        this.createTable = b.createTable;
    }

    /** A builder; the JDBC URL and user are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** Asks a running {@link #run} to finish after its current database transaction. */
    public void stop() {
        stopRequested = true;
    }

    /** Runs the workload without progress reports. */
    public GeneratorReport run(Workload workload) {
        return run(workload, p -> { });
    }

    /**
     * Runs the workload until its count or duration is reached, or {@link #stop()}, or an interrupt.
     *
     * @param progress called about every {@link #PROGRESS_INTERVAL} on this thread
     * @return what was committed
     * @throws GeneratorException when it cannot connect, the table has another shape, or a write fails;
     *     it carries what was committed before
     */
    public GeneratorReport run(Workload workload, Consumer<GeneratorProgress> progress) {
        Objects.requireNonNull(workload, "workload");
        Objects.requireNonNull(progress, "progress");
        stopRequested = false;
        Run run = new Run(workload, progress);
        try (Connection c = connect(workload)) {
            c.setAutoCommit(false);
            List<String> problems = TransactionsTable.prepare(c, createTable);
            if (!problems.isEmpty()) {
                throw new GeneratorException("table transactions does not have the shape the generator writes: "
                        + String.join("; ", problems) + "; fix or drop it, or point --url at another database", run.report(), null);
            }
            run.execute(c);
            return run.report();
        } catch (SQLException e) {
            throw new GeneratorException(describe(e), run.report(), e);
        }
    }

    private Connection connect(Workload workload) {
        Properties props = new Properties();
        props.setProperty("user", user);
        props.setProperty("password", password);
        props.setProperty("connectTimeout", "10");
        props.setProperty("ApplicationName", "pgcdc-generator");
        if (workload.insertMethod() == Workload.InsertMethod.BATCH) {
            props.setProperty("reWriteBatchedInserts", "true");
        }
        try {
            return DriverManager.getConnection(jdbcUrl, props);
        } catch (SQLException e) {
            throw new GeneratorException(describeConnectFailure(e), null, e);
        }
    }

    private String where() {
        return maskedUrl(jdbcUrl);
    }

    /** The URL without any password it may carry. */
    static String maskedUrl(String url) {
        return url.replaceAll("(?i)(password=)[^&;]*", "$1********");
    }

    private String describeConnectFailure(SQLException e) {
        String state = Objects.requireNonNullElse(e.getSQLState(), "");
        if (state.startsWith("28")) {
            return "authentication failed for user '" + user + "' at " + where() + " (" + e.getMessage()
                    + "); check the user and the password";
        }
        if (state.equals("3D000")) {
            return "the database in " + where() + " does not exist (" + e.getMessage() + "); check the URL";
        }
        Throwable root = e;
        while (root.getCause() != null && root.getCause() != root) {
            root = root.getCause();
        }
        if (root instanceof ConnectException || root instanceof UnknownHostException) {
            return "cannot connect to " + where() + " (" + root.getMessage() + "); check host and port, and that PostgreSQL is running";
        }
        return "cannot connect to " + where() + " as '" + user + "': " + e.getMessage();
    }

    private String describe(SQLException e) {
        return "writing to " + where() + " failed: " + e.getMessage() + " (SQLSTATE " + e.getSQLState()
                + "); the transaction in progress was rolled back";
    }

    /** One run's state: what is committed, what is live, and the clocks. */
    private final class Run {
        private final Workload workload;
        private final Consumer<GeneratorProgress> progress;
        private final TransactionFaker faker;
        private final SplittableRandom choices;
        private final List<String> live = new ArrayList<>();
        private final Map<ChangeKind, Long> counts = new EnumMap<>(ChangeKind.class);
        private final Map<ChangeKind, List<String>> ids = new EnumMap<>(ChangeKind.class);
        private final long startNanos = System.nanoTime();
        private long transactions;
        private long changes;
        private long lastProgressNanos = startNanos;

        Run(Workload workload, Consumer<GeneratorProgress> progress) {
            this.workload = workload;
            this.progress = progress;
            this.faker = workload.newFaker();
            this.choices = new SplittableRandom(workload.seed() * 0x9E3779B97F4A7C15L + 1);
            for (ChangeKind kind : ChangeKind.values()) {
                counts.put(kind, 0L);
                ids.put(kind, new ArrayList<>());
            }
        }

        void execute(Connection c) throws SQLException {
            long target = workload.count().orElse(0L);
            long deadline = workload.duration().map(d -> startNanos + d.toNanos()).orElse(Long.MAX_VALUE);
            try (PreparedStatement insert = c.prepareStatement("INSERT INTO transactions (" + CopyEncoder.COLUMNS
                         + ") VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)");
                 PreparedStatement update = c.prepareStatement("UPDATE transactions SET amount = ? WHERE transaction_id = ?");
                 PreparedStatement delete = c.prepareStatement("DELETE FROM transactions WHERE transaction_id = ?")) {
                while (!stopRequested && !Thread.currentThread().isInterrupted()) {
                    long remaining = target > 0 ? target - changes : Long.MAX_VALUE;
                    if (remaining <= 0 || System.nanoTime() >= deadline) {
                        break;
                    }
                    if (!pace(deadline)) {
                        break;
                    }
                    int rows = (int) Math.min(workload.rowsPerTransaction(), remaining);
                    writeTransaction(c, rows, insert, update, delete);
                    maybeReport(target, false);
                }
            }
            maybeReport(target, true);
        }

        /** Sleeps until the rate allows the next transaction; false when the deadline or a stop came first. */
        private boolean pace(long deadline) {
            if (workload.rate() <= 0) {
                return true;
            }
            long due = startNanos + (long) (changes / workload.rate() * 1e9);
            while (true) {
                long wait = due - System.nanoTime();
                if (wait <= 0) {
                    return true;
                }
                if (System.nanoTime() + wait >= deadline) {
                    // The next transaction would start after the run ends: end now, on time.
                    sleepQuietly(deadline - System.nanoTime());
                    return false;
                }
                if (!sleepQuietly(Math.min(wait, 50_000_000L)) || stopRequested) {
                    return false;
                }
            }
        }

        private boolean sleepQuietly(long nanos) {
            if (nanos <= 0) {
                return true;
            }
            try {
                Thread.sleep(nanos / 1_000_000, (int) (nanos % 1_000_000));
                return true;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return false;
            }
        }

        private void writeTransaction(Connection c, int rows, PreparedStatement insert, PreparedStatement update,
                                      PreparedStatement delete) throws SQLException {
            List<Transaction> inserts = new ArrayList<>(rows);
            List<String> updated = new ArrayList<>();
            List<String> deleted = new ArrayList<>();
            int liveBefore = live.size();
            for (int i = 0; i < rows; i++) {
                ChangeKind kind = choose();
                if (kind == ChangeKind.INSERT) {
                    Transaction t = faker.next();
                    inserts.add(t);
                    live.add(t.transactionId());
                } else if (kind == ChangeKind.UPDATE) {
                    String id = live.get(choices.nextInt(live.size()));
                    update.setBigDecimal(1, faker.nextAmount());
                    update.setString(2, id);
                    update.addBatch();
                    updated.add(id);
                } else {
                    int index = choices.nextInt(live.size());
                    String id = live.get(index);
                    live.set(index, live.get(live.size() - 1));
                    live.remove(live.size() - 1);
                    delete.setString(1, id);
                    delete.addBatch();
                    deleted.add(id);
                }
            }
            try {
                writeInserts(c, insert, inserts);
                if (!updated.isEmpty()) {
                    update.executeBatch();
                }
                if (!deleted.isEmpty()) {
                    delete.executeBatch();
                }
                c.commit();
            } catch (SQLException | RuntimeException e) {
                rollbackQuietly(c);
                undoLive(liveBefore, inserts, deleted);
                throw e;
            }
            transactions++;
            changes += rows;
            counts.merge(ChangeKind.INSERT, (long) inserts.size(), Long::sum);
            counts.merge(ChangeKind.UPDATE, (long) updated.size(), Long::sum);
            counts.merge(ChangeKind.DELETE, (long) deleted.size(), Long::sum);
            if (workload.trackIds()) {
                inserts.forEach(t -> ids.get(ChangeKind.INSERT).add(t.transactionId()));
                ids.get(ChangeKind.UPDATE).addAll(updated);
                ids.get(ChangeKind.DELETE).addAll(deleted);
            }
        }

        /** An update or delete needs a live row; with none yet, the change is an insert. */
        private ChangeKind choose() {
            int roll = choices.nextInt(100);
            ChangeKind kind = roll < workload.insertPercent() ? ChangeKind.INSERT
                    : roll < workload.insertPercent() + workload.updatePercent() ? ChangeKind.UPDATE : ChangeKind.DELETE;
            return kind != ChangeKind.INSERT && live.isEmpty() ? ChangeKind.INSERT : kind;
        }

        private void writeInserts(Connection c, PreparedStatement insert, List<Transaction> inserts) throws SQLException {
            if (inserts.isEmpty()) {
                return;
            }
            if (workload.insertMethod() == Workload.InsertMethod.COPY) {
                CopyEncoder encoder = new CopyEncoder();
                inserts.forEach(encoder::add);
                try {
                    c.unwrap(PGConnection.class).getCopyAPI().copyIn(
                            "COPY transactions (" + CopyEncoder.COLUMNS + ") FROM STDIN WITH (FORMAT csv)",
                            new ByteArrayInputStream(encoder.drain()));
                } catch (IOException e) {
                    throw new SQLException("COPY failed: " + e.getMessage(), "58030", e);
                }
                return;
            }
            for (Transaction t : inserts) {
                insert.setString(1, t.transactionId());
                insert.setString(2, t.userId());
                insert.setTimestamp(3, Timestamp.valueOf(LocalDateTime.ofInstant(t.timestamp(), ZoneOffset.UTC)));
                insert.setBigDecimal(4, t.amount());
                insert.setString(5, t.currency());
                insert.setString(6, t.city());
                insert.setString(7, t.country());
                insert.setString(8, t.merchantName());
                insert.setString(9, t.paymentMethod());
                insert.setString(10, t.ipAddress());
                insert.setString(11, t.voucherCode());
                insert.setString(12, t.affiliateId());
                insert.addBatch();
            }
            insert.executeBatch();
        }

        private void undoLive(int liveBefore, List<Transaction> inserts, List<String> deleted) {
            for (Transaction t : inserts) {
                live.remove(t.transactionId());
            }
            live.addAll(deleted);
            if (live.size() != liveBefore) {
                LOG.debug("live rows after rollback: {} (was {})", live.size(), liveBefore);
            }
        }

        private void rollbackQuietly(Connection c) {
            try {
                c.rollback();
            } catch (SQLException e) {
                LOG.warn("rollback failed: {}", e.getMessage());
            }
        }

        private void maybeReport(long target, boolean last) {
            long now = System.nanoTime();
            if (last || now - lastProgressNanos >= PROGRESS_INTERVAL.toNanos()) {
                lastProgressNanos = now;
                progress.accept(new GeneratorProgress(changes, target, Duration.ofNanos(now - startNanos),
                        workload.duration().orElse(null)));
            }
        }

        GeneratorReport report() {
            return new GeneratorReport(counts, ids, transactions, Duration.ofNanos(System.nanoTime() - startNanos), workload.trackIds());
        }
    }

    /** Builds a {@link TransactionGenerator}. */
    public static final class Builder {
        private String jdbcUrl;
        private String user;
        private String password = "";
        private boolean createTable = true;

        private Builder() {
        }

        /** {@code jdbc:postgresql://host:port/database}. */
        public Builder jdbcUrl(String jdbcUrl) {
            this.jdbcUrl = Objects.requireNonNull(jdbcUrl, "jdbcUrl");
            return this;
        }

        /** User to write as. */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /** The user's password; never printed. */
        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /** Whether to create {@code transactions} from {@code sql/010_transactions.sql} when it is missing; on by default. */
        public Builder createTable(boolean createTable) {
            this.createTable = createTable;
            return this;
        }

        /** Validates and builds. */
        public TransactionGenerator build() {
            if (jdbcUrl == null || !jdbcUrl.startsWith("jdbc:postgresql:")) {
                throw new IllegalArgumentException("jdbcUrl must start with jdbc:postgresql:, not " + (jdbcUrl == null ? "nothing"
                        : "'" + maskedUrl(jdbcUrl) + "'"));
            }
            if (user == null || user.isBlank()) {
                throw new IllegalArgumentException("user must be set");
            }
            return new TransactionGenerator(this);
        }
    }
}
