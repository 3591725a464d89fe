package io.pgcdc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.OptionalLong;
import org.junit.jupiter.api.Test;

/** The position an engine's stored offsets resume streaming from, as the slot check reads it. */
class OffsetChecksTest {

    private static ByteBuffer json(String text) {
        return ByteBuffer.wrap(text.getBytes(StandardCharsets.UTF_8));
    }

    @Test
    void theLastProcessedLsnWhenStoredElseTheLsnOfThisEnginesOwnEntry() {
        Map<ByteBuffer, ByteBuffer> offsets = new HashMap<>();
        offsets.put(json("[\"orders\",{\"server\":\"orders\"}]"), json("{\"lsn\":9000,\"lsn_commit\":9000,\"messageType\":\"COMMIT\"}"));
        offsets.put(json("[\"billing\",{\"server\":\"billing\"}]"), json("{\"lsn\":7000,\"lsn_proc\":6900,\"lsn_commit\":6000}"));
        assertThat(OffsetChecks.streamingPosition(offsets, "orders")).isEqualTo(OptionalLong.of(9000));
        assertThat(OffsetChecks.streamingPosition(offsets, "billing")).isEqualTo(OptionalLong.of(6900));
        assertThat(OffsetChecks.streamingPosition(offsets, "audit")).isEmpty();
    }

    @Test
    void aSnapshotInProgressHasNoStreamingPosition() {
        Map<ByteBuffer, ByteBuffer> offsets = Map.of(json("[\"orders\",{\"server\":\"orders\"}]"),
                json("{\"lsn\":9000,\"snapshot\":\"INITIAL\",\"last_snapshot_record\":false}"));
        assertThat(OffsetChecks.streamingPosition(offsets, "orders")).isEmpty();
        assertThat(OffsetChecks.streamingPosition(Map.of(), "orders")).isEmpty();
    }
}
