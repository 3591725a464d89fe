package io.pgcdc.examples;

import com.fasterxml.jackson.core.JsonGenerator;
import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.json.JsonMapper;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.OffsetStore;
import io.pgcdc.Row;
import io.pgcdc.SnapshotMode;
import io.pgcdc.SourcePosition;
import io.pgcdc.generator.Workload;
import java.io.FileDescriptor;
import java.io.FileOutputStream;
import java.io.PrintStream;
import java.math.BigDecimal;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.time.temporal.TemporalAccessor;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.atomic.AtomicLong;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * {@code tail -f} for tables: every change as one JSON object per line on stdout (id, op, table, key,
 * before, after, source position), for pipes and scripts; {@code id} is the event's idempotency key, the
 * same when a restart repeats it. With {@code --offsets} it resumes where the
 * last run stopped; Ctrl-C or SIGTERM closes the engine, storing the offsets, and exits 0. Logs go to
 * stderr, so stdout holds only JSON.
 */
@Command(name = "Tail", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Streams changes as JSON lines on stdout; resumable with --offsets. Ctrl-C or SIGTERM stops it cleanly (exit 0).")
public final class Tail implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--apply-sql", description = ConnectionOptions.APPLY_SQL)
    boolean applySql;

    @Option(names = "--tables", split = ",", description = "schema.table,... to capture (default: public.transactions)")
    List<String> tables = List.of("public.transactions");

    @Option(names = "--name", description = "engine name, and so the slot's (default: ${DEFAULT-VALUE})")
    String name = "tail";

    @Option(names = "--publication", description = "an existing publication to read (default: sql/'s for its table once applied, else one created for --tables)")
    String publication;

    @Option(names = "--offsets", paramLabel = "FILE", description = "offsets file: a later run resumes after the last line printed")
    Path offsets;

    @Option(names = "--offsets-jdbc", description = "offsets in table pgcdc_offsets of the captured database instead of a file"
            + " (implied by --standby)")
    boolean offsetsJdbc;

    @Option(names = "--standby", description = "one of several replicas: wait while another runs this engine, take over when it"
            + " stops, dies or stalls (offsets in the database)")
    boolean standby;

    @Option(names = "--lease-timeout", paramLabel = "DURATION", description = "with --standby: how long a stalled leader keeps the"
            + " engine, ISO-8601 (default: ${DEFAULT-VALUE})")
    Duration leaseTimeout = CdcConfig.DEFAULT_LEASE_TIMEOUT;

    @Option(names = "--standby-poll", paramLabel = "DURATION", description = "with --standby: how often a standby checks, ISO-8601"
            + " (default: ${DEFAULT-VALUE})")
    Duration standbyPoll = CdcConfig.DEFAULT_STANDBY_POLL_INTERVAL;

    @Option(names = "--replica", description = "with --standby: this replica's name (default: $HOSTNAME-<pid>)")
    String replica;

    @Option(names = "--snapshot", description = "INITIAL (existing rows first), NONE or ALWAYS (default: ${DEFAULT-VALUE})")
    SnapshotMode snapshot = SnapshotMode.NONE;

    @Option(names = "--lanes", paramLabel = "N", description = "threads printing changes, by row (default: ${DEFAULT-VALUE}); see CdcConfig.lanes")
    int lanes = 1;

    @Option(names = "--max-events", paramLabel = "N", description = "stop after N events (default: run until Ctrl-C)")
    long maxEvents;

    @Option(names = "--generate", paramLabel = "N",
            description = "write N fake changes once streaming (default: 1000 on the embedded server, else 0); then stop after them")
    Integer generate;

    @Mixin
    Cli.Verbose verbose;

    private static final ObjectMapper JSON = JsonMapper.builder().enable(JsonGenerator.Feature.WRITE_BIGDECIMAL_AS_PLAIN).build();

    public static void main(String[] args) {
        System.exit(Cli.execute(new Tail(), args));
    }

    @Override
    public Integer call() throws Exception {
        PrintStream out = new PrintStream(new FileOutputStream(FileDescriptor.out), false, StandardCharsets.UTF_8);
        int toGenerate = generate != null ? generate : connection.embedded() ? 1_000 : 0;
        long stopAfter = maxEvents > 0 ? maxEvents : toGenerate;
        try (DemoDatabase db = connection.open(applySql)) {
            System.err.println("PostgreSQL: " + db.describe());
            AtomicLong printed = new AtomicLong();
            CountDownLatch stop = new CountDownLatch(1);
            ChangeListener printer = new ChangeListener() {
                @Override
                public void onChange(ChangeEvent event) throws Exception {
                    out.println(JSON.writeValueAsString(toJson(event)));
                    out.flush();
                    // With --lanes, lane threads print at once: println keeps lines whole.
                    if (stopAfter > 0 && printed.incrementAndGet() >= stopAfter) {
                        stop.countDown();
                    }
                }
            };
            CdcConfig config = config(db, connection.embedded() || applySql);
            System.err.println(Cli.capturing(config));
            try (CdcEngine engine = CdcEngine.create(config, printer)) {
                Cli.stopOnSignal(stop, engine);
                engine.start();
                if (toGenerate > 0) {
                    db.generator().run(Workload.builder().count(toGenerate).rate(500).rowsPerTransaction(10).build());
                }
                // The listener counts stop down after enough events; Ctrl-C and SIGTERM do too.
                return Cli.awaitStop(stop, engine);
            }
        }
    }

    /** The {@code sql/} publication and role when {@code sql/} was applied and the table is its; else a publication of {@code --tables}. */
    private CdcConfig config(DemoDatabase db, boolean sqlApplied) {
        CdcConfig.Builder b = sqlApplied && tables.equals(List.of("public.transactions")) ? db.captureConfig(name)
                : CdcConfig.builder().name(name).host(db.host).port(db.port).database(db.database)
                        .user(db.captureUser).password(db.capturePassword);
        b.tables(tables.toArray(String[]::new)).snapshotMode(snapshot).lanes(lanes);
        if (publication != null) {
            b.publicationName(publication).property("publication.autocreate.mode", "disabled");
        }
        if (offsets != null && (offsetsJdbc || standby)) {
            throw new picocli.CommandLine.ParameterException(new picocli.CommandLine(this),
                    "--offsets (a file) and --offsets-jdbc or --standby (offsets in the database) exclude each other");
        }
        if (offsets != null) {
            b.offsetStore(OffsetStore.file(offsets));
        }
        if (offsetsJdbc || standby) {
            CdcConfig c = b.build();
            b.offsetStore(OffsetStore.jdbc("jdbc:postgresql://" + c.host() + ":" + c.port() + "/" + c.database(), c.user(), c.password()));
        }
        if (standby) {
            b.standby(true).leaseTimeout(leaseTimeout).standbyPollInterval(standbyPoll);
            if (replica != null) {
                b.replicaName(replica);
            }
        }
        return b.startTimeout(Duration.ofMinutes(2)).build();
    }

    /** One event as a JSON-ready map: values as their natural types, temporals in ISO-8601, bytea in base64. */
    static Map<String, Object> toJson(ChangeEvent event) {
        Map<String, Object> json = new LinkedHashMap<>();
        json.put("id", event.idempotencyKey());
        json.put("op", event.operation().code());
        json.put("table", event.table().toString());
        json.put("key", row(event.key()));
        json.put("before", row(event.before()));
        json.put("after", row(event.after()));
        List<String> unavailable = new ArrayList<>();
        for (Row r : new Row[] {event.before(), event.after()}) {
            if (r != null) {
                r.columns().stream().filter(r::isUnavailable).filter(c -> !unavailable.contains(c)).forEach(unavailable::add);
            }
        }
        if (!unavailable.isEmpty()) {
            json.put("unavailable", unavailable);
        }
        SourcePosition s = event.source();
        Map<String, Object> source = new LinkedHashMap<>();
        source.put("lsn", s.lsn().toString());
        event.transaction().ifPresent(tx -> source.put("commitLsn", tx.commitLsn().toString()));
        source.put("txId", s.transactionId());
        source.put("commitTime", s.commitTime().toString());
        source.put("snapshot", event.isSnapshot());
        event.snapshot().ifPresent(info -> source.put("snapshotAttempt", info.attempt()));
        json.put("source", source);
        return json;
    }

    private static Map<String, Object> row(Row row) {
        if (row == null) {
            return null;
        }
        Map<String, Object> values = new LinkedHashMap<>();
        for (String column : row.columns()) {
            if (!row.isUnavailable(column)) {
                values.put(column, value(row.getObject(column)));
            }
        }
        return values;
    }

    private static Object value(Object v) {
        if (v instanceof TemporalAccessor) {
            return v.toString();
        }
        if (v instanceof List) {
            List<Object> list = new ArrayList<>();
            ((List<?>) v).forEach(e -> list.add(value(e)));
            return list;
        }
        if (v instanceof Double && !Double.isFinite((Double) v) || v instanceof Float && !Float.isFinite((Float) v)) {
            return v.toString(); // NaN and the infinities have no JSON number: "NaN", "Infinity", "-Infinity"
        }
        if (v == null || v instanceof String || v instanceof Number || v instanceof Boolean || v instanceof byte[]
                || v instanceof BigDecimal || v instanceof java.util.Map) {
            return v;
        }
        return v.toString();
    }
}
