package io.pgcdc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import io.pgcdc.CdcConfig;
import io.pgcdc.OffsetStore;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.List;
import java.util.Map;
import org.apache.kafka.connect.json.JsonConverter;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/** What the snapshot stores next to Debezium's offsets, and that Debezium finds its part. */
class SnapshotOffsetsTest {

    @Test
    void theStreamingOffsetIsStoredUnderTheKeyConnectsConverterWrites() {
        CdcConfig config = CdcConfig.builder().name("orders-v2.x").database("shop").user("cdc").tables("public.orders").build();
        JsonConverter converter = new JsonConverter();
        converter.configure(Map.of("schemas.enable", "false"), true);
        byte[] connect = converter.fromConnectData("", null, List.of("orders-v2.x", Map.of("server", "orders-v2.x")));
        assertThat(SnapshotOffsets.debeziumKey(config)).isEqualTo(ByteBuffer.wrap(connect));
    }

    @Test
    void anAttemptNotCompletedIsFollowedByTheNextAndACompletedOneStartsAgainAtOne(@TempDir Path dir) throws Exception {
        CdcConfig config = CdcConfig.builder().name("orders").database("shop").user("cdc").tables("public.orders")
                .offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        assertThat(SnapshotOffsets.nextAttempt(config, "unused")).isEqualTo(1);
        SnapshotOffsets.started(config, "unused", 1);
        assertThat(SnapshotOffsets.nextAttempt(config, "unused")).isEqualTo(2);
        SnapshotOffsets.started(config, "unused", 12);
        assertThat(SnapshotOffsets.nextAttempt(config, "unused")).isEqualTo(13);
        SnapshotOffsets.completed(config, "unused", 13, 0x16B374D848L);
        assertThat(SnapshotOffsets.nextAttempt(config, "unused")).isEqualTo(1);
        // The stored streaming position is what the engine's start-up check reads back.
        assertThat(OffsetChecks.streamingPosition(SafeFileOffsetStore.read(dir.resolve("engine.offsets")), "orders"))
                .hasValue(0x16B374D848L);
    }
}
