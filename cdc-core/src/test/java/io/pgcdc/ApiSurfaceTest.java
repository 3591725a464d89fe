package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;

import java.io.IOException;
import java.lang.reflect.Constructor;
import java.lang.reflect.Field;
import java.lang.reflect.Method;
import java.lang.reflect.Modifier;
import java.lang.reflect.Type;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;

/**
 * The public API, checked over the compiled classes: no public signature names a Debezium or Kafka
 * type, and the public package reaches the internals only through the engine's entry points.
 */
class ApiSurfaceTest {

    private static final Path CLASSES = Path.of("target", "classes", "io", "pgcdc");
    /** The only classes of the public package that may use {@code io.pgcdc.internal}: the engine and its delivery. */
    private static final Set<String> INTERNAL_USERS = Set.of("CdcEngine", "Delivery", "EngineSnapshot");

    @Test
    void noPublicSignatureExposesADebeziumOrKafkaType() throws Exception {
        List<String> leaks = new ArrayList<>();
        for (Class<?> c : publicClasses()) {
            for (Method m : c.getDeclaredMethods()) {
                if (isApi(m.getModifiers()) && !m.isSynthetic()) {
                    check(c.getName() + "." + m.getName(), leaks, m.getGenericReturnType());
                    check(c.getName() + "." + m.getName(), leaks, m.getGenericParameterTypes());
                    check(c.getName() + "." + m.getName(), leaks, m.getGenericExceptionTypes());
                }
            }
            for (Constructor<?> k : c.getDeclaredConstructors()) {
                if (isApi(k.getModifiers())) {
                    check(c.getName() + ".<init>", leaks, k.getGenericParameterTypes());
                }
            }
            for (Field f : c.getDeclaredFields()) {
                if (isApi(f.getModifiers())) {
                    check(c.getName() + "." + f.getName(), leaks, f.getGenericType());
                }
            }
            check(c.getName() + " extends", leaks, c.getGenericSuperclass());
            check(c.getName() + " implements", leaks, c.getGenericInterfaces());
        }
        assertThat(publicClasses()).extracting(Class::getSimpleName).contains("ChangeEvent", "CdcEngine", "EventId", "Row");
        assertThat(leaks).isEmpty();
    }

    @Test
    void onlyTheEngineReachesIntoTheInternals() throws IOException {
        List<String> users = new ArrayList<>();
        try (Stream<Path> files = Files.list(CLASSES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).collect(Collectors.toList())) {
                String name = file.getFileName().toString().replace(".class", "");
                String topLevel = name.contains("$") ? name.substring(0, name.indexOf('$')) : name;
                // Class references live in the constant pool as UTF-8 text.
                if (new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains("io/pgcdc/internal/")
                        && !INTERNAL_USERS.contains(topLevel)) {
                    users.add(name);
                }
            }
        }
        assertThat(users).as("public-package classes that import io.pgcdc.internal").isEmpty();
    }

    @Test
    void onlyCdcMetricsNeedsMicrometerSoAnApplicationWithoutItLoadsNone() throws IOException {
        List<String> users = new ArrayList<>();
        try (Stream<Path> files = Files.walk(CLASSES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).collect(Collectors.toList())) {
                String name = CLASSES.relativize(file).toString().replace(".class", "");
                if (new String(Files.readAllBytes(file), StandardCharsets.ISO_8859_1).contains("io/micrometer/")) {
                    users.add(name);
                }
            }
        }
        assertThat(users).as("classes that reference Micrometer").isNotEmpty()
                .allMatch(n -> n.equals("CdcMetrics") || n.startsWith("CdcMetrics$"));
    }

    private static boolean isApi(int modifiers) {
        return Modifier.isPublic(modifiers) || Modifier.isProtected(modifiers);
    }

    private static void check(String where, List<String> leaks, Type... types) {
        for (Type t : types) {
            if (t == null) {
                continue;
            }
            String text = t.getTypeName();
            if (text.contains("org.apache.kafka") || text.contains("io.debezium")) {
                leaks.add(where + ": " + text);
            }
        }
    }

    private static List<Class<?>> publicClasses() throws IOException, ClassNotFoundException {
        List<Class<?>> classes = new ArrayList<>();
        try (Stream<Path> files = Files.list(CLASSES)) {
            for (Path file : files.filter(f -> f.toString().endsWith(".class")).collect(Collectors.toList())) {
                String name = "io.pgcdc." + file.getFileName().toString().replace(".class", "");
                if (name.endsWith("package-info")) {
                    continue;
                }
                Class<?> c = Class.forName(name, false, ApiSurfaceTest.class.getClassLoader());
                if (isPublicAllTheWay(c)) {
                    classes.add(c);
                }
            }
        }
        return classes;
    }

    private static boolean isPublicAllTheWay(Class<?> c) {
        for (Class<?> k = c; k != null; k = k.getEnclosingClass()) {
            if (!Modifier.isPublic(k.getModifiers())) {
                return false;
            }
        }
        return true;
    }
}
