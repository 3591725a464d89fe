package io.pgcdc.connect;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;
import java.util.HashMap;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.provider.EnvVarConfigProvider;
import org.apache.kafka.connect.json.JsonConverter;
import org.apache.kafka.connect.util.clusters.EmbeddedConnectCluster;

/**
 * A single-node Kafka (KRaft, broker and controller in one) and one distributed Kafka Connect worker, both in
 * this JVM, started by Kafka's own test harness ({@link EmbeddedConnectCluster}). The worker is set up as
 * docker-compose's {@code connect} service is where it matters: JSON converters with schemas, and the
 * {@code env} config provider that resolves {@code ${env:PGCDC_CAPTURE_PASSWORD}} from the worker's
 * environment and nothing else. {@link #close()} stops the worker, then the broker, and deletes their files.
 */
final class ConnectWorker implements AutoCloseable {

    private static final ObjectMapper JSON = new ObjectMapper();

    private final EmbeddedConnectCluster cluster;
    private final HttpClient http = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(10)).build();
    private boolean closed;

    private ConnectWorker(EmbeddedConnectCluster cluster) {
        this.cluster = cluster;
    }

    /**
     * Starts the broker and the worker and returns once both are up (the harness waits for them).
     *
     * @param allowedVariable the one environment variable the worker's {@code env} provider may read
     */
    static ConnectWorker start(String allowedVariable) {
        Map<String, String> worker = new HashMap<>();
        // Plugins from the class path's ServiceLoader manifests: scanning every jar by reflection costs ~9 s and ~600 MB.
        worker.put("plugin.discovery", "service_load");
        // What docker-compose's Debezium image uses: Kafka's JSON converter with schemas (the harness defaults to strings).
        worker.put("key.converter", JsonConverter.class.getName());
        worker.put("key.converter.schemas.enable", "true");
        worker.put("value.converter", JsonConverter.class.getName());
        worker.put("value.converter.schemas.enable", "true");
        // CONNECT_CONFIG_PROVIDERS* in docker-compose.yml: only the password variable may be read.
        worker.put("config.providers", "env");
        worker.put("config.providers.env.class", EnvVarConfigProvider.class.getName());
        worker.put("config.providers.env.param.allowlist.pattern", allowedVariable);
        worker.put("topic.creation.enable", "true");

        Properties broker = new Properties();
        // The registration names no topic.creation.* settings: the change topic comes from the broker's auto-creation,
        // with one partition, so the topic's order is the WAL's.
        broker.put("auto.create.topics.enable", "true");
        broker.put("num.partitions", "1");

        EmbeddedConnectCluster cluster = new EmbeddedConnectCluster.Builder()
                .name("pgcdc-connect-it")
                .numWorkers(1)
                .numBrokers(1)
                .workerProps(worker)
                .brokerProps(broker)
                .maskExitProcedures(true)
                .build();
        ConnectWorker started = new ConnectWorker(cluster);
        try {
            cluster.start();
        } catch (RuntimeException | Error e) {
            started.close();
            throw e;
        }
        return started;
    }

    /** The harness, for its assertions and its Kafka cluster. */
    EmbeddedConnectCluster cluster() {
        return cluster;
    }

    /** Kafka's bootstrap servers, for a consumer. */
    String bootstrapServers() {
        return cluster.kafka().bootstrapServers();
    }

    /**
     * {@code PUT /connectors/<name>/config} with a JSON body, as docker-compose's {@code register-connector}
     * sends it: creates the connector or updates it.
     */
    HttpResponse<String> putConnectorConfig(String name, String configJson) throws IOException, InterruptedException {
        URI uri = URI.create(cluster.endpointForResource("connectors/" + name + "/config"));
        HttpRequest request = HttpRequest.newBuilder(uri)
                .timeout(Duration.ofSeconds(60))
                .header("Content-Type", "application/json")
                .PUT(HttpRequest.BodyPublishers.ofString(configJson))
                .build();
        return http.send(request, HttpResponse.BodyHandlers.ofString());
    }

    /** {@code GET /connectors/<name>/status}: the connector's and its tasks' states, as the REST API gives them. */
    JsonNode status(String name) throws IOException, InterruptedException {
        URI uri = URI.create(cluster.endpointForResource("connectors/" + name + "/status"));
        HttpResponse<String> response = http.send(HttpRequest.newBuilder(uri).timeout(Duration.ofSeconds(60)).GET().build(),
                HttpResponse.BodyHandlers.ofString());
        return response.statusCode() == 200 ? JSON.readTree(response.body()) : JSON.nullNode();
    }

    /** Whether the connector and exactly one task run; throws when a task failed, with the worker's trace. */
    boolean isRunning(String name) throws IOException, InterruptedException {
        JsonNode status = status(name);
        JsonNode tasks = status.path("tasks");
        for (JsonNode task : tasks) {
            if (task.path("state").asText().equals("FAILED")) {
                throw new AssertionError("task " + task.path("id") + " of " + name + " failed: " + task.path("trace").asText());
            }
        }
        return status.path("connector").path("state").asText().equals("RUNNING") && tasks.size() == 1
                && tasks.get(0).path("state").asText().equals("RUNNING");
    }

    /** Whether the topic exists on the broker. */
    boolean topicExists(String topic) {
        return cluster.kafka().describeTopics(topic).get(topic).isPresent();
    }

    /** Stops the worker (its tasks, so their replication connections close), then the broker; idempotent. */
    @Override
    public void close() {
        if (!closed) {
            closed = true;
            cluster.stop();
        }
    }
}
