package io.pgcdc.bench;

import static io.pgcdc.bench.Figures.median;
import static io.pgcdc.bench.Figures.rate;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.SnapshotMode;
import io.pgcdc.generator.Schema;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Streaming rows/s of a listener that waits {@code --wait-ms} per event (an HTTP call, an index update),
 * with 1 lane (the default) and with {@code --lanes}, on the same committed changes: each variant streams
 * from its own slot, created before the rows are written, so every variant reads the same WAL.
 *
 * <p>Run: {@code java -cp cdc-bench/target/pgcdc-bench.jar io.pgcdc.bench.LanesBenchmark --rows 10000 --lanes 8 --runs 3}
 */
@Command(name = "LanesBenchmark", mixinStandardHelpOptions = true,
        description = "Rows/s of a slow listener with one lane and with several, same changes, same run.")
public final class LanesBenchmark implements Callable<Integer> {

    @Option(names = "--rows", defaultValue = "10000", description = "rows inserted, 100 per transaction (default: ${DEFAULT-VALUE})")
    int rows;

    @Option(names = "--lanes", defaultValue = "8", description = "lanes of the parallel variant (default: ${DEFAULT-VALUE})")
    int lanes;

    @Option(names = "--wait-ms", defaultValue = "1", description = "how long the listener waits per event (default: ${DEFAULT-VALUE})")
    int waitMillis;

    @Option(names = "--runs", defaultValue = "3", description = "rounds, each with fresh slots and rows (default: ${DEFAULT-VALUE})")
    int runs;

    public static void main(String[] args) {
        System.exit(new CommandLine(new LanesBenchmark()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        TestPostgres pg = TestPostgres.shared();
        double[] one = new double[runs];
        double[] many = new double[runs];
        try {
            System.out.printf(Locale.ROOT, "%,d rows per round, listener waits %d ms per event, %d rounds, %d cores%n", rows, waitMillis, runs,
                    Runtime.getRuntime().availableProcessors());
            System.out.printf(Locale.ROOT, "%-6s %18s %18s %8s%n", "round", "1 lane", lanes + " lanes", "ratio");
            for (int run = 0; run < runs; run++) {
                try (TestDatabase db = pg.createDatabase("lanes_bench")) {
                    db.execute(Schema.script("010_transactions.sql"), "CREATE PUBLICATION lanes_pub FOR TABLE public.transactions",
                            "SELECT pg_create_logical_replication_slot('lanes_1', 'pgoutput')",
                            "SELECT pg_create_logical_replication_slot('lanes_n', 'pgoutput')");
                    for (int from = 1; from <= rows; from += 100) {
                        db.execute("INSERT INTO transactions (transaction_id, amount) SELECT 'row-' || i, i FROM generate_series("
                                + from + ", " + Math.min(rows, from + 99) + ") i");
                    }
                    one[run] = measure(db, "lanes_1", 1);
                    many[run] = measure(db, "lanes_n", lanes);
                    System.out.printf(Locale.ROOT, "%-6d %18s %18s %8.2f%n", run + 1, rate(one[run]), rate(many[run]), many[run] / one[run]);
                }
            }
            List<Double> ratios = new ArrayList<>();
            for (int i = 0; i < runs; i++) {
                ratios.add(many[i] / one[i]);
            }
            System.out.printf(Locale.ROOT, "%-6s %18s %18s %8.2f%n", "median", rate(median(one)), rate(median(many)),
                    median(ratios.stream().mapToDouble(Double::doubleValue).toArray()));
        } finally {
            pg.close();
        }
        return 0;
    }

    /** Streams the slot's changes with {@code laneCount} lanes until every row arrived; rows/s from the first to the last. */
    private double measure(TestDatabase db, String slot, int laneCount) throws Exception {
        AtomicLong received = new AtomicLong();
        AtomicLong first = new AtomicLong();
        AtomicLong last = new AtomicLong();
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) throws Exception {
                first.compareAndSet(0, System.nanoTime());
                Thread.sleep(waitMillis);
                if (received.incrementAndGet() == rows) {
                    last.set(System.nanoTime());
                }
            }
        };
        CdcConfig config = CdcConfig.builder().name("lanes-bench-" + slot).host(db.host()).port(db.port()).database(db.name())
                .user(db.user()).password(db.password()).tables("public.transactions").slotName(slot).publicationName("lanes_pub")
                .property("publication.autocreate.mode", "disabled").snapshotMode(SnapshotMode.NONE).lanes(laneCount).build();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            long deadline = System.nanoTime() + TimeUnit.MINUTES.toNanos(10);
            while (last.get() == 0) {
                if (engine.state().isTerminal() || System.nanoTime() > deadline) {
                    throw new IllegalStateException(laneCount + " lanes: " + received.get() + " of " + rows + " rows, engine " + engine.state()
                            + engine.failure().map(f -> ": " + f.getMessage()).orElse(""));
                }
                Thread.sleep(10);
            }
        }
        if (received.get() != rows) {
            throw new IllegalStateException(laneCount + " lanes received " + received.get() + " rows, expected " + rows);
        }
        return (rows - 1) / ((last.get() - first.get()) / 1e9);
    }


}
