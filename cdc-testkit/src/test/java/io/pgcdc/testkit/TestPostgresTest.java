package io.pgcdc.testkit;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.SQLException;
import java.util.Properties;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TestPostgresTest {

    @Test
    void sharedServerRunsWithLogicalDecodingAndSynchronousCommit(TestDatabase db) {
        assertThat(queryString(db, "SHOW wal_level")).isEqualTo("logical");
        assertThat(queryString(db, "SHOW synchronous_commit")).isEqualTo("on");
        assertThat(db.queryLong("SHOW max_replication_slots")).isGreaterThanOrEqualTo(10);
    }

    @Test
    void embeddedServerIsPostgres17(TestPostgres pg) {
        org.junit.jupiter.api.Assumptions.assumeTrue(System.getenv("PGCDC_TEST_JDBC_URL") == null, "embedded server only");
        assertThat(pg.versionNumber() / 10000).isEqualTo(17);
    }

    @Test
    void rejectsAWrongPasswordLikeARealServer(TestDatabase db) {
        Properties props = new Properties();
        props.setProperty("user", db.user());
        props.setProperty("password", "not-the-password");
        assertThatThrownBy(() -> DriverManager.getConnection(db.jdbcUrl(), props).close())
                .isInstanceOf(SQLException.class)
                .hasMessageContaining("password authentication failed");
    }

    @Test
    void closingADatabaseDropsItAndItsSlots(TestPostgres pg) throws SQLException {
        TestDatabase db = pg.createDatabase("dropme");
        db.execute("SELECT pg_create_logical_replication_slot('dropme_slot', 'pgoutput')");
        db.close();
        try (Connection c = pg.connect("postgres"); var s = c.createStatement();
             var rs = s.executeQuery("SELECT (SELECT count(*) FROM pg_database WHERE datname = '" + db.name() + "'),"
                     + " (SELECT count(*) FROM pg_replication_slots WHERE slot_name = 'dropme_slot')")) {
            rs.next();
            assertThat(rs.getLong(1)).as("database left behind").isZero();
            assertThat(rs.getLong(2)).as("slot left behind").isZero();
        }
    }

    @Test
    void aServerCanBeStartedWithOtherSettings() {
        try (TestPostgres replicaOnly = TestPostgres.embedded().setting("wal_level", "replica").start();
             TestDatabase db = replicaOnly.createDatabase("replica")) {
            assertThat(queryString(db, "SHOW wal_level")).isEqualTo("replica");
        }
    }

    @Test
    void testcontainersPathIsSkippedWithoutDocker() {
        org.junit.jupiter.api.Assumptions.assumeFalse(TestPostgres.isDockerAvailable(), "Docker answers here");
        assertThat(TestPostgres.isDockerAvailable()).isFalse();
    }

    private static String queryString(TestDatabase db, String sql) {
        try (Connection c = db.connect(); var s = c.createStatement(); var rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        } catch (SQLException e) {
            throw new IllegalStateException(e);
        }
    }
}
