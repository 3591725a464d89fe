package io.pgcdc.bench;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.SnapshotMode;
import io.pgcdc.examples.ReplicaSink;
import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.Schema;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.sql.Connection;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * The {@code ReplicaSink} example applying the same workload one replica transaction per change and one
 * per batch: two slots created at one LSN, the workload written once, each slot drained into its own
 * replica database. Prints changes/s for each and the ratio, per round and as medians.
 *
 * <pre>java -cp cdc-bench/target/pgcdc-bench.jar io.pgcdc.bench.ReplicaSinkBenchmark [changes=20000] [rounds=3]</pre>
 */
public final class ReplicaSinkBenchmark {

    private ReplicaSinkBenchmark() {
    }

    public static void main(String[] args) throws Exception {
        int changes = args.length > 0 ? Integer.parseInt(args[0]) : 20_000;
        int rounds = args.length > 1 ? Integer.parseInt(args[1]) : 3;
        TestPostgres pg = TestPostgres.shared();
        List<double[]> results = new ArrayList<>();
        try {
            for (int round = 1; round <= rounds; round++) {
                double[] r = round(pg, changes, round);
                results.add(r);
                System.out.printf(Locale.ROOT, "round %d: %d changes, per change %,.0f changes/s, per batch %,.0f changes/s, batch/change %.2f%n",
                        round, (long) r[2], r[0], r[1], r[1] / r[0]);
            }
            double perEvent = median(results, 0);
            double batch = median(results, 1);
            System.out.printf(Locale.ROOT, "median of %d rounds: per change %,.0f changes/s, per batch %,.0f changes/s, batch/change %.2f%n",
                    rounds, perEvent, batch, batch / perEvent);
        } finally {
            pg.close();
            System.exit(0);
        }
    }

    private static double[] round(TestPostgres pg, int changes, int round) throws Exception {
        try (TestDatabase source = pg.createDatabase("sinkbench"); TestDatabase eventReplica = pg.createDatabase("replica_event");
             TestDatabase batchReplica = pg.createDatabase("replica_batch")) {
            source.execute(Schema.script("010_transactions.sql"), "CREATE PUBLICATION bench_pub FOR TABLE transactions");
            String eventSlot = "bench_event_" + round;
            String batchSlot = "bench_batch_" + round;
            source.execute("SELECT pg_create_logical_replication_slot('" + eventSlot + "', 'pgoutput')",
                    "SELECT pg_create_logical_replication_slot('" + batchSlot + "', 'pgoutput')");
            GeneratorReport report = TransactionGenerator.builder().jdbcUrl(source.jdbcUrl()).user(source.user())
                    .password(source.password()).build().run(Workload.builder().count(changes).seed(round).build());
            long expected = report.total();
            double perEvent = drain(source, eventReplica, eventSlot, true, expected);
            double batch = drain(source, batchReplica, batchSlot, false, expected);
            return new double[] {perEvent, batch, expected};
        }
    }

    /** Changes per second from the engine's start until the replica counted every change. */
    private static double drain(TestDatabase source, TestDatabase replica, String slot, boolean perEvent, long expected) throws Exception {
        CdcConfig config = CdcConfig.builder().name(slot).host(source.host()).port(source.port()).database(source.name())
                .user(source.user()).password(source.password()).tables("public.transactions").slotName(slot)
                .publicationName("bench_pub").property("publication.autocreate.mode", "disabled")
                .snapshotMode(SnapshotMode.NONE).build();
        try (Connection c = replica.connect(); CdcEngine engine = ReplicaSink.engine(config, c, perEvent)) {
            long start = System.nanoTime();
            engine.start();
            while (replica.queryLong("SELECT applied FROM replica_stats") < expected) {
                if (engine.state().isTerminal()) {
                    throw new IllegalStateException("engine ended: " + engine.failure());
                }
                Thread.sleep(20);
            }
            return expected / ((System.nanoTime() - start) / 1e9);
        }
    }

    private static double median(List<double[]> results, int column) {
        double[] values = results.stream().mapToDouble(r -> r[column]).sorted().toArray();
        int n = values.length;
        return n % 2 == 1 ? values[n / 2] : (values[n / 2 - 1] + values[n / 2]) / 2;
    }
}
