package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;

import com.fasterxml.jackson.core.type.TypeReference;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.CdcConfig;
import io.pgcdc.generator.Schema;
import io.pgcdc.internal.ConnectorValidation;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.IOException;
import java.io.PrintWriter;
import java.io.StringWriter;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.sql.Connection;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.ConfigTransformer;
import org.apache.kafka.common.config.provider.EnvVarConfigProvider;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The Kafka Connect registration: the committed file is the generator's output, and Debezium's own
 * validation accepts what the generator makes once Connect has resolved the password reference.
 */
@ExtendWith(PostgresExtension.class)
class ConnectorRegistrationIT {

    private static final Path COMMITTED = Path.of(System.getProperty("basedir", "."))
            .resolve("../docker/connect/postgres-fin-connector.json").normalize();
    private static final ObjectMapper JSON = new ObjectMapper();

    private static String printed(String... args) {
        StringWriter out = new StringWriter();
        StringWriter err = new StringWriter();
        int exit = ConnectorRegistration.commandLine().setOut(new PrintWriter(out)).setErr(new PrintWriter(err)).execute(args);
        assertThat(exit).as(err.toString()).isZero();
        return out.toString();
    }

    @SuppressWarnings("unchecked")
    private static Map<String, String> connectorConfig(Map<String, Object> registration) {
        return (Map<String, String>) registration.get("config");
    }

    private static Map<String, Object> parse(String json) throws IOException {
        return JSON.readValue(json, new TypeReference<>() { });
    }

    /** What the Connect worker does with the config: resolve {@code ${env:...}} from its environment. */
    private static Properties resolvedAsConnectWould(Map<String, String> config, String password) {
        EnvVarConfigProvider env = new EnvVarConfigProvider(Map.of(ConnectorRegistration.PASSWORD_VARIABLE, password));
        env.configure(Map.of());
        Properties resolved = new Properties();
        resolved.putAll(new ConfigTransformer(Map.of("env", env)).transform(config).data());
        return resolved;
    }

    @Test
    void committedRegistrationIsExactlyWhatTheGeneratorPrints() throws Exception {
        assertThat(Files.readString(COMMITTED))
                .as("%s is generated: java -cp cdc-examples/target/pgcdc-examples.jar io.pgcdc.examples.ConnectorRegistration > "
                        + "docker/connect/postgres-fin-connector.json", COMMITTED)
                .isEqualTo(printed());
    }

    @Test
    void committedRegistrationHasTheLayoutRegisterConnectorUnwraps() throws Exception {
        // docker-compose's register-connector PUTs the "config" object by dropping the lines around it.
        List<String> lines = Files.readAllLines(COMMITTED);
        assertThat(lines.get(0)).isEqualTo("{");
        assertThat(lines.get(1)).isEqualTo("  \"name\": \"postgres-fin-connector\",");
        assertThat(lines.get(2)).isEqualTo("  \"config\": {");
        assertThat(lines.subList(lines.size() - 2, lines.size())).containsExactly("  }", "}");
        String unwrapped = "{\n" + String.join("\n", lines.subList(3, lines.size() - 1)) + "\n";
        assertThat(parse(unwrapped)).isEqualTo(parse(Files.readString(COMMITTED)).get("config"));
    }

    @Test
    void registrationNamesThePgoutputConnectorWithStringDecimalsAndNeitherPasswordNorOffsets() throws Exception {
        Map<String, Object> committed = parse(Files.readString(COMMITTED));
        Map<String, String> config = connectorConfig(committed);
        assertThat(committed.get("name")).isEqualTo("postgres-fin-connector");
        assertThat(config).containsEntry("connector.class", "io.debezium.connector.postgresql.PostgresConnector")
                .containsEntry("plugin.name", "pgoutput")
                .containsEntry("decimal.handling.mode", "string")
                .containsEntry("database.password", "${env:PGCDC_CAPTURE_PASSWORD}")
                .containsEntry("database.user", "pgcdc_capture")
                .containsEntry("publication.name", "pgcdc_pub")
                .containsEntry("publication.autocreate.mode", "disabled")
                .containsEntry("slot.name", "postgres_fin")
                .containsEntry("table.include.list", "public\\.transactions")
                .doesNotContainKey("name");
        assertThat(List.copyOf(config.keySet())).noneMatch(k -> k.startsWith("offset.")).isSorted();
        assertThat(config).allSatisfy((key, value) -> {
            if (key.matches("(?i).*(password|secret).*")) {
                assertThat(value).isEqualTo(ConnectorRegistration.PASSWORD_REFERENCE);
            }
        });

        // A configuration that does carry a password never lets it through.
        CdcConfig withPassword = ConnectorRegistration.config("db.example", 6432, "shop", "cdc").toBuilder()
                .password("s3cret-never-printed").build();
        String json = ConnectorRegistration.toJson(ConnectorRegistration.registration(withPassword));
        assertThat(json).doesNotContain("s3cret-never-printed").contains("\"database.password\": \"${env:PGCDC_CAPTURE_PASSWORD}\"");
    }

    @Test
    void optionsOverrideWhereConnectFindsPostgres() throws Exception {
        Map<String, String> config = connectorConfig(
                parse(printed("--host", "db.internal", "--port", "6432", "--database", "shop", "--user", "cdc")));
        assertThat(config).containsEntry("database.hostname", "db.internal").containsEntry("database.port", "6432")
                .containsEntry("database.dbname", "shop").containsEntry("database.user", "cdc");
    }

    @Test
    void debeziumAcceptsTheGeneratedRegistrationForARealDatabase(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        Map<String, String> config = connectorConfig(ConnectorRegistration.registration(
                ConnectorRegistration.config(db.host(), db.port(), db.name(), db.user())));

        assertThat(ConnectorValidation.problems(resolvedAsConnectWould(config, db.password()))).isEmpty();
        // The check connects for real: the same registration with a wrong password is rejected.
        assertThat(ConnectorValidation.problems(resolvedAsConnectWould(config, "wrong-" + db.password())))
                .anySatisfy(problem -> assertThat(problem).contains("password authentication failed"));
    }

    @Test
    void debeziumAcceptsTheGeneratedRegistrationForTheLeastPrivilegeCaptureRole(TestDatabase db) throws Exception {
        byte[] random = new byte[12];
        new SecureRandom().nextBytes(random);
        String capturePassword = HexFormat.of().formatHex(random);
        try (Connection c = db.connect()) {
            Schema.apply(c, capturePassword);
        }
        // The defaults, as docker-compose's Connect worker uses them, but pointing at the test database.
        Map<String, String> config = connectorConfig(ConnectorRegistration.registration(
                ConnectorRegistration.config(db.host(), db.port(), db.name(), Schema.CAPTURE_ROLE)));

        assertThat(ConnectorValidation.problems(resolvedAsConnectWould(config, capturePassword))).isEmpty();
    }
}
