package io.pgcdc.examples;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.SnapshotMode;
import io.pgcdc.generator.Schema;
import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.IOException;
import java.math.BigDecimal;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.stream.Collectors;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The project's sql/ scripts: idempotent, audit triggers that work, and a capture role that is enough and no more. */
@ExtendWith(PostgresExtension.class)
class SqlScriptsIT {

    @Test
    void theScriptListIsTheSqlDirectoryInOrder() throws IOException {
        try (Stream<Path> files = Files.list(Path.of("..", "sql"))) {
            assertThat(files.map(p -> p.getFileName().toString()).filter(n -> n.endsWith(".sql")).sorted()
                    .collect(Collectors.toList())).isEqualTo(Schema.SCRIPTS);
        }
    }

    @Test
    void scriptsApplyTwiceWithoutError(TestDatabase db) throws SQLException {
        try (Connection c = db.connect()) {
            Schema.apply(c, "first-password");
            Schema.apply(c, "second-password");
        }
        assertThat(db.queryLong("SELECT count(*) FROM pg_trigger WHERE tgrelid = 'transactions'::regclass AND NOT tgisinternal"))
                .isEqualTo(2);
        assertThat(db.queryLong("SELECT count(*) FROM pg_publication_tables WHERE pubname = 'pgcdc_pub'")).isEqualTo(1);
    }

    @Test
    void auditTriggersRecordWhoWhenAndEachChangedColumn(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            Schema.apply(c);
        }
        db.execute("INSERT INTO transactions (transaction_id, amount, currency, ip_address) VALUES ('tx-1', 12.50, 'USD', '10.0.0.1')");
        assertThat(queryString(db, "SELECT coalesce(change_info::text, 'none') FROM transactions")).isEqualTo("none");

        db.execute("UPDATE transactions SET amount = 99.99, currency = 'GBP' WHERE transaction_id = 'tx-1'");
        JsonNode info = new ObjectMapper().readTree(queryString(db, "SELECT change_info::text FROM transactions"));
        assertThat(info.get("amount").get("old").decimalValue()).isEqualByComparingTo(new BigDecimal("12.50"));
        assertThat(info.get("amount").get("new").decimalValue()).isEqualByComparingTo(new BigDecimal("99.99"));
        assertThat(info.get("currency").get("old").asText()).isEqualTo("USD");
        assertThat(info.get("currency").get("new").asText()).isEqualTo("GBP");
        assertThat(info.get("modified_by").asText()).isEqualTo(db.user());
        assertThat(info.get("modified_at").asText()).isNotBlank();
        assertThat(info.has("ip_address")).isFalse();
        assertThat(queryString(db, "SELECT modified_by FROM transactions")).isEqualTo(db.user());
        assertThat(db.queryLong("SELECT count(*) FROM transactions WHERE modified_at > now() - interval '1 minute'")).isEqualTo(1);

        db.execute("UPDATE transactions SET ip_address = '10.0.0.2' WHERE transaction_id = 'tx-1'");
        JsonNode untracked = new ObjectMapper().readTree(queryString(db, "SELECT change_info::text FROM transactions"));
        assertThat(untracked.fieldNames()).toIterable().containsExactlyInAnyOrder("modified_by", "modified_at");
    }

    @Test
    void theCaptureRoleHasLeastPrivilegeAndTheEngineStreamsWithOnlyIt(TestDatabase db) throws Exception {
        try (Connection c = db.connect()) {
            Schema.apply(c, "capture-pw");
        }
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT rolsuper, rolreplication, rolcreatedb, rolcreaterole, rolcanlogin,"
                     + " has_table_privilege('pgcdc_capture', 'transactions', 'SELECT'),"
                     + " has_table_privilege('pgcdc_capture', 'transactions', 'INSERT, UPDATE, DELETE, TRUNCATE'),"
                     + " (SELECT count(*) FROM pg_class WHERE relowner = 'pgcdc_capture'::regrole)"
                     + " FROM pg_roles WHERE rolname = 'pgcdc_capture'")) {
            assertThat(rs.next()).isTrue();
            assertThat(rs.getBoolean(1)).as("superuser").isFalse();
            assertThat(rs.getBoolean(2)).as("replication").isTrue();
            assertThat(rs.getBoolean(3)).as("createdb").isFalse();
            assertThat(rs.getBoolean(4)).as("createrole").isFalse();
            assertThat(rs.getBoolean(5)).as("login").isTrue();
            assertThat(rs.getBoolean(6)).as("select").isTrue();
            assertThat(rs.getBoolean(7)).as("any write privilege").isFalse();
            assertThat(rs.getLong(8)).as("owned relations").isZero();
        }

        List<ChangeEvent> events = new CopyOnWriteArrayList<>();
        CdcConfig config = CdcConfig.builder().name("least_privilege").host(db.host()).port(db.port()).database(db.name())
                .user(Schema.CAPTURE_ROLE).password("capture-pw").tables("public.transactions")
                .publicationName(Schema.PUBLICATION).property("publication.autocreate.mode", "disabled")
                .snapshotMode(SnapshotMode.INITIAL).build();
        db.execute("INSERT INTO transactions (transaction_id, amount) VALUES ('before-start', 1)");
        try (CdcEngine engine = CdcEngine.create(config, new ChangeListener() {
            @Override
            public void onChange(ChangeEvent event) {
                events.add(event);
            }
        })) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id, amount) VALUES ('after-start', 2)",
                    "UPDATE transactions SET amount = 3 WHERE transaction_id = 'after-start'");
            await().atMost(Duration.ofSeconds(30)).until(() -> events.size() >= 3);
        }
        assertThat(events).extracting(e -> e.operation().name() + ":" + e.after().getString("transaction_id"))
                .containsExactly("READ:before-start", "CREATE:after-start", "UPDATE:after-start");
        assertThat(events.get(2).after().getJson("change_info").get("amount").get("new").decimalValue()).isEqualByComparingTo("3");
    }

    private static String queryString(TestDatabase db, String sql) throws SQLException {
        try (Connection c = db.connect(); Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }
}
