package io.pgcdc.testkit.internal;

import java.util.ArrayList;
import java.util.List;
import java.util.Map;

/**
 * PostgreSQL in a Docker container through Testcontainers, to run the suite on other versions. Needs
 * {@code org.testcontainers:testcontainers-postgresql} on the class path (an optional dependency) and a
 * Docker engine that answers.
 */
public final class ContainerServer implements ServerHandle {

    private final org.testcontainers.postgresql.PostgreSQLContainer container;

    private ContainerServer(org.testcontainers.postgresql.PostgreSQLContainer container) {
        this.container = container;
    }

    /** Whether Testcontainers is on the class path and a Docker engine answers. */
    public static boolean isDockerAvailable() {
        try {
            Class.forName("org.testcontainers.DockerClientFactory");
        } catch (ClassNotFoundException e) {
            return false;
        }
        try {
            return org.testcontainers.DockerClientFactory.instance().isDockerAvailable();
        } catch (RuntimeException | LinkageError e) {
            return false;
        }
    }

    /** Starts a container of the given image with the given settings passed as {@code -c name=value}. */
    public static ContainerServer start(String image, Map<String, String> settings) {
        if (!isDockerAvailable()) {
            throw new IllegalStateException("PGCDC_TEST_POSTGRES=testcontainers needs a Docker engine that answers, and "
                    + "org.testcontainers:testcontainers-postgresql on the class path; unset it to use the embedded server");
        }
        List<String> command = new ArrayList<>(List.of("postgres"));
        settings.forEach((k, v) -> {
            command.add("-c");
            command.add(k + "=" + v);
        });
        @SuppressWarnings("resource")
        var container = new org.testcontainers.postgresql.PostgreSQLContainer(image)
                .withCommand(command.toArray(String[]::new));
        container.start();
        return new ContainerServer(container);
    }

    @Override
    public String host() {
        return container.getHost();
    }

    @Override
    public int port() {
        return container.getMappedPort(5432);
    }

    @Override
    public String user() {
        return container.getUsername();
    }

    @Override
    public String password() {
        return container.getPassword();
    }

    @Override
    public String adminDatabase() {
        return container.getDatabaseName();
    }

    @Override
    public String description() {
        return "PostgreSQL container " + container.getDockerImageName();
    }

    @Override
    public void close() {
        container.stop();
    }
}
