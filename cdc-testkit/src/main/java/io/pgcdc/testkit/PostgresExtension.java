package io.pgcdc.testkit;

import org.junit.jupiter.api.extension.ExtensionContext;
import org.junit.jupiter.api.extension.ParameterContext;
import org.junit.jupiter.api.extension.ParameterResolutionException;
import org.junit.jupiter.api.extension.ParameterResolver;

/**
 * JUnit 5 extension that injects the JVM-wide {@link TestPostgres} and a fresh {@link TestDatabase}
 * per test, dropped after the test whether it passed or failed.
 *
 * <pre>{@code
 * @ExtendWith(PostgresExtension.class)
 * class MyTest {
 *     @Test
 *     void capturesInserts(TestDatabase db) {
 *         db.execute("CREATE TABLE t (id int primary key)");
 *     }
 * }
 * }</pre>
 */
public final class PostgresExtension implements ParameterResolver {

    private static final ExtensionContext.Namespace NAMESPACE = ExtensionContext.Namespace.create(PostgresExtension.class);

    @Override
    public boolean supportsParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        return type == TestPostgres.class || type == TestDatabase.class;
    }

    @Override
    public Object resolveParameter(ParameterContext parameter, ExtensionContext context) {
        Class<?> type = parameter.getParameter().getType();
        if (type == TestPostgres.class) {
            return TestPostgres.shared();
        }
        if (type == TestDatabase.class) {
            String prefix = context.getTestMethod().map(m -> m.getName()).orElse(context.getDisplayName());
            TestDatabase db = TestPostgres.shared().createDatabase(prefix);
            // The store closes AutoCloseable values when the test's context ends, also on failure.
            context.getStore(NAMESPACE).put(db.name(), db);
            return db;
        }
        throw new ParameterResolutionException("unsupported parameter type " + type);
    }
}
