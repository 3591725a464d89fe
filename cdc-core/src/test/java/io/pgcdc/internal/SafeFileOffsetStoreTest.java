package io.pgcdc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class SafeFileOffsetStoreTest {

    private static ByteBuffer b(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<ByteBuffer, ByteBuffer> sample() {
        Map<ByteBuffer, ByteBuffer> m = new HashMap<>();
        m.put(b("[\"orders\",{\"server\":\"orders\"}]"), b("{\"lsn\":24023928,\"txId\":741}"));
        m.put(b("[\"other\",{\"server\":\"other\"}]"), null);
        return m;
    }

    @Test
    void aMissingFileIsAFirstStart(@TempDir Path dir) throws Exception {
        assertThat(SafeFileOffsetStore.read(dir.resolve("none.offsets"))).isEmpty();
    }

    @Test
    void whatIsWrittenIsReadBackAndNoTemporaryFileStays(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("engine.offsets");
        SafeFileOffsetStore.write(file, sample());
        SafeFileOffsetStore.write(file, sample());
        assertThat(SafeFileOffsetStore.read(file)).isEqualTo(sample());
        try (var files = Files.list(dir)) {
            assertThat(files.map(p -> p.getFileName().toString())).containsExactly("engine.offsets");
        }
    }

    @Test
    void aTornFileIsAnErrorNeverAFreshStart(@TempDir Path dir) throws Exception {
        Path file = dir.resolve("engine.offsets");
        SafeFileOffsetStore.write(file, sample());
        byte[] whole = Files.readAllBytes(file);
        for (int cut : new int[] {0, 5, 20, whole.length / 2, whole.length - 1}) {
            Files.write(file, java.util.Arrays.copyOf(whole, cut));
            assertThatThrownBy(() -> SafeFileOffsetStore.read(file))
                    .isInstanceOf(SafeFileOffsetStore.CorruptOffsetsException.class)
                    .hasMessageStartingWith("offset file " + file + " is corrupt (")
                    .hasMessageContaining("refusing to start from scratch");
        }
    }

    @Test
    void aFlippedByteOrAnotherFormatIsAnError(@TempDir Path dir) throws IOException {
        Path file = dir.resolve("engine.offsets");
        SafeFileOffsetStore.write(file, sample());
        byte[] bytes = Files.readAllBytes(file);
        bytes[bytes.length / 2] ^= 0x01;
        Files.write(file, bytes);
        assertThatThrownBy(() -> SafeFileOffsetStore.read(file)).hasMessageContaining("checksum mismatch");

        Files.writeString(file, "{\"a kafka\": \"file offset store\", \"padding\": \"................\"}");
        assertThatThrownBy(() -> SafeFileOffsetStore.read(file)).hasMessageContaining("not a pgcdc offset file");
    }
}
