package io.pgcdc.examples;

import com.fasterxml.jackson.core.JsonProcessingException;
import com.fasterxml.jackson.core.util.DefaultIndenter;
import com.fasterxml.jackson.core.util.DefaultPrettyPrinter;
import com.fasterxml.jackson.core.util.Separators;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.SnapshotMode;
import io.pgcdc.generator.Schema;
import java.io.PrintWriter;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.Properties;
import java.util.TreeMap;
import java.util.concurrent.Callable;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * Prints the Kafka Connect registration of Debezium's PostgreSQL connector, generated from the same
 * {@link CdcConfig} the embedded engine runs with: for when one process is no longer enough and the
 * capture moves to the {@code kafka} profile of {@code docker-compose.yml}.
 *
 * <p>{@code docker/connect/postgres-fin-connector.json} is this program's output without options
 * ({@code ConnectorRegistrationIT} fails when they differ). Regenerate it from the repository root:
 * <pre>
 * java -cp cdc-examples/target/pgcdc-examples.jar io.pgcdc.examples.ConnectorRegistration \
 *     &gt; docker/connect/postgres-fin-connector.json
 * </pre>
 *
 * <p>The registration holds no password: {@code database.password} is
 * {@value #PASSWORD_REFERENCE}, which the Connect worker resolves from its own environment through
 * Kafka's {@code EnvVarConfigProvider}.
 */
@Command(name = "connector-registration", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = {"Prints the Kafka Connect registration (JSON) of the PostgreSQL connector, derived from the"
                + " CdcConfig the embedded engine uses. The password is a reference that Connect resolves from"
                + " the worker's environment variable " + ConnectorRegistration.PASSWORD_VARIABLE + ".", ""})
public final class ConnectorRegistration implements Callable<Integer> {

    /** Environment variable of the Connect worker that holds the capture role's password. */
    public static final String PASSWORD_VARIABLE = "PGCDC_CAPTURE_PASSWORD";
    /** What {@code database.password} says instead of the password: a Connect config provider reference. */
    public static final String PASSWORD_REFERENCE = "${env:" + PASSWORD_VARIABLE + "}";
    /** The engine name: Debezium's {@code topic.prefix} and the stem of the slot name. */
    public static final String NAME = "postgres-fin";

    @Option(names = "--host", description = "PostgreSQL host as the Connect worker sees it (default: ${DEFAULT-VALUE})")
    String host = "postgres";

    @Option(names = "--port", description = "PostgreSQL port as the Connect worker sees it (default: ${DEFAULT-VALUE})")
    int port = 5432;

    @Option(names = "--database", description = "database to capture from (default: ${DEFAULT-VALUE})")
    String database = "postgres";

    @Option(names = "--user", description = "user the connector logs in as (default: ${DEFAULT-VALUE})")
    String user = Schema.CAPTURE_ROLE;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** Prints the registration. Exit codes: 0 printed, 1 the options make no valid configuration, 2 bad options. */
    public static void main(String[] args) {
        System.exit(commandLine().execute(args));
    }

    /** The command with its error handling, for {@link #main} and tests. */
    static CommandLine commandLine() {
        CommandLine cli = new CommandLine(new ConnectorRegistration());
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            cmd.getErr().println("error: " + e.getMessage());
            cmd.getErr().flush();
            return 1;
        });
        return cli;
    }

    @Override
    public Integer call() throws JsonProcessingException {
        PrintWriter out = spec.commandLine().getOut();
        out.print(toJson(registration(config(host, port, database, user))));
        out.flush();
        return 0;
    }

    /**
     * The configuration this example captures with: the {@code transactions} table through the
     * publication and role that {@code sql/} creates, so Connect needs no superuser. The password stays
     * unset; {@link #registration} puts a reference in its place.
     */
    public static CdcConfig config(String host, int port, String database, String user) {
        return CdcConfig.builder()
                .name(NAME)
                .host(host).port(port).database(database).user(user)
                .tables("public.transactions")
                .publicationName(Schema.PUBLICATION)
                // sql/030_publication.sql created it as the table owner; the capture role may not alter it.
                .property("publication.autocreate.mode", "disabled")
                .snapshotMode(SnapshotMode.INITIAL)
                .build();
    }

    /**
     * The body Kafka Connect's {@code POST /connectors} takes: {@code name} ({@code <engine name>-connector})
     * and {@code config}, the engine's Debezium properties with keys sorted, without what only the
     * embedded engine reads (its offset store and flush interval: Connect keeps offsets in Kafka), and
     * with {@value #PASSWORD_REFERENCE} as the password.
     */
    public static Map<String, Object> registration(CdcConfig config) {
        Properties properties = CdcEngine.debeziumProperties(config);
        Map<String, String> connector = new TreeMap<>();
        for (String key : properties.stringPropertyNames()) {
            if (!isEmbeddedOnly(key)) {
                connector.put(key, properties.getProperty(key));
            }
        }
        connector.put("database.password", PASSWORD_REFERENCE);
        // The engine's own converter is not installed on a Connect worker; converters the application named stay.
        String converters = Arrays.stream(connector.getOrDefault("converters", "").split(","))
                .map(String::trim).filter(c -> !c.isEmpty() && !c.equals("pgcdc")).collect(Collectors.joining(","));
        connector.keySet().removeIf(k -> k.startsWith("pgcdc."));
        if (converters.isEmpty()) {
            connector.remove("converters");
        } else {
            connector.put("converters", converters);
        }
        Map<String, Object> registration = new LinkedHashMap<>();
        registration.put("name", config.name() + "-connector");
        registration.put("config", connector);
        return registration;
    }

    /**
     * {@code name} moves to the top level; offset storage and flushing are the Connect worker's settings;
     * transaction markers serve only the embedded engine's acknowledgements.
     */
    private static boolean isEmbeddedOnly(String key) {
        return key.equals("name") || key.startsWith("offset.storage") || key.startsWith("offset.flush.")
                || key.equals("provide.transaction.metadata");
    }

    /** Pretty-printed JSON, two-space indent, {@code \n} line ends on every platform, and a trailing newline. */
    public static String toJson(Map<String, Object> registration) throws JsonProcessingException {
        DefaultPrettyPrinter printer = new DefaultPrettyPrinter()
                .withSeparators(Separators.createDefaultInstance().withObjectFieldValueSpacing(Separators.Spacing.AFTER))
                .withObjectIndenter(new DefaultIndenter("  ", "\n"));
        return new ObjectMapper().writer(printer).writeValueAsString(registration) + "\n";
    }
}
