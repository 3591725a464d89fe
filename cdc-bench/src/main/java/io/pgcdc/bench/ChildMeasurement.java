package io.pgcdc.bench;

import io.pgcdc.testkit.TestPostgres;
import java.io.BufferedReader;
import java.io.InputStreamReader;
import java.lang.management.ManagementFactory;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * A measurement in a fresh JVM: the benchmark's own main class on this classpath, run with {@code --measure} arguments
 * against the parent's server (the test kit attaches to it through {@code PGCDC_TEST_JDBC_URL}), printing one result
 * line. A fresh JVM per run measures what an application sees when it starts, JIT and class loading included.
 */
final class ChildMeasurement {

    /** Prefix of the line a child prints with its result, space-separated numbers. */
    static final String RESULT = "pgcdc-bench-result ";

    private ChildMeasurement() {
    }

    /**
     * Runs {@code main} in a child JVM with {@code jvmOptions} and {@code args}, its stderr passed through.
     *
     * @return the numbers of the child's result line
     * @throws IllegalStateException when the child fails or prints no result
     */
    static double[] run(TestPostgres pg, Class<?> main, List<String> jvmOptions, List<String> args) throws Exception {
        List<String> command = new ArrayList<>();
        command.add(Path.of(System.getProperty("java.home"), "bin", "java").toString());
        command.addAll(jvmOptions);
        command.addAll(List.of("-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(args);
        ProcessBuilder builder = new ProcessBuilder(command).redirectError(ProcessBuilder.Redirect.INHERIT);
        builder.environment().put("PGCDC_TEST_JDBC_URL", pg.jdbcUrl("postgres"));
        builder.environment().put("PGCDC_TEST_USER", pg.user());
        builder.environment().put("PGCDC_TEST_PASSWORD", pg.password());
        Process child = builder.start();
        String result = null;
        try (BufferedReader out = new BufferedReader(new InputStreamReader(child.getInputStream(), StandardCharsets.UTF_8))) {
            for (String line; (line = out.readLine()) != null; ) {
                if (line.startsWith(RESULT)) {
                    result = line.substring(RESULT.length());
                }
            }
        }
        int exit = child.waitFor();
        if (exit != 0 || result == null) {
            throw new IllegalStateException(main.getSimpleName() + " " + String.join(" ", args) + " in a child JVM failed (exit " + exit
                    + (result == null ? ", no result line" : "") + ")");
        }
        String[] parts = result.trim().split(" ");
        double[] numbers = new double[parts.length];
        for (int i = 0; i < parts.length; i++) {
            numbers[i] = Double.parseDouble(parts[i]);
        }
        return numbers;
    }

    /** The options this JVM was started with ({@code -Xmx} and the like), for children that should match it. */
    static List<String> jvmOptions() {
        return ManagementFactory.getRuntimeMXBean().getInputArguments();
    }

    /** Prints a result line, for the parent to read. */
    static void print(Object... numbers) {
        StringBuilder line = new StringBuilder(RESULT);
        for (int i = 0; i < numbers.length; i++) {
            line.append(i == 0 ? "" : " ").append(numbers[i]);
        }
        System.out.println(line);
    }
}
