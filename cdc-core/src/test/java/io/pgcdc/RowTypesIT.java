package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.math.BigDecimal;
import java.security.SecureRandom;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.time.Instant;
import java.time.LocalDate;
import java.time.LocalDateTime;
import java.util.HexFormat;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Typed getters read common PostgreSQL types as JDBC would, and never return a TOAST placeholder as data. */
@ExtendWith(PostgresExtension.class)
class RowTypesIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void typedGettersReadCommonTypes(TestDatabase db) {
        db.execute("CREATE TABLE typed (id bigint PRIMARY KEY, small smallint, i integer, flag boolean, price numeric(12,3),"
                + " ratio double precision, born date, seen timestamp(6), at timestamptz, doc jsonb, raw bytea, uid uuid, note text)");
        RecordingListener listener = new RecordingListener();
        CdcConfig config = TestConfigs.transactions(db).tables("public.typed").build();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            db.execute("INSERT INTO typed VALUES (9007199254740993, -7, 2147483647, true, 123456789.125, 0.25, '1999-12-31',"
                    + " '2026-01-02 03:04:05.678901', '2026-01-02 03:04:05.5+02', '{\"a\": [1, 2], \"b\": null}', '\\xdeadbeef',"
                    + " 'a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11', 'hello')");
            db.execute("INSERT INTO typed (id) VALUES (2)");
            await().atMost(WAIT).until(() -> listener.size() >= 2);
        }
        Row row = listener.events().get(0).after();
        assertThat(row.getLong("id")).isEqualTo(9007199254740993L);
        assertThat(row.getInt("small")).isEqualTo(-7);
        assertThat(row.getInt("i")).isEqualTo(Integer.MAX_VALUE);
        assertThat(row.getBoolean("flag")).isTrue();
        assertThat(row.getDecimal("price")).isEqualTo(new BigDecimal("123456789.125"));
        assertThat(row.getDouble("ratio")).isEqualTo(0.25);
        assertThat(row.getLocalDate("born")).isEqualTo(LocalDate.of(1999, 12, 31));
        assertThat(row.getTimestamp("seen")).isEqualTo(LocalDateTime.of(2026, 1, 2, 3, 4, 5, 678_901_000));
        assertThat(row.getInstant("at")).isEqualTo(Instant.parse("2026-01-02T01:04:05.5Z"));
        assertThat(row.getJson("doc").get("a").get(1).asInt()).isEqualTo(2);
        assertThat(row.getJson("doc").get("b").isNull()).isTrue();
        assertThat(row.getBytes("raw")).isEqualTo(HexFormat.of().parseHex("deadbeef"));
        assertThat(row.getString("uid")).isEqualTo("a0eebc99-9c0b-4ef8-bb6d-6bb9bd380a11");
        assertThat(row.getString("note")).isEqualTo("hello");
        assertThatThrownBy(() -> row.getLong("price")).isInstanceOf(IllegalArgumentException.class)
                .hasMessage("column 'price' of public.typed is numeric; getLong cannot read it, use getDecimal or getString");

        assertThat(row.getObject("price")).isEqualTo(new BigDecimal("123456789.125"));
        assertThat(row.getObject("id")).isEqualTo(9007199254740993L);
        assertThat(row.getObject("seen")).isEqualTo(LocalDateTime.of(2026, 1, 2, 3, 4, 5, 678_901_000));
        assertThat(row.getObject("at")).isEqualTo(java.time.OffsetDateTime.parse("2026-01-02T01:04:05.5Z"));
        assertThat(row.getObject("born")).isEqualTo(LocalDate.of(1999, 12, 31));
        assertThat(row.getObject("note")).isEqualTo("hello");
        assertThat(row.getObject("raw")).isEqualTo(HexFormat.of().parseHex("deadbeef"));
        assertThatThrownBy(() -> row.getString("nope")).isInstanceOf(IllegalArgumentException.class)
                .hasMessageStartingWith("no column 'nope' in public.typed; its columns are [id, small");

        Row nulls = listener.events().get(1).after();
        for (String column : nulls.columns()) {
            if (!column.equals("id")) {
                assertThat(nulls.isNull(column)).as(column).isTrue();
                assertThat(nulls.get(column)).as(column).isNull();
            }
        }
        assertThat(nulls.getDecimal("price")).isNull();
        assertThat(nulls.getTimestamp("seen")).isNull();
    }

    @Test
    void unchangedToastedValueIsUnavailableNeverData(TestDatabase db) throws Exception {
        db.execute("CREATE TABLE docs (id int PRIMARY KEY, version int, body text)");
        byte[] random = new byte[8 * 1024];
        new SecureRandom().nextBytes(random);
        String body = HexFormat.of().formatHex(random); // incompressible: stored out of line (TOASTed)
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).tables("public.docs").build(), listener)) {
            engine.start();
            try (var c = db.connect(); PreparedStatement ps = c.prepareStatement("INSERT INTO docs VALUES (1, 1, ?)")) {
                ps.setString(1, body);
                ps.executeUpdate();
            }
            db.execute("UPDATE docs SET version = 2 WHERE id = 1");
            await().atMost(WAIT).until(() -> listener.size() >= 2);
        }
        assertThat(listener.events().get(0).after().getString("body")).isEqualTo(body);
        Row updated = listener.events().get(1).after();
        assertThat(updated.getInt("version")).isEqualTo(2);
        assertThat(updated.isUnavailable("body")).isTrue();
        assertThat(updated.isUnavailable("version")).isFalse();
        assertThatThrownBy(() -> updated.getString("body")).isInstanceOf(IllegalStateException.class)
                .hasMessageContaining("is unavailable").hasMessageContaining("REPLICA IDENTITY FULL");
        assertThatThrownBy(() -> updated.get("body")).isInstanceOf(IllegalStateException.class);
        assertThat(updated.toString()).contains("body=<unavailable>").doesNotContain("__debezium_unavailable_value");
    }

    @Test
    void unchangedToastedValuesOfEveryLargeTypeAreUnavailable(TestDatabase db) throws Exception {
        db.execute("CREATE EXTENSION IF NOT EXISTS hstore",
                "CREATE TABLE big (id int PRIMARY KEY, version int, t text, b bytea, j jsonb, a int[], n numeric[], h hstore, u uuid[])");
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).tables("public.big").build(), listener)) {
            engine.start();
            // Random, incompressible values of ~16 KB each: stored out of line (TOASTed).
            db.execute("INSERT INTO big SELECT 1, 1,"
                    + " (SELECT string_agg(md5(random()::text), '') FROM generate_series(1, 512)),"
                    + " (SELECT string_agg(decode(md5(random()::text), 'hex'), ''::bytea) FROM generate_series(1, 1024)),"
                    + " (SELECT jsonb_agg(md5(random()::text)) FROM generate_series(1, 512)),"
                    + " (SELECT array_agg((random() * 2000000000)::int) FROM generate_series(1, 4096)),"
                    + " (SELECT array_agg(random()::numeric) FROM generate_series(1, 1024)),"
                    + " (SELECT hstore(array_agg(md5(i::text || random()::text)), array_agg(md5(random()::text))) FROM generate_series(1, 512) i),"
                    + " (SELECT array_agg(md5(random()::text)::uuid) FROM generate_series(1, 1024))");
            db.execute("UPDATE big SET version = 2 WHERE id = 1");
            await().atMost(WAIT).until(() -> listener.size() >= 2);
        }
        Row inserted = listener.events().get(0).after();
        assertThat(((List<?>) inserted.getObject("a"))).hasSize(4096);
        assertThat(((List<?>) inserted.getObject("n"))).hasSize(1024);
        Row updated = listener.events().get(1).after();
        assertThat(updated.getInt("version")).isEqualTo(2);
        for (String column : List.of("t", "b", "j", "a", "n", "h", "u")) {
            assertThat(updated.isUnavailable(column)).as(column).isTrue();
            assertThatThrownBy(() -> updated.getObject(column)).as(column).isInstanceOf(IllegalStateException.class);
        }
        assertThat(updated.toString()).doesNotContain("__debezium_unavailable_value");
    }
}
