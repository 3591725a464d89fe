package io.pgcdc.internal;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import java.io.ByteArrayOutputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.zip.CRC32C;
import org.apache.kafka.connect.errors.ConnectException;
import org.apache.kafka.connect.runtime.WorkerConfig;
import org.apache.kafka.connect.storage.MemoryOffsetBackingStore;

/**
 * An offset store that survives crashes: each save writes a temporary file, forces it to disk, renames
 * it over the old one atomically and forces the directory, so the file on disk is always a complete
 * old or a complete new version. A missing file means "first start"; a file that fails its checks is
 * an error, never a silent fresh start (Kafka's file store rewrites in place and reads a torn file as
 * "no offsets").
 *
 * <p>Format: magic {@code PGCDCOFS}, version, entry count, then per entry the key and value lengths
 * and bytes (-1 for a null value), then a CRC-32C of everything before it.
 */
public final class SafeFileOffsetStore extends MemoryOffsetBackingStore {

    /** The property naming the file, the same key Kafka's file store uses. */
    public static final String FILE_PROPERTY = "offset.storage.file.filename";

    private static final byte[] MAGIC = {'P', 'G', 'C', 'D', 'C', 'O', 'F', 'S'};
    private static final int VERSION = 1;
    private static final ObjectMapper JSON = new ObjectMapper();

    private Path file;

    /** Debezium instantiates the store by class name. */
    public SafeFileOffsetStore() {
    }

    @Override
    public void configure(WorkerConfig config) {
        super.configure(config);
        String name = config.originalsStrings().get(FILE_PROPERTY);
        if (name == null || name.isBlank()) {
            throw new ConnectException(FILE_PROPERTY + " must name the offset file");
        }
        this.file = Path.of(name);
    }

    @Override
    public synchronized void start() {
        super.start();
        try {
            data = read(file);
        } catch (CorruptOffsetsException e) {
            throw new ConnectException(e.getMessage(), e);
        }
    }

    @Override
    protected void save() {
        try {
            write(file, data);
        } catch (IOException e) {
            throw new ConnectException("cannot store offsets in " + file + ": " + e, e);
        }
    }

    @Override
    public Set<Map<String, Object>> connectorPartitions(String connectorName) {
        return new PartitionReader(data).partitions(connectorName);
    }

    /** Reads Connect's offset keys, JSON {@code ["<connector name>", {partition}]}, back into partitions. */
    static final class PartitionReader {
        private final Map<ByteBuffer, ByteBuffer> data;

        PartitionReader(Map<ByteBuffer, ByteBuffer> data) {
            this.data = data;
        }

        Set<Map<String, Object>> partitions(String connectorName) {
            Set<Map<String, Object>> partitions = new HashSet<>();
            for (ByteBuffer key : data.keySet()) {
                JsonNode partition = partition(key, connectorName);
                if (partition != null) {
                    @SuppressWarnings("unchecked")
                    Map<String, Object> map = JSON.convertValue(partition, Map.class);
                    partitions.add(map);
                }
            }
            return partitions;
        }

        /** The stored offsets of the connector's partitions, as JSON; entries that are not JSON are left out. */
        List<JsonNode> offsets(String connectorName) {
            List<JsonNode> offsets = new ArrayList<>();
            for (Map.Entry<ByteBuffer, ByteBuffer> e : data.entrySet()) {
                if (e.getValue() != null && partition(e.getKey(), connectorName) != null) {
                    try {
                        offsets.add(JSON.readTree(bytes(e.getValue())));
                    } catch (IOException notJson) {
                        // Not an offset Connect wrote.
                    }
                }
            }
            return offsets;
        }

        /** The partition a key names when it is the connector's, else null. */
        private static JsonNode partition(ByteBuffer key, String connectorName) {
            try {
                JsonNode node = JSON.readTree(bytes(key));
                if (node.isArray() && node.size() == 2 && connectorName.equals(node.get(0).asText()) && node.get(1).isObject()) {
                    return node.get(1);
                }
            } catch (IOException e) {
                // A key in another format is not a Connect partition of this connector.
            }
            return null;
        }
    }

    /** A stored file that fails its checks: the message says which file and why. */
    public static final class CorruptOffsetsException extends Exception {
        private static final long serialVersionUID = 1L;

        CorruptOffsetsException(String where, String why) {
            super(where + " is corrupt (" + why + "); refusing to start from scratch, which would"
                    + " re-deliver or skip changes: restore the file from a backup, or move it away to resume from the"
                    + " replication slot's position (with snapshotMode INITIAL the tables are read again)");
        }
    }

    /**
     * Reads and checks a file; an empty map when it does not exist.
     *
     * @throws CorruptOffsetsException when it exists but is not a complete file of this format
     */
    public static Map<ByteBuffer, ByteBuffer> read(Path file) throws CorruptOffsetsException {
        byte[] content;
        try {
            content = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return new HashMap<>();
        } catch (IOException e) {
            throw new CorruptOffsetsException("offset file " + file, "unreadable: " + e);
        }
        return decode(content, "offset file " + file);
    }

    /**
     * Decodes offsets written by {@link #encode}.
     *
     * @param where what to name in the error, such as "offset file /var/lib/app/offsets"
     * @throws CorruptOffsetsException when the bytes are not a complete, unaltered encoding
     */
    public static Map<ByteBuffer, ByteBuffer> decode(byte[] content, String where) throws CorruptOffsetsException {
        ByteBuffer in = ByteBuffer.wrap(content);
        if (content.length < MAGIC.length + 4 + 4 + 8) {
            throw new CorruptOffsetsException(where, content.length + " bytes, shorter than any complete file");
        }
        byte[] magic = new byte[MAGIC.length];
        in.get(magic);
        if (!java.util.Arrays.equals(magic, MAGIC)) {
            throw new CorruptOffsetsException(where, "not a pgcdc offset file");
        }
        CRC32C crc = new CRC32C();
        crc.update(content, 0, content.length - 8);
        long stored = ByteBuffer.wrap(content, content.length - 8, 8).getLong();
        if (crc.getValue() != stored) {
            throw new CorruptOffsetsException(where, "checksum mismatch: the file was cut short or altered");
        }
        int version = in.getInt();
        if (version != VERSION) {
            throw new CorruptOffsetsException(where, "format version " + version + ", this library reads " + VERSION);
        }
        int count = in.getInt();
        Map<ByteBuffer, ByteBuffer> entries = new HashMap<>();
        try {
            for (int i = 0; i < count; i++) {
                ByteBuffer key = chunk(in);
                entries.put(key, chunk(in));
            }
        } catch (RuntimeException e) {
            throw new CorruptOffsetsException(where, "entries do not match their lengths");
        }
        return entries;
    }

    private static ByteBuffer chunk(ByteBuffer in) {
        int length = in.getInt();
        if (length < 0) {
            return null;
        }
        byte[] b = new byte[length];
        in.get(b);
        return ByteBuffer.wrap(b);
    }

    /** Writes a file atomically and durably: temporary file, fsync, rename, fsync of the directory. */
    public static void write(Path file, Map<ByteBuffer, ByteBuffer> entries) throws IOException {
        ByteBuffer content = ByteBuffer.wrap(encode(entries));
        Path dir = file.toAbsolutePath().getParent();
        Path tmp = dir.resolve(file.getFileName() + ".tmp");
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            while (content.hasRemaining()) {
                ch.write(content);
            }
            ch.force(true);
        }
        try {
            Files.move(tmp, file, StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("the file system of " + dir + " cannot rename atomically; offsets need one that can", e);
        }
        try (FileChannel d = FileChannel.open(dir, StandardOpenOption.READ)) {
            d.force(true);
        } catch (IOException e) {
            // Some platforms cannot open a directory; the rename is then as durable as they make it.
        }
    }

    /** Encodes offsets: magic, version, entries, CRC-32C; {@link #decode} reads them back. */
    public static byte[] encode(Map<ByteBuffer, ByteBuffer> entries) {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        try (DataOutputStream out = new DataOutputStream(bytes)) {
            out.write(MAGIC);
            out.writeInt(VERSION);
            out.writeInt(entries.size());
            for (Map.Entry<ByteBuffer, ByteBuffer> e : entries.entrySet()) {
                writeChunk(out, e.getKey());
                writeChunk(out, e.getValue());
            }
        } catch (IOException e) {
            throw new java.io.UncheckedIOException("writing to memory failed", e);
        }
        byte[] body = bytes.toByteArray();
        CRC32C crc = new CRC32C();
        crc.update(body);
        return ByteBuffer.allocate(body.length + 8).put(body).putLong(crc.getValue()).array();
    }

    private static void writeChunk(DataOutputStream out, ByteBuffer b) throws IOException {
        if (b == null) {
            out.writeInt(-1);
            return;
        }
        byte[] bytes = bytes(b);
        out.writeInt(bytes.length);
        out.write(bytes);
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] bytes = new byte[d.remaining()];
        d.get(bytes);
        return bytes;
    }
}
