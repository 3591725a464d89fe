package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.nio.file.Path;
import java.time.Duration;
import java.util.Properties;
import org.junit.jupiter.api.Test;

class CdcConfigTest {

    private static CdcConfig.Builder valid() {
        return CdcConfig.builder().database("shop").user("cdc").password("s3cret-pw").tables("public.transactions");
    }

    @Test
    void defaultsAreTheDocumentedConstants() {
        CdcConfig config = valid().build();
        assertThat(config.name()).isEqualTo(CdcConfig.DEFAULT_NAME);
        assertThat(config.host()).isEqualTo(CdcConfig.DEFAULT_HOST);
        assertThat(config.port()).isEqualTo(CdcConfig.DEFAULT_PORT);
        assertThat(config.snapshotMode()).isEqualTo(CdcConfig.DEFAULT_SNAPSHOT_MODE);
        assertThat(config.pollInterval()).isEqualTo(CdcConfig.DEFAULT_POLL_INTERVAL);
        assertThat(config.startTimeout()).isEqualTo(CdcConfig.DEFAULT_START_TIMEOUT);
        assertThat(config.stopTimeout()).isEqualTo(CdcConfig.DEFAULT_STOP_TIMEOUT);
        assertThat(config.heartbeatInterval()).isEqualTo(CdcConfig.DEFAULT_HEARTBEAT_INTERVAL);
        assertThat(CdcEngine.debeziumProperties(valid().heartbeatInterval(Duration.ZERO).build())).doesNotContainKey("heartbeat.interval.ms");
        assertThat(config.offsetStore()).isEqualTo(OffsetStore.memory());
        assertThat(config.slotName()).isEqualTo("pgcdc");
        assertThat(config.publicationName()).isEqualTo("pgcdc_pub");
    }

    @Test
    void slotAndPublicationNamesDeriveFromTheEngineName() {
        CdcConfig config = valid().name("Orders-Cache.v2").build();
        assertThat(config.slotName()).isEqualTo("orders_cache_v2");
        assertThat(config.publicationName()).isEqualTo("orders_cache_v2_pub");
        CdcConfig renamed = config.toBuilder().name("billing").build();
        assertThat(renamed.slotName()).isEqualTo("billing");
        CdcConfig explicit = valid().name("a").slotName("my_slot").build().toBuilder().name("b").build();
        assertThat(explicit.slotName()).as("an explicit slot name survives toBuilder").isEqualTo("my_slot");
    }

    @Test
    void unqualifiedTablesMeanPublicAndTablesReplaceEarlierOnes() {
        CdcConfig config = valid().tables("orders", "billing.invoices").build();
        assertThat(config.tables()).containsExactly(new TableId("public", "orders"), new TableId("billing", "invoices"));
    }

    @Test
    void debeziumPropertiesCarryTheEngineDefaults() {
        Properties p = CdcEngine.debeziumProperties(valid().name("orders").port(5433).snapshotMode(SnapshotMode.NONE)
                .offsetStore(OffsetStore.file(Path.of("/var/lib/app/offsets.dat"))).build());
        assertThat(p.getProperty("connector.class")).isEqualTo("io.debezium.connector.postgresql.PostgresConnector");
        assertThat(p.getProperty("plugin.name")).isEqualTo("pgoutput");
        assertThat(p.getProperty("decimal.handling.mode")).isEqualTo("string");
        assertThat(p.getProperty("publication.autocreate.mode")).isEqualTo("filtered");
        assertThat(p.getProperty("publication.name")).isEqualTo("orders_pub");
        assertThat(p.getProperty("slot.name")).isEqualTo("orders");
        assertThat(p.getProperty("topic.prefix")).isEqualTo("orders");
        assertThat(p.getProperty("table.include.list")).isEqualTo("public\\.transactions");
        assertThat(p.getProperty("snapshot.mode")).isEqualTo("no_data");
        assertThat(p.getProperty("skipped.operations")).isEqualTo("none");
        assertThat(p.getProperty("poll.interval.ms")).isEqualTo("10");
        assertThat(p.getProperty("column.propagate.source.type")).isEqualTo(".*");
        assertThat(p.getProperty("provide.transaction.metadata")).isEqualTo("true");
        assertThat(p.getProperty("heartbeat.interval.ms")).isEqualTo("10000");
        assertThat(p.getProperty("heartbeat.action.query")).isEqualTo("SELECT pg_logical_emit_message(true, 'pgcdc-heartbeat', '')");
        assertThat(p.getProperty("message.prefix.exclude.list")).isEqualTo("pgcdc-heartbeat");
        assertThat(p.getProperty("offset.flush.interval.ms")).isEqualTo("0");
        assertThat(p.getProperty("database.port")).isEqualTo("5433");
        assertThat(p.getProperty("database.password")).isEqualTo("s3cret-pw");
        assertThat(p.getProperty("offset.storage.file.filename")).isEqualTo("/var/lib/app/offsets.dat");
    }

    @Test
    void regexMetacharactersInTableNamesAreQuoted() {
        Properties p = CdcEngine.debeziumProperties(valid().tables("public.order$items", "s.t").build());
        assertThat(p.getProperty("table.include.list")).isEqualTo("public\\.order\\$items,s\\.t");
    }

    @Test
    void extraPropertiesOverrideDefaultsButNotTypedSettings() {
        Properties p = CdcEngine.debeziumProperties(valid().property("decimal.handling.mode", "precise").build());
        assertThat(p.getProperty("decimal.handling.mode")).isEqualTo("precise");
        assertThatThrownBy(() -> valid().property("database.hostname", "elsewhere"))
                .isInstanceOf(IllegalArgumentException.class)
                .hasMessage("set database.hostname with host(), not property()");
        assertThatThrownBy(() -> valid().property("slot.name", "x"))
                .hasMessage("set slot.name with slotName(), not property()");
        assertThatThrownBy(() -> valid().property("provide.transaction.metadata", "false"))
                .hasMessage("provide.transaction.metadata cannot be changed: each transaction's END marker carries its commit LSN");
    }

    @Test
    void secretsNeverAppearInToString() {
        CdcConfig config = valid().property("database.sslpassword", "key-pass")
                .property("notes.url", "jdbc:postgresql://h/db?user=a&password=url-secret&ssl=true").build();
        assertThat(config.toString()).doesNotContain("s3cret-pw", "key-pass", "url-secret").contains("********");
        String props = CdcEngine.debeziumProperties(config).toString();
        assertThat(props).doesNotContain("s3cret-pw", "key-pass", "url-secret").contains("database.password=********")
                .contains("password=********&ssl=true");
    }

    @Test
    void invalidSettingsGiveShortConditionShapedMessages() {
        assertThatThrownBy(() -> CdcConfig.builder().user("u").tables("t").build()).hasMessage("database must be set");
        assertThatThrownBy(() -> CdcConfig.builder().database("d").tables("t").build()).hasMessage("user must be set");
        assertThatThrownBy(() -> CdcConfig.builder().database("d").user("u").build())
                .hasMessage("tables must name at least one table to capture");
        assertThatThrownBy(() -> valid().port(0).build()).hasMessage("port must be between 1 and 65535, not 0");
        assertThatThrownBy(() -> valid().slotName("Bad-Slot").build())
                .hasMessage("slotName must be 1-63 lower-case letters, digits or '_', not 'Bad-Slot'");
        assertThatThrownBy(() -> valid().name("has space").build())
                .hasMessage("name must be 1-200 letters, digits, '_', '.' or '-', not 'has space'");
        assertThatThrownBy(() -> valid().pollInterval(Duration.ZERO).build()).hasMessage("pollInterval must be positive, not PT0S");
        assertThatThrownBy(() -> valid().tables("public.a,b").build())
                .hasMessage("table names with ',' cannot be captured: Debezium splits its include list on commas");
        assertThatThrownBy(() -> valid().tables(" ").build()).isInstanceOf(IllegalArgumentException.class);
    }

    @Test
    void toBuilderRoundTripsAndConfigsAreValues() {
        CdcConfig config = valid().name("x").host("db").port(6543).snapshotMode(SnapshotMode.ALWAYS)
                .property("max.batch.size", "1024").build();
        assertThat(config.toBuilder().build()).isEqualTo(config).hasSameHashCodeAs(config);
        assertThat(config.toBuilder().port(6544).build()).isNotEqualTo(config);
        // Every setting counts: these were once left out of equals.
        assertThat(config.toBuilder().lanes(4).build()).isNotEqualTo(config);
        assertThat(config.toBuilder().maxBatchSize(7).build()).isNotEqualTo(config);
        assertThat(config.toBuilder().transactionBuffer(7).build()).isNotEqualTo(config);
        assertThat(config.toBuilder().snapshotParallelism(3).build()).isNotEqualTo(config.toBuilder().snapshotParallelism(2).build());
        assertThat(config.toBuilder().threadFactory(Thread::new).build()).isNotEqualTo(config);
    }

    @Test
    void standbyNeedsSharedOffsetsAndALeaseOfAtLeastASecond() {
        CdcConfig plain = valid().build();
        assertThat(plain.standby()).isFalse();
        assertThat(plain.leaseTimeout()).isEqualTo(CdcConfig.DEFAULT_LEASE_TIMEOUT);
        assertThat(plain.standbyPollInterval()).isEqualTo(CdcConfig.DEFAULT_STANDBY_POLL_INTERVAL);
        assertThat(plain.replicaName()).endsWith("-" + ProcessHandle.current().pid());
        assertThatThrownBy(() -> valid().standby(true).build()).isInstanceOf(IllegalArgumentException.class)
                .hasMessageContaining("OffsetStore.jdbc");
        CdcConfig standby = valid().standby(true).offsetStore(OffsetStore.jdbc("jdbc:postgresql://db/app", "u", "p"))
                .replicaName("pod-1").leaseTimeout(Duration.ofSeconds(6)).build();
        assertThat(standby.standby()).isTrue();
        assertThat(standby.toString()).contains("standby as pod-1").doesNotContain("jdbc:postgresql://db/app?password");
        assertThat(standby.toBuilder().build()).isEqualTo(standby);
        assertThat(standby.toBuilder().replicaName("pod-2").build()).isNotEqualTo(standby);
        assertThatThrownBy(() -> valid().leaseTimeout(Duration.ofMillis(500)).build()).hasMessageContaining("at least 1 s");
        assertThatThrownBy(() -> valid().replicaName(" ").build()).hasMessageContaining("replicaName");
        assertThatThrownBy(() -> valid().standbyPollInterval(Duration.ZERO).build()).hasMessageContaining("standbyPollInterval");
    }
}
