package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcException;
import io.pgcdc.FailureReason;
import io.pgcdc.OffsetStore;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.SQLException;
import java.util.HashMap;
import java.util.Map;

/**
 * What the engine's own snapshot keeps in the offset store, next to Debezium's offsets: which attempt is
 * under way, and, once every row was handled, the position Debezium streams from. Both are written in
 * one write of the store, so a crash leaves either "snapshot not complete" or "complete, stream from here".
 */
public final class SnapshotOffsets {

    private static final java.util.regex.Pattern ATTEMPT = java.util.regex.Pattern.compile("\"attempt\":(\\d{1,9})");

    private SnapshotOffsets() {
    }

    /**
     * The attempt a new snapshot is: 1, or one more than an attempt that was stored as started and never
     * completed.
     *
     * @param memoryId the engine's in-memory offset area (in-memory stores only)
     */
    public static int nextAttempt(CdcConfig config, String memoryId) {
        ByteBuffer value = read(config, memoryId).get(markerKey(config));
        if (value == null) {
            return 1;
        }
        // Written by this class alone (see marker): {"attempt":N,"completed":true|false}.
        String marker = text(value);
        java.util.regex.Matcher attempt = ATTEMPT.matcher(marker);
        if (marker.contains("\"completed\":true") || !attempt.find()) {
            return 1;
        }
        return Integer.parseInt(attempt.group(1)) + 1;
    }

    /** Stores that an attempt started: until it completes, a restart takes the snapshot again as the next attempt. */
    public static void started(CdcConfig config, String memoryId, int attempt) {
        write(config, memoryId, Map.of(markerKey(config), marker(attempt, false)));
    }

    /**
     * Stores that the attempt completed and, when {@code streamFrom} is not negative, Debezium's offset
     * for streaming from there: a position between transactions (no {@code lsn_proc}), from which
     * PostgreSQL sends every transaction committing after it.
     */
    public static void completed(CdcConfig config, String memoryId, int attempt, long streamFrom) {
        Map<ByteBuffer, ByteBuffer> entries = new HashMap<>();
        entries.put(markerKey(config), marker(attempt, true));
        if (streamFrom >= 0) {
            entries.put(debeziumKey(config), streamingOffset(streamFrom));
        }
        write(config, memoryId, entries);
    }

    /**
     * Without stored offsets and without a snapshot ({@code NONE}), Debezium would start at the server's
     * current WAL position and skip what was committed since the slot's position; when the slot exists,
     * this stores its confirmed position as where streaming starts, so every change the slot holds arrives.
     *
     * @return the position stored, or -1 when the slot does not exist (Debezium creates it, at the current position)
     */
    public static long streamFromSlot(CdcConfig config, String memoryId) {
        Long confirmed;
        try (Connection c = Preflight.openConnection(config)) {
            confirmed = SnapshotSession.confirmedFlush(c, config.slotName());
        } catch (SQLException e) {
            throw new CdcException(Preflight.reasonOf(e), "cannot read replication slot '" + config.slotName() + "': " + e.getMessage(), e);
        }
        if (confirmed == null) {
            return -1;
        }
        write(config, memoryId, Map.of(debeziumKey(config), streamingOffset(confirmed)));
        return confirmed;
    }

    /**
     * Connect's key of the engine's Debezium partition, byte for byte as its JSON converter writes it (the
     * JSON is written by hand: Jackson's start-up alone was a sixth of the time to a snapshot's first row).
     */
    static ByteBuffer debeziumKey(CdcConfig config) {
        return utf8("[" + jsonString(config.name()) + ",{\"server\":" + jsonString(config.name()) + "}]");
    }

    /** The snapshot marker's key: not a partition of the engine's connector, so Debezium never reads it. */
    static ByteBuffer markerKey(CdcConfig config) {
        return utf8("[\"pgcdc.snapshot\",{\"engine\":" + jsonString(config.name()) + "}]");
    }

    /**
     * Debezium's offset for streaming from {@code lsn}: a position between transactions (no {@code lsn_proc}), from
     * which PostgreSQL sends every transaction committing after it.
     */
    private static ByteBuffer streamingOffset(long lsn) {
        return utf8("{\"lsn\":" + lsn + ",\"lsn_commit\":" + lsn + ",\"ts_usec\":" + System.currentTimeMillis() * 1000L + "}");
    }

    private static ByteBuffer marker(int attempt, boolean completed) {
        return utf8("{\"attempt\":" + attempt + ",\"completed\":" + completed + "}");
    }

    /** A JSON string; engine names are letters, digits, '_', '.' and '-' (CdcConfig checks), escaped all the same. */
    static String jsonString(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 2).append('"');
        for (int i = 0; i < s.length(); i++) {
            char c = s.charAt(i);
            if (c == '"' || c == '\\') {
                sb.append('\\').append(c);
            } else if (c < 0x20) {
                sb.append(String.format("\\u%04x", (int) c));
            } else {
                sb.append(c);
            }
        }
        return sb.append('"').toString();
    }

    private static ByteBuffer utf8(String s) {
        return ByteBuffer.wrap(s.getBytes(StandardCharsets.UTF_8));
    }

    private static Map<ByteBuffer, ByteBuffer> read(CdcConfig config, String memoryId) {
        OffsetStore store = config.offsetStore();
        try {
            if (store instanceof OffsetStore.FileStore) {
                return SafeFileOffsetStore.read(((OffsetStore.FileStore) store).file());
            }
            if (store instanceof OffsetStore.JdbcStore) {
                OffsetStore.JdbcStore jdbc = (OffsetStore.JdbcStore) store;
                try (Connection c = JdbcOffsetStore.connect(jdbc)) {
                    JdbcOffsetStore.createTable(c, jdbc.table());
                    return JdbcOffsetStore.read(c, jdbc.table(), config.name());
                }
            }
            return EngineMemoryOffsetStore.area(memoryId);
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(FailureReason.CORRUPT_OFFSETS, e.getMessage(), e);
        } catch (SQLException e) {
            throw new CdcException(Preflight.reasonOf(e), "cannot read offsets from " + store + ": " + e.getMessage(), e);
        }
    }

    private static void write(CdcConfig config, String memoryId, Map<ByteBuffer, ByteBuffer> entries) {
        OffsetStore store = config.offsetStore();
        try {
            if (store instanceof OffsetStore.FileStore) {
                java.nio.file.Path file = ((OffsetStore.FileStore) store).file();
                Map<ByteBuffer, ByteBuffer> data = new HashMap<>(SafeFileOffsetStore.read(file));
                data.putAll(entries);
                SafeFileOffsetStore.write(file, data);
            } else if (store instanceof OffsetStore.JdbcStore) {
                OffsetStore.JdbcStore jdbc = (OffsetStore.JdbcStore) store;
                try (Connection c = JdbcOffsetStore.connect(jdbc)) {
                    JdbcOffsetStore.createTable(c, jdbc.table());
                    boolean auto = c.getAutoCommit();
                    c.setAutoCommit(false);
                    try {
                        try (PreparedStatement lock = c.prepareStatement("SELECT pg_advisory_xact_lock(hashtext(?))")) {
                            lock.setString(1, jdbc.table() + "/" + config.name());
                            lock.execute();
                        }
                        Map<ByteBuffer, ByteBuffer> data = new HashMap<>(JdbcOffsetStore.read(c, jdbc.table(), config.name()));
                        data.putAll(entries);
                        JdbcOffsetStore.upsert(c, jdbc.table(), config.name(), data);
                        c.commit();
                    } catch (SQLException | RuntimeException e) {
                        c.rollback();
                        throw e;
                    } finally {
                        c.setAutoCommit(auto);
                    }
                }
            } else {
                EngineMemoryOffsetStore.putAll(memoryId, entries);
            }
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(FailureReason.CORRUPT_OFFSETS, e.getMessage(), e);
        } catch (IOException e) {
            throw new CdcException(FailureReason.CONFIGURATION, "cannot store offsets in " + store + ": " + e, e);
        } catch (SQLException e) {
            throw new CdcException(Preflight.reasonOf(e), "cannot store offsets in " + store + ": " + e.getMessage(), e);
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        ByteBuffer d = b.duplicate();
        byte[] out = new byte[d.remaining()];
        d.get(out);
        return out;
    }

    static String text(ByteBuffer b) {
        return new String(bytes(b), StandardCharsets.UTF_8);
    }
}
