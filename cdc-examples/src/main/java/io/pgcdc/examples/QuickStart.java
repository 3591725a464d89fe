package io.pgcdc.examples;

import com.fasterxml.jackson.databind.JsonNode;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.Row;
import io.pgcdc.SnapshotMode;
import io.pgcdc.generator.ChangeKind;
import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.Workload;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.Collections;
import java.util.EnumMap;
import java.util.Iterator;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The demo: fake transactions written to PostgreSQL arrive, one by one, in a Java callback of the
 * same process. Starts the engine, runs the generator, prints every change, then checks that every
 * change the generator committed was received, and exits 1 if one is missing.
 */
@Command(name = "QuickStart", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Writes fake transactions and prints each change as the engine delivers it; exits 1 unless all arrive.")
public final class QuickStart implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--changes", description = "changes to write (default: ${DEFAULT-VALUE})")
    int changes = 3_000;

    @Option(names = "--rate", description = "changes per second (default: ${DEFAULT-VALUE})")
    double rate = 1_000;

    @Option(names = "--quiet", description = "print only the summary")
    boolean quiet;

    @Mixin
    Cli.Verbose verbose;

    public static void main(String[] args) {
        System.exit(Cli.execute(new QuickStart(), args));
    }

    @Override
    public Integer call() throws Exception {
        try (DemoDatabase db = connection.open(true)) {
            System.out.println("PostgreSQL: " + db.describe());
            Received received = new Received();
            CdcConfig config = db.captureConfig("quickstart")
                    .snapshotMode(SnapshotMode.NONE)
                    .property("slot.drop.on.stop", "true") // a demo: leave no slot holding WAL behind
                    .build();

            GeneratorReport written;
            System.out.println(Cli.capturing(config));
            try (CdcEngine engine = CdcEngine.create(config, received)) {
                engine.start();
                System.out.println("engine streaming; writing " + changes + " changes at " + (long) rate + "/s");
                written = db.generator().run(Workload.builder().mix(70, 20, 10).count(changes).rate(rate).rowsPerTransaction(20)
                        .build());
                received.awaitAtLeast(written.total(), Duration.ofSeconds(60));
                if (engine.failure().isPresent()) {
                    System.err.println(Cli.errorLine(engine.failure().get()));
                    return 1;
                }
            }
            return summarize(written, received);
        }
    }

    private static int summarize(GeneratorReport written, Received received) {
        System.out.println();
        System.out.println("generator wrote: " + written);
        // The first half includes the JVM's warm-up (classes loaded, code compiled) on cores shared with
        // PostgreSQL and the generator: callbacks lag hundreds of ms there, then about 10 ms.
        System.out.printf("engine received: %d inserts, %d updates, %d deletes; commit to callback p50 %d ms, max %d ms"
                + " (second half: p50 %d ms, max %d ms)%n",
                received.ids(ChangeKind.INSERT).size(), received.ids(ChangeKind.UPDATE).size(), received.ids(ChangeKind.DELETE).size(),
                received.latencyPercentile(50, false), received.latencyPercentile(100, false),
                received.latencyPercentile(50, true), received.latencyPercentile(100, true));
        boolean ok = true;
        for (ChangeKind kind : ChangeKind.values()) {
            List<String> expected = sorted(written.ids(kind));
            List<String> got = sorted(received.ids(kind));
            if (!expected.equals(got)) {
                ok = false;
                List<String> missing = difference(expected, got);
                List<String> unexpected = difference(got, expected);
                System.out.printf("MISMATCH in %ss: %d missing %s, %d unexpected %s%n", kind.name().toLowerCase(), missing.size(),
                        head(missing), unexpected.size(), head(unexpected));
            }
        }
        System.out.println(ok ? "OK: every change the generator committed was received, once, and nothing else."
                : "FAILED: the changes received differ from the changes written.");
        return ok ? 0 : 1;
    }

    private static List<String> sorted(List<String> ids) {
        List<String> copy = new ArrayList<>(ids);
        Collections.sort(copy);
        return copy;
    }

    /** Multiset difference of two sorted lists. */
    private static List<String> difference(List<String> a, List<String> b) {
        List<String> rest = new ArrayList<>();
        Iterator<String> ib = b.iterator();
        String next = ib.hasNext() ? ib.next() : null;
        for (String s : a) {
            while (next != null && next.compareTo(s) < 0) {
                next = ib.hasNext() ? ib.next() : null;
            }
            if (next != null && next.equals(s)) {
                next = ib.hasNext() ? ib.next() : null;
            } else {
                rest.add(s);
            }
        }
        return rest;
    }

    private static String head(List<String> ids) {
        return ids.size() <= 5 ? ids.toString() : ids.subList(0, 5) + "...";
    }

    /** Prints each change compactly and keeps the ids received per kind. */
    private final class Received implements ChangeListener {
        private final Map<ChangeKind, List<String>> ids = new EnumMap<>(ChangeKind.class);
        private final List<Long> latencies = new ArrayList<>();
        private int count;

        Received() {
            for (ChangeKind kind : ChangeKind.values()) {
                ids.put(kind, new ArrayList<>());
            }
        }

        @Override
        public synchronized void onInsert(ChangeEvent event) {
            Row row = event.after();
            record(ChangeKind.INSERT, row.getString("transaction_id"), event);
            print("+ %s  %8s %s  %-18s %s, %s", shortId(row), row.getDecimal("amount"), row.getString("currency"),
                    row.getString("user_id"), row.getString("city"), row.getString("country"));
        }

        @Override
        public synchronized void onUpdate(ChangeEvent event) {
            Row row = event.after();
            record(ChangeKind.UPDATE, row.getString("transaction_id"), event);
            StringBuilder what = new StringBuilder();
            JsonNode info = row.getJson("change_info");
            if (info != null) {
                info.fields().forEachRemaining(f -> {
                    if (f.getValue().has("old")) {
                        what.append(f.getKey()).append(' ').append(f.getValue().get("old")).append(" -> ")
                                .append(f.getValue().get("new")).append("  ");
                    }
                });
            }
            print("~ %s  %sby %s", shortId(row), what, row.getString("modified_by"));
        }

        @Override
        public synchronized void onDelete(ChangeEvent event) {
            String id = event.key().getString("transaction_id");
            record(ChangeKind.DELETE, id, event);
            print("- %s", id.substring(0, 8));
        }

        private void record(ChangeKind kind, String id, ChangeEvent event) {
            ids.get(kind).add(id);
            latencies.add(Duration.between(event.source().commitTime(), Instant.now()).toMillis());
            count++;
            notifyAll();
        }

        private void print(String format, Object... args) {
            if (!quiet) {
                System.out.printf(format + "%n", args);
            }
        }

        private String shortId(Row row) {
            return row.getString("transaction_id").substring(0, 8);
        }

        synchronized List<String> ids(ChangeKind kind) {
            return new ArrayList<>(ids.get(kind));
        }

        /** A percentile of the commit-to-callback latencies, of all changes or of the second half received. */
        synchronized long latencyPercentile(int p, boolean secondHalf) {
            if (latencies.isEmpty()) {
                return 0;
            }
            List<Long> sorted = new ArrayList<>(secondHalf ? latencies.subList(latencies.size() / 2, latencies.size()) : latencies);
            Collections.sort(sorted);
            return sorted.get(Math.max(0, (int) Math.ceil(p / 100.0 * sorted.size()) - 1));
        }

        synchronized void awaitAtLeast(long n, Duration timeout) throws InterruptedException {
            long deadline = System.nanoTime() + timeout.toNanos();
            while (count < n) {
                long left = deadline - System.nanoTime();
                if (left <= 0) {
                    return;
                }
                TimeUnit.NANOSECONDS.timedWait(this, left);
            }
        }
    }
}
