package io.pgcdc.bench;

import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.Transaction;
import io.pgcdc.generator.TransactionFaker;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import io.pgcdc.generator.internal.CopyEncoder;
import io.pgcdc.generator.internal.TransactionsTable;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.io.ByteArrayInputStream;
import java.sql.Connection;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import org.postgresql.PGConnection;
import org.postgresql.copy.CopyManager;

/**
 * How fast the generator makes and writes transactions, against {@code COPY} of the same rows measured
 * in the same run on the same server. Prints figures; asserts nothing.
 *
 * <p>Run: {@code mvn -q -pl cdc-bench -am package -DskipTests && java -cp cdc-bench/target/pgcdc-bench.jar
 * io.pgcdc.bench.GeneratorBenchmark [rows] [rounds]} (defaults 200000 and 3).
 */
public final class GeneratorBenchmark {

    private static final int ROWS_PER_TRANSACTION = 1_000;
    private static final long SEED = 7;
    private static final Instant FROM = Instant.parse("2026-01-01T00:00:00Z");

    private GeneratorBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int rows = args.length > 0 ? Integer.parseInt(args[0]) : 200_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        TestPostgres pg = TestPostgres.shared();
        try {
            System.out.printf(Locale.ROOT, "%,d rows per measurement, %,d rows per transaction, %d rounds, PostgreSQL %d, %s%n",
                    rows, ROWS_PER_TRANSACTION, rounds, pg.versionNumber(), System.getProperty("java.vm.version"));
            System.out.printf(Locale.ROOT, "%-5s %14s %14s %14s %14s %12s %16s%n", "round", "generation/s", "writer COPY/s",
                    "writer BATCH/s", "COPY ref/s", "writer/COPY", "generation/writer");
            for (int round = 1; round <= rounds; round++) {
                double generation = generation(rows);
                double writerCopy = writer(pg, rows, Workload.InsertMethod.COPY);
                double writerBatch = writer(pg, rows, Workload.InsertMethod.BATCH);
                double copy = copyReference(pg, rows);
                System.out.printf(Locale.ROOT, "%-5d %,14.0f %,14.0f %,14.0f %,14.0f %12.2f %16.1f%n", round, generation, writerCopy,
                        writerBatch, copy, writerCopy / copy, generation / writerCopy);
            }
            double mixed = mixed(pg, rows);
            System.out.printf(Locale.ROOT, "mixed workload 70/20/10 insert/update/delete, COPY inserts: %,.0f changes/s%n", mixed);
        } finally {
            pg.close();
        }
    }

    /** Transactions made per second by the faker alone, nothing written. */
    private static double generation(int rows) {
        TransactionFaker faker = new TransactionFaker(SEED, FROM, Duration.ofDays(1));
        long start = System.nanoTime();
        long sink = 0;
        for (int i = 0; i < rows; i++) {
            sink += faker.next().transactionId().length();
        }
        double seconds = (System.nanoTime() - start) / 1e9;
        if (sink == 42) {
            System.out.print("");
        }
        return rows / seconds;
    }

    /** The generator writing inserts only, in a fresh database, as users run it. */
    private static double writer(TestPostgres pg, int rows, Workload.InsertMethod method) {
        try (TestDatabase db = pg.createDatabase("bench_writer")) {
            db.execute(TransactionsTable.ddl());
            GeneratorReport report = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password())
                    .build().run(Workload.builder().mix(100, 0, 0).count(rows).rowsPerTransaction(ROWS_PER_TRANSACTION)
                            .seed(SEED).timestamps(FROM, Duration.ofDays(1)).insertMethod(method).trackIds(false).build());
            return report.changesPerSecond();
        }
    }

    private static double mixed(TestPostgres pg, int rows) {
        try (TestDatabase db = pg.createDatabase("bench_mixed")) {
            GeneratorReport report = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password())
                    .build().run(Workload.builder().mix(70, 20, 10).count(rows).rowsPerTransaction(ROWS_PER_TRANSACTION)
                            .seed(SEED).trackIds(false).build());
            return report.changesPerSecond();
        }
    }

    /** {@code COPY} of the same rows, rendered beforehand, same transaction size: the ceiling for inserts. */
    private static double copyReference(TestPostgres pg, int rows) throws Exception {
        TransactionFaker faker = new TransactionFaker(SEED, FROM, Duration.ofDays(1));
        List<byte[]> chunks = new ArrayList<>();
        CopyEncoder encoder = new CopyEncoder();
        for (int i = 1; i <= rows; i++) {
            Transaction t = faker.next();
            encoder.add(t);
            if (i % ROWS_PER_TRANSACTION == 0 || i == rows) {
                chunks.add(encoder.drain());
            }
        }
        try (TestDatabase db = pg.createDatabase("bench_copy"); Connection c = db.connect()) {
            try (Statement s = c.createStatement()) {
                s.execute(TransactionsTable.ddl());
            }
            c.setAutoCommit(false);
            CopyManager copy = c.unwrap(PGConnection.class).getCopyAPI();
            String sql = "COPY transactions (" + CopyEncoder.COLUMNS + ") FROM STDIN WITH (FORMAT csv)";
            long start = System.nanoTime();
            for (byte[] chunk : chunks) {
                copy.copyIn(sql, new ByteArrayInputStream(chunk));
                c.commit();
            }
            return rows / ((System.nanoTime() - start) / 1e9);
        }
    }
}
