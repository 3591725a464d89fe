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
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * Who changed what, and when: the audit columns that {@code sql/020_audit.sql}'s triggers fill on every
 * UPDATE ({@code modified_by}, {@code modified_at}, {@code change_info}), read from the change stream
 * instead of polling the table.
 */
@Command(name = "AuditTrail", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Prints an audit line for every update: when, who, and each changed column's old and new value.")
public final class AuditTrail implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--changes", description = "changes to write, half of them updates (default: ${DEFAULT-VALUE})")
    int changes = 400;

    @Mixin
    Cli.Verbose verbose;

    public static void main(String[] args) {
        System.exit(Cli.execute(new AuditTrail(), args));
    }

    @Override
    public Integer call() throws Exception {
        try (DemoDatabase db = connection.open(true)) {
            System.out.println("PostgreSQL: " + db.describe());
            AtomicLong audited = new AtomicLong();
            ChangeListener auditor = new ChangeListener() {
                @Override
                public void onUpdate(ChangeEvent event) {
                    Row row = event.after();
                    System.out.printf("%s  %-10s changed %s: %s%n", row.getTimestamp("modified_at"), row.getString("modified_by"),
                            row.getString("transaction_id"), describe(row.getJson("change_info")));
                    synchronized (audited) {
                        audited.incrementAndGet();
                        audited.notifyAll();
                    }
                }
            };
            CdcConfig config = db.captureConfig("audit_trail").snapshotMode(SnapshotMode.NONE)
                    .property("slot.drop.on.stop", "true") // a demo: leave no slot holding WAL behind
                    .build();
            GeneratorReport written;
            System.out.println(Cli.capturing(config));
            try (CdcEngine engine = CdcEngine.create(config, auditor)) {
                engine.start();
                written = db.generator().run(Workload.builder().mix(40, 50, 10).count(changes).rate(200).rowsPerTransaction(10).build());
                long expected = written.count(ChangeKind.UPDATE);
                long deadline = System.nanoTime() + Duration.ofSeconds(60).toNanos();
                synchronized (audited) {
                    while (audited.get() < expected && System.nanoTime() < deadline) {
                        audited.wait(100);
                    }
                }
            }
            System.out.printf("%n%d updates written, %d audit lines printed%n", written.count(ChangeKind.UPDATE), audited.get());
            return audited.get() == written.count(ChangeKind.UPDATE) ? 0 : 1;
        }
    }

    /** {@code amount 12.50 -> 99.99}, one entry per changed column; who and when are printed separately. */
    static String describe(JsonNode changeInfo) {
        if (changeInfo == null) {
            return "(no change_info: are sql/020_audit.sql's triggers installed?)";
        }
        StringBuilder sb = new StringBuilder();
        Iterator<Map.Entry<String, JsonNode>> fields = changeInfo.fields();
        while (fields.hasNext()) {
            Map.Entry<String, JsonNode> f = fields.next();
            if (f.getValue().isObject() && f.getValue().has("old")) {
                sb.append(sb.length() == 0 ? "" : ", ").append(f.getKey()).append(' ').append(f.getValue().get("old").asText())
                        .append(" -> ").append(f.getValue().get("new").asText());
            }
        }
        return sb.length() == 0 ? "no tracked column" : sb.toString();
    }
}
