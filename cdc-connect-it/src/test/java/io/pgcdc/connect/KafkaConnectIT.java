package io.pgcdc.connect;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.Operation;
import io.pgcdc.Row;
import io.pgcdc.examples.ConnectorRegistration;
import io.pgcdc.generator.ChangeKind;
import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.Schema;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import java.util.concurrent.CopyOnWriteArrayList;
import org.apache.kafka.clients.consumer.ConsumerConfig;
import org.apache.kafka.clients.consumer.ConsumerRecord;
import org.apache.kafka.clients.consumer.KafkaConsumer;
import org.apache.kafka.common.TopicPartition;
import org.apache.kafka.common.serialization.StringDeserializer;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * The scale-out path of the README on a real Kafka Connect worker: the registration that
 * {@link ConnectorRegistration} generates (the committed {@code docker/connect/postgres-fin-connector.json},
 * pointed at the test database) is PUT to the worker's REST API as docker-compose's {@code register-connector}
 * does, the worker resolves the password from its environment, and the change topic then carries, change for
 * change, the values the embedded engine hands its listener for the same workload.
 *
 * <p>The embedded engine runs the same {@link CdcConfig} with the password set, under its own name and so its
 * own slot: two Debezium connectors with one {@code topic.prefix} in one JVM would register the same JMX beans
 * (the second waits 12 × 5 s for the name, then runs without metrics) and the engine's start check would read the
 * other's snapshot state. In production the two never share a JVM.
 */
@ExtendWith(PostgresExtension.class)
class KafkaConnectIT {

    private static final String TOPIC = ConnectorRegistration.NAME + ".public.transactions";
    private static final String EMBEDDED_NAME = ConnectorRegistration.NAME + "-embedded";
    private static final Path COMMITTED = Path.of(System.getProperty("basedir", "."))
            .resolve("../docker/connect/postgres-fin-connector.json").normalize();
    private static final Duration PATIENCE = Duration.ofSeconds(90);
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final Logger LOG = LoggerFactory.getLogger(KafkaConnectIT.class);

    private static final Workload WORKLOAD = Workload.builder()
            .mix(70, 20, 10)
            .count(3_000)
            .rowsPerTransaction(100)
            .seed(20_261_128L)
            .timestamps(Instant.parse("2026-01-01T00:00:00Z"), Duration.ofDays(365))
            .build();

    @Test
    void aConnectWorkerRunningTheGeneratedRegistrationPublishesTheValuesTheEmbeddedListenerReceives(TestDatabase db)
            throws Exception {
        long startNanos = System.nanoTime();
        String password = System.getenv(ConnectorRegistration.PASSWORD_VARIABLE);
        assertThat(password)
                .as("%s must be set in the test JVM's environment: the Connect worker resolves the registration's %s from it"
                        + " (cdc-connect-it/pom.xml sets it for failsafe)", ConnectorRegistration.PASSWORD_VARIABLE,
                        ConnectorRegistration.PASSWORD_REFERENCE)
                .isNotBlank();
        try (Connection c = db.connect()) {
            Schema.apply(c, password);
        }

        CdcConfig registered = ConnectorRegistration.config(db.host(), db.port(), db.name(), Schema.CAPTURE_ROLE);
        String printed = ConnectorRegistration.toJson(ConnectorRegistration.registration(registered));
        Map<String, Object> registration = parse(printed);
        String connectorName = (String) registration.get("name");
        assertThat(registration.get("config"))
                .as("the registration run here is the committed file with only PostgreSQL's address changed")
                .isEqualTo(committedConfigFor(db));
        CdcConfig embedded = registered.toBuilder()
                .name(EMBEDDED_NAME).slotName(EMBEDDED_NAME.replace('-', '_'))
                .password(password)
                .build();

        List<ChangeEvent> received = new CopyOnWriteArrayList<>();
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) {
                received.add(event);
            }
        };

        LOG.info("starting Kafka and a Connect worker");
        ConnectWorker connect = ConnectWorker.start(ConnectorRegistration.PASSWORD_VARIABLE);
        LOG.info("worker up; registering {}", connectorName);
        CdcEngine engine = null;
        try {
            HttpResponse<String> put = connect.putConnectorConfig(connectorName, composeBody(printed));
            assertThat(put.statusCode()).as("PUT /connectors/%s/config answered %s", connectorName, put.body()).isEqualTo(201);
            await().atMost(PATIENCE).until(() -> connect.isRunning(connectorName));
            // Streaming, past its (empty) snapshot: from here every commit reaches the topic as a change.
            await().atMost(PATIENCE).until(() -> slotActive(db, registered.slotName()));
            LOG.info("connector streaming; starting the embedded engine");
            engine = CdcEngine.create(embedded, listener);
            engine.start();
            LOG.info("writing {}", WORKLOAD);

            GeneratorReport report = TransactionGenerator.builder()
                    .jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password())
                    .build()
                    .run(WORKLOAD);
            assertThat(report.total()).isEqualTo(WORKLOAD.count().orElseThrow());

            LOG.info("generator wrote {}", report);
            await().atMost(PATIENCE).untilAsserted(() -> assertThat(received).hasSize((int) report.total()));
            assertThat(engine.failure()).isEmpty();
            LOG.info("embedded listener received {} changes; reading {}", received.size(), TOPIC);
            List<String> problems = new ArrayList<>();
            List<Published> changes = consumeChanges(connect, report.total() + report.count(ChangeKind.DELETE), problems);
            assertThat(connect.isRunning(connectorName)).as("%s still RUNNING", connectorName).isTrue();
            LOG.info("embedded listener and topic complete; comparing");

            // Per operation, in commit order: what the generator committed, what each side delivered.
            for (ChangeKind kind : ChangeKind.values()) {
                Operation operation = operationOf(kind);
                assertThat(received.stream().filter(e -> e.operation() == operation).map(e -> transactionId(e)).toList())
                        .as("embedded %s events, by transaction_id in order", operation)
                        .isEqualTo(report.ids(kind));
                assertThat(changes.stream().filter(c -> c.payload().path("op").asText().equals(operation.code())).count())
                        .as("Connect %s events", operation)
                        .isEqualTo(report.count(kind));
            }
            assertThat(changes).hasSameSizeAs(received);
            for (int i = 0; i < received.size(); i++) {
                compare(i, changes.get(i), received.get(i), problems);
            }
            assertThat(problems)
                    .withFailMessage("%d differences between %s and the embedded listener, the first: %s", problems.size(), TOPIC,
                            String.join("\n", problems.subList(0, Math.min(20, problems.size()))))
                    .isEmpty();

            System.out.printf("KafkaConnectIT: %d changes (%s) equal in %s and in the embedded listener; %.1f s, peak RSS %s%n",
                    received.size(), counts(report), TOPIC, (System.nanoTime() - startNanos) / 1e9, peakRss());
        } finally {
            try {
                if (engine != null) {
                    engine.close();
                }
            } finally {
                connect.close();
            }
        }
    }

    /** The JSON docker-compose's {@code register-connector} PUTs: the file's {@code config} object, unwrapped line by line. */
    private static String composeBody(String registrationJson) {
        // sed '1,/"config": {/d;$d' after an echo '{': drop the lines up to "config", and the last line.
        List<String> lines = registrationJson.lines().toList();
        int config = lines.indexOf("  \"config\": {");
        assertThat(config).as("the registration's layout: %s", registrationJson).isPositive();
        return "{\n" + String.join("\n", lines.subList(config + 1, lines.size() - 1)) + "\n";
    }

    /** The committed registration's {@code config} with the test database where PostgreSQL is. */
    private static Map<String, String> committedConfigFor(TestDatabase db) throws IOException {
        @SuppressWarnings("unchecked")
        Map<String, String> config = new LinkedHashMap<>((Map<String, String>) parse(Files.readString(COMMITTED)).get("config"));
        config.put("database.hostname", db.host());
        config.put("database.port", Integer.toString(db.port()));
        config.put("database.dbname", db.name());
        return config;
    }

    private static Map<String, Object> parse(String json) throws IOException {
        return JSON.readValue(json, new TypeReference<>() { });
    }

    private static boolean slotActive(TestDatabase db, String slot) throws SQLException {
        try (Connection c = db.connect();
             PreparedStatement ps = c.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?")) {
            ps.setString(1, slot);
            try (ResultSet rs = ps.executeQuery()) {
                return rs.next() && rs.getBoolean(1);
            }
        }
    }

    /** A change record of the topic: the key's {@code transaction_id} and the value's payload (the envelope). */
    private record Published(long offset, String transactionId, JsonNode payload) {
    }

    /**
     * Reads the change topic from its start until {@code expected} records came and checks that nothing follows
     * them, that each delete is followed by a tombstone (a null value) with its key, and that every record has one
     * value schema whose columns are encoded as {@link TransactionsColumn} says; returns the records but the
     * tombstones, keeping only their payloads.
     */
    private static List<Published> consumeChanges(ConnectWorker connect, long expected, List<String> problems) {
        await().atMost(PATIENCE).until(() -> connect.topicExists(TOPIC));
        Properties props = new Properties();
        props.put(ConsumerConfig.BOOTSTRAP_SERVERS_CONFIG, connect.bootstrapServers());
        props.put(ConsumerConfig.AUTO_OFFSET_RESET_CONFIG, "earliest");
        props.put(ConsumerConfig.ENABLE_AUTO_COMMIT_CONFIG, "false");
        props.put(ConsumerConfig.KEY_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        props.put(ConsumerConfig.VALUE_DESERIALIZER_CLASS_CONFIG, StringDeserializer.class.getName());
        List<Published> changes = new ArrayList<>();
        long[] consumed = {0};
        JsonNode[] schema = {null};
        String[] lastDelete = {null};
        try (KafkaConsumer<String, String> consumer = new KafkaConsumer<>(props)) {
            // The one partition, assigned: no consumer group to join.
            assertThat(consumer.partitionsFor(TOPIC)).as("partitions of %s", TOPIC).hasSize(1);
            TopicPartition partition = new TopicPartition(TOPIC, 0);
            consumer.assign(List.of(partition));
            consumer.seekToBeginning(List.of(partition));
            await().atMost(PATIENCE).pollInSameThread().pollInterval(Duration.ofMillis(10)).until(() -> {
                for (ConsumerRecord<String, String> record : consumer.poll(Duration.ofMillis(500))) {
                    consumed[0]++;
                    String transactionId = JSON.readTree(record.key()).path("payload").path("transaction_id").asText(null);
                    if (record.value() == null) {
                        if (lastDelete[0] == null || !lastDelete[0].equals(transactionId)) {
                            problems.add("tombstone at offset " + record.offset() + " for " + transactionId + " follows no delete of it");
                        }
                        lastDelete[0] = null;
                        continue;
                    }
                    if (lastDelete[0] != null) {
                        problems.add("no tombstone after the delete of " + lastDelete[0]);
                    }
                    JsonNode value = JSON.readTree(record.value());
                    if (schema[0] == null) {
                        schema[0] = value.path("schema");
                        checkColumnSchemas(schema[0], problems);
                    } else if (!schema[0].equals(value.path("schema"))) {
                        problems.add("offset " + record.offset() + " has another value schema: " + value.path("schema"));
                    }
                    JsonNode payload = value.path("payload");
                    lastDelete[0] = payload.path("op").asText().equals("d") ? transactionId : null;
                    changes.add(new Published(record.offset(), transactionId, payload));
                }
                return consumed[0] >= expected;
            });
            if (lastDelete[0] != null) {
                problems.add("no tombstone after the delete of " + lastDelete[0]);
            }
            assertThat(consumer.endOffsets(List.of(partition)).get(partition)).as("records in %s", TOPIC).isEqualTo(expected);
        }
        assertThat(consumed[0]).as("records read from %s", TOPIC).isEqualTo(expected);
        return changes;
    }

    /** The envelope's {@code before} and {@code after} structs name every column, in table order, encoded as expected. */
    private static void checkColumnSchemas(JsonNode valueSchema, List<String> problems) {
        for (String image : List.of("before", "after")) {
            Map<String, JsonNode> fields = new LinkedHashMap<>();
            for (JsonNode envelopeField : valueSchema.path("fields")) {
                if (envelopeField.path("field").asText().equals(image)) {
                    envelopeField.path("fields").forEach(field -> fields.put(field.path("field").asText(), field));
                }
            }
            if (!List.copyOf(fields.keySet()).equals(TransactionsColumn.NAMES)) {
                problems.add(image + " schema has the columns " + fields.keySet() + ", expected " + TransactionsColumn.NAMES);
                continue;
            }
            for (TransactionsColumn column : TransactionsColumn.values()) {
                String problem = column.schemaMismatch(fields.get(column.column));
                if (problem != null) {
                    problems.add(image + " schema: " + problem);
                }
            }
        }
    }

    /** One change: identity, operation, position, key, and every column of both images through {@link TransactionsColumn}. */
    private static void compare(int index, Published change, ChangeEvent event, List<String> problems) {
        String where = "change " + (index + 1) + " (offset " + change.offset() + ", " + event.operation() + " "
                + transactionId(event) + ")";
        JsonNode payload = change.payload();
        if (!payload.path("op").asText().equals(event.operation().code()) || !transactionId(event).equals(change.transactionId())) {
            problems.add(where + ": Connect has " + payload.path("op") + " of " + change.transactionId());
            return;
        }
        if (!event.key().columns().equals(List.of("transaction_id"))) {
            problems.add(where + ": embedded key " + event.key());
        }
        JsonNode source = payload.path("source");
        if (source.path("lsn").asLong() != event.source().lsn().asLong()
                || source.path("txId").asLong() != event.source().transactionId()) {
            problems.add(where + ": Connect at lsn " + source.path("lsn") + " txId " + source.path("txId") + ", embedded "
                    + event.source());
        }
        compareImage(where + " before", payload.path("before"), event.before(), problems);
        compareImage(where + " after", payload.path("after"), event.after(), problems);
    }

    private static void compareImage(String where, JsonNode connect, Row embedded, List<String> problems) {
        if (embedded == null || connect.isNull()) {
            if (embedded != null || !connect.isNull()) {
                problems.add(where + ": Connect " + connect + ", embedded " + embedded);
            }
            return;
        }
        List<String> connectColumns = new ArrayList<>();
        connect.fieldNames().forEachRemaining(connectColumns::add);
        if (!connectColumns.equals(TransactionsColumn.NAMES) || !embedded.columns().equals(TransactionsColumn.NAMES)) {
            problems.add(where + ": columns " + connectColumns + " (Connect), " + embedded.columns() + " (embedded), expected "
                    + TransactionsColumn.NAMES);
            return;
        }
        for (TransactionsColumn column : TransactionsColumn.values()) {
            String problem = column.mismatch(connect.get(column.column), embedded);
            if (problem != null) {
                problems.add(where + ": " + problem);
            }
        }
    }

    private static String transactionId(ChangeEvent event) {
        return event.key().getString("transaction_id");
    }

    private static Operation operationOf(ChangeKind kind) {
        switch (kind) {
            case INSERT:
                return Operation.CREATE;
            case UPDATE:
                return Operation.UPDATE;
            case DELETE:
                return Operation.DELETE;
            default:
                throw new IllegalArgumentException("no operation for " + kind);
        }
    }

    private static String counts(GeneratorReport report) {
        Map<ChangeKind, Long> counts = new EnumMap<>(ChangeKind.class);
        for (ChangeKind kind : ChangeKind.values()) {
            counts.put(kind, report.count(kind));
        }
        return counts.toString();
    }

    /** This JVM's peak resident set size ({@code VmHWM}), or "unknown" off Linux. */
    private static String peakRss() {
        try {
            return Files.readAllLines(Path.of("/proc/self/status")).stream()
                    .filter(l -> l.startsWith("VmHWM:"))
                    .map(l -> Long.parseLong(l.replaceAll("\\D", "")) / 1024 + " MB")
                    .findFirst().orElse("unknown");
        } catch (IOException e) {
            return "unknown";
        }
    }
}
