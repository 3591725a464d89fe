package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.math.BigDecimal;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Values and schema changes that Debezium's defaults mishandle arrive as they are in PostgreSQL. */
@ExtendWith(PostgresExtension.class)
class SpecialValuesIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void numericNanAndInfinitiesArriveAsText(TestDatabase db) {
        db.execute("CREATE TABLE n (id int PRIMARY KEY, v numeric)");
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).tables("public.n").build(), listener)) {
            engine.start();
            db.execute("INSERT INTO n VALUES (1, 'NaN'), (2, 'Infinity'), (3, '-Infinity'), (4, 0.10)");
            await().atMost(WAIT).until(() -> listener.size() >= 4);
        }
        List<ChangeEvent> events = listener.events();
        assertThat(events).extracting(e -> e.after().getString("v")).containsExactly("NaN", "Infinity", "-Infinity", "0.10");
        assertThat(events.get(0).after().getObject("v")).isEqualTo(Double.NaN);
        assertThat(events.get(1).after().getObject("v")).isEqualTo(Double.POSITIVE_INFINITY);
        assertThat(events.get(3).after().getObject("v")).isEqualTo(new BigDecimal("0.10"));
        assertThatThrownBy(() -> events.get(1).after().getDecimal("v")).isInstanceOf(ArithmeticException.class)
                .hasMessageContaining("is Infinity, which a BigDecimal cannot hold; read it with getString");
    }

    @Test
    void aColumnAddedWhileStreamingAppearsInLaterEvents(TestDatabase db) {
        TestConfigs.createTransactions(db);
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('before-alter')",
                    "ALTER TABLE transactions ADD COLUMN note text",
                    "INSERT INTO transactions (transaction_id, note) VALUES ('after-alter', 'new column')");
            await().atMost(WAIT).until(() -> listener.size() >= 2);
        }
        assertThat(listener.events().get(0).after().has("note")).isFalse();
        assertThat(listener.events().get(1).after().getString("note")).isEqualTo("new column");
    }

    @Test
    void aColumnAddedWhileStoppedAppearsAfterRestart(TestDatabase db, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir) {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("o"))).build();
        RecordingListener first = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, first)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('one')");
            await().atMost(WAIT).until(() -> first.size() >= 1);
        }
        db.execute("ALTER TABLE transactions ADD COLUMN note text",
                "INSERT INTO transactions (transaction_id, note) VALUES ('two', 'while stopped')");
        RecordingListener second = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, second)) {
            engine.start();
            await().atMost(WAIT).until(() -> second.size() >= 1);
        }
        assertThat(second.events()).extracting(e -> e.after().getString("note")).containsExactly("while stopped");
    }

    @Test
    void infiniteTimestampsAndDatesAreExplicit(TestDatabase db) {
        db.execute("CREATE TABLE t (id int PRIMARY KEY, ts timestamp, tstz timestamptz, d date)");
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).tables("public.t").build(), listener)) {
            engine.start();
            db.execute("INSERT INTO t VALUES (1, 'infinity', 'infinity', 'infinity'), (2, '-infinity', '-infinity', '-infinity')");
            await().atMost(WAIT).until(() -> listener.size() >= 2);
        }
        Row plus = listener.events().get(0).after();
        Row minus = listener.events().get(1).after();
        assertThat(plus.getTimestamp("ts")).isEqualTo(java.time.LocalDateTime.MAX);
        assertThat(minus.getTimestamp("ts")).isEqualTo(java.time.LocalDateTime.MIN);
        assertThat(plus.getInstant("tstz")).isEqualTo(java.time.Instant.MAX);
        assertThat(minus.getInstant("tstz")).isEqualTo(java.time.Instant.MIN);
        assertThat(plus.getObject("tstz")).isEqualTo(java.time.OffsetDateTime.MAX);
        assertThat(plus.getLocalDate("d")).isEqualTo(java.time.LocalDate.MAX);
        assertThat(minus.getLocalDate("d")).isEqualTo(java.time.LocalDate.MIN);
        assertThat(List.of(plus.getString("ts"), plus.getString("tstz"), plus.getString("d")))
                .containsExactly("infinity", "infinity", "infinity");
        assertThat(List.of(minus.getString("ts"), minus.getString("tstz"), minus.getString("d")))
                .containsExactly("-infinity", "-infinity", "-infinity");
    }
}
