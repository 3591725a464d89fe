package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.throwable;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Offsets kept in a table of the application's database. */
@ExtendWith(PostgresExtension.class)
class JdbcOffsetsIT {

    private static final Duration WAIT = Duration.ofSeconds(30);

    @Test
    void aRestartResumesFromTheOffsetsTableWithoutRepeatsOrANewSnapshot(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL)
                .offsetStore(OffsetStore.jdbc(db.jdbcUrl(), db.user(), db.password()).table("app_offsets")).build();
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'old-' || i FROM generate_series(1, 10) i");
        RecordingListener first = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, first)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'a-' || i FROM generate_series(1, 20) i");
            await().atMost(WAIT).until(() -> first.size() >= 30);
        }
        assertThat(db.queryLong("SELECT count(*) FROM app_offsets WHERE engine = '" + config.name() + "'")).isEqualTo(1);
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'b-' || i FROM generate_series(1, 20) i");

        RecordingListener second = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, second)) {
            engine.start();
            await().atMost(WAIT).until(() -> second.size() >= 20);
            Thread.sleep(300);
        }
        assertThat(second.events()).hasSize(20).allSatisfy(e -> {
            assertThat(e.operation()).isEqualTo(Operation.CREATE);
            assertThat(e.after().getString("transaction_id")).startsWith("b-");
        });
    }

    @Test
    void aCorruptOffsetsRowStopsTheStart(TestDatabase db) {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.jdbc(db.jdbcUrl(), db.user(), db.password())).build();
        try (CdcEngine engine = CdcEngine.create(config, new RecordingListener())) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('one')");
            await().atMost(WAIT).until(() -> db.queryLong("SELECT count(*) FROM pgcdc_offsets") == 1);
        }
        db.execute("UPDATE pgcdc_offsets SET offsets = substring(offsets from 1 for 20)");
        CdcEngine engine = CdcEngine.create(config, new RecordingListener());
        assertThatThrownBy(engine::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageStartingWith("the offsets of engine '" + config.name() + "' in table pgcdc_offsets is corrupt (")
                .hasMessageContaining("refusing to start from scratch")
                .extracting(CdcException::reason).isEqualTo(FailureReason.CORRUPT_OFFSETS);
    }

    @Test
    void theStoreIsAValueThatNeverPrintsItsPassword() {
        OffsetStore.JdbcStore store = OffsetStore.jdbc("jdbc:postgresql://db/app", "app", "s3cret").table("cdc.offsets");
        assertThat(store).isEqualTo(OffsetStore.jdbc("jdbc:postgresql://db/app", "app", "s3cret").table("cdc.offsets"));
        assertThat(store.toString()).doesNotContain("s3cret").contains("cdc.offsets");
        assertThat(OffsetStore.jdbc("jdbc:postgresql://db/app?password=in-url", "app", "x").toString())
                .doesNotContain("in-url").contains("password=********");
        assertThatThrownBy(() -> store.table("x; DROP TABLE y")).isInstanceOf(IllegalArgumentException.class);
        assertThat(CdcEngine.debeziumProperties(CdcConfig.builder().database("d").user("u").tables("t").offsetStore(store).build()).toString())
                .doesNotContain("s3cret");
    }

    @Test
    void offsetsLiveInTheApplicationsDataSourceAndAStartResumesFromThem(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        org.postgresql.ds.PGSimpleDataSource dataSource = new org.postgresql.ds.PGSimpleDataSource();
        dataSource.setUrl(db.jdbcUrl());
        dataSource.setUser(db.user());
        dataSource.setPassword(db.password());
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.jdbc(dataSource).table("ds_offsets")).build();
        RecordingListener first = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, first)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) SELECT 'a-' || i FROM generate_series(1, 10) i");
            await().atMost(WAIT).until(() -> first.size() >= 10);
        }
        assertThat(db.queryLong("SELECT count(*) FROM ds_offsets WHERE engine = '" + config.name() + "'")).isEqualTo(1);
        db.execute("INSERT INTO transactions (transaction_id) SELECT 'b-' || i FROM generate_series(1, 10) i");
        RecordingListener second = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, second)) {
            engine.start();
            await().atMost(WAIT).until(() -> second.size() >= 10);
            Thread.sleep(300);
        }
        assertThat(second.events()).hasSize(10).allSatisfy(e -> assertThat(e.after().getString("transaction_id")).startsWith("b-"));
    }

    @Test
    void theOffsetsConnectionIsOpenedAgainWhenItIsLost(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.jdbc(db.jdbcUrl(), db.user(), db.password())).build();
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('before')");
            await().atMost(WAIT).until(() -> listener.size() >= 1);
            assertThat(db.queryLong("SELECT count(pg_terminate_backend(pid)) FROM pg_stat_activity"
                    + " WHERE application_name LIKE 'pgcdc offsets %' AND datname = current_database()")).isEqualTo(1);
            long before = db.queryLong("SELECT (extract(epoch from updated_at) * 1000000)::bigint FROM pgcdc_offsets");
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('after')");
            await().atMost(WAIT).until(() -> listener.size() >= 2);
            await().atMost(WAIT).until(() -> db.queryLong("SELECT (extract(epoch from updated_at) * 1000000)::bigint FROM pgcdc_offsets") != before);
            assertThat(engine.state()).isEqualTo(CdcEngine.State.RUNNING);
        }
        RecordingListener restarted = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, restarted)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('third')");
            await().atMost(WAIT).until(() -> restarted.size() >= 1);
            Thread.sleep(300);
        }
        assertThat(restarted.events()).extracting(e -> e.after().getString("transaction_id")).containsExactly("third");
    }
}
