package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcException;
import io.pgcdc.FailureReason;
import io.pgcdc.OffsetStore;
import com.fasterxml.jackson.databind.JsonNode;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Map;
import java.util.OptionalLong;

/** Checks an engine's offset store before Debezium starts, so that a bad one fails {@code start()} clearly. */
public final class OffsetChecks {

    private OffsetChecks() {
    }

    /**
     * Creates the offset directory, and reads the stored offsets now: a corrupt file or row, or an
     * unreachable database, is an error.
     *
     * @return the WAL position this engine's stored offsets resume streaming from, or empty when there is
     *     none (no offsets yet, offsets in memory, or a snapshot not finished)
     */
    public static OptionalLong prepare(CdcConfig config) {
        OffsetStore store = config.offsetStore();
        if (store instanceof OffsetStore.FileStore) {
            return streamingPosition(prepareFile(((OffsetStore.FileStore) store).file()), config.name());
        } else if (store instanceof OffsetStore.JdbcStore) {
            return streamingPosition(checkJdbc((OffsetStore.JdbcStore) store, config.name()), config.name());
        }
        return OptionalLong.empty();
    }

    /**
     * The position Debezium resumes streaming from for the engine named {@code engine}: the last
     * completely processed LSN when stored, else the stored LSN.
     */
    static OptionalLong streamingPosition(Map<ByteBuffer, ByteBuffer> offsets, String engine) {
        long position = -1;
        for (JsonNode value : new SafeFileOffsetStore.PartitionReader(offsets).offsets(engine)) {
            if (value.has("snapshot") || value.has("last_snapshot_record")) {
                continue;
            }
            JsonNode lsn = value.has("lsn_proc") ? value.get("lsn_proc") : value.get("lsn");
            if (lsn != null && lsn.canConvertToLong()) {
                position = Math.max(position, lsn.asLong());
            }
        }
        return position < 0 ? OptionalLong.empty() : OptionalLong.of(position);
    }

    private static Map<ByteBuffer, ByteBuffer> prepareFile(Path file) {
        if (file.getParent() != null) {
            try {
                Files.createDirectories(file.getParent());
            } catch (IOException e) {
                throw new CdcException(FailureReason.CONFIGURATION, "cannot create the offset directory " + file.getParent() + ": " + e
                        + "; check the path and its permissions", e);
            }
        }
        try {
            return SafeFileOffsetStore.read(file);
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(FailureReason.CORRUPT_OFFSETS, e.getMessage(), e);
        }
    }

    private static Map<ByteBuffer, ByteBuffer> checkJdbc(OffsetStore.JdbcStore store, String engine) {
        try (Connection c = JdbcOffsetStore.connect(store)) {
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                ps.setString(1, store.table());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            return exists ? JdbcOffsetStore.read(c, store.table(), engine) : Map.of();
        } catch (SQLException e) {
            throw new CdcException(Preflight.reasonOf(e), "cannot read offsets from table " + store.table() + " at " + store + ": "
                    + e.getMessage() + "; check the offset store's URL, user and password", e);
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(FailureReason.CORRUPT_OFFSETS, e.getMessage(), e);
        }
    }
}
