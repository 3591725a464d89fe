package io.pgcdc.internal;

import io.debezium.connector.postgresql.PostgresConnector;
import io.pgcdc.CdcException;
import io.pgcdc.FailureReason;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Properties;
import org.apache.kafka.common.config.Config;
import org.apache.kafka.common.config.ConfigValue;

/**
 * Runs the PostgreSQL connector's own {@code validate} on the properties: the check Kafka Connect runs
 * before it accepts a connector. The embedded engine reports the same problems only as "invalid
 * configuration (see logs)", so they are collected here and thrown with their field names.
 */
public final class ConnectorValidation {

    private ConnectorValidation() {
    }

    /**
     * Validates the properties.
     *
     * @throws CdcException listing every invalid property and why
     */
    public static void check(Properties properties) {
        List<String> problems = problems(properties);
        if (!problems.isEmpty()) {
            throw new CdcException(FailureReason.CONFIGURATION, "Debezium rejects the configuration: " + String.join("; ", problems)
                    + "; fix these properties (CdcConfig.property or the typed builder methods)");
        }
    }

    /** Every invalid property as {@code key: message}, empty when the connector accepts them. */
    public static List<String> problems(Properties properties) {
        Map<String, String> map = new HashMap<>();
        properties.stringPropertyNames().forEach(k -> map.put(k, properties.getProperty(k)));
        Config result = new PostgresConnector().validate(map);
        List<String> problems = new ArrayList<>();
        for (ConfigValue value : result.configValues()) {
            for (String message : value.errorMessages()) {
                problems.add(value.name() + ": " + io.pgcdc.CdcConfig.maskSecret(value.name(), message));
            }
        }
        return problems;
    }
}
