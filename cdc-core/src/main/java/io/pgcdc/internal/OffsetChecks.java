package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcException;
import io.pgcdc.FailureReason;
import io.pgcdc.OffsetStore;
import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;

/** Checks an engine's offset store before Debezium starts, so that a bad one fails {@code start()} clearly. */
public final class OffsetChecks {

    private OffsetChecks() {
    }

    /** Creates the offset directory, and reads the stored offsets now: a corrupt file or row, or an unreachable database, is an error. */
    public static void prepare(CdcConfig config) {
        OffsetStore store = config.offsetStore();
        if (store instanceof OffsetStore.FileStore) {
            prepareFile(((OffsetStore.FileStore) store).file());
        } else if (store instanceof OffsetStore.JdbcStore) {
            checkJdbc((OffsetStore.JdbcStore) store, config.name());
        }
    }

    private static void prepareFile(Path file) {
        if (file.getParent() != null) {
            try {
                Files.createDirectories(file.getParent());
            } catch (IOException e) {
                throw new CdcException(FailureReason.CONFIGURATION, "cannot create the offset directory " + file.getParent() + ": " + e
                        + "; check the path and its permissions", e);
            }
        }
        try {
            SafeFileOffsetStore.read(file);
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(FailureReason.CORRUPT_OFFSETS, e.getMessage(), e);
        }
    }

    private static void checkJdbc(OffsetStore.JdbcStore store, String engine) {
        try (Connection c = JdbcOffsetStore.connect(store)) {
            boolean exists;
            try (PreparedStatement ps = c.prepareStatement("SELECT to_regclass(?) IS NOT NULL")) {
                ps.setString(1, store.table());
                try (ResultSet rs = ps.executeQuery()) {
                    rs.next();
                    exists = rs.getBoolean(1);
                }
            }
            if (exists) {
                JdbcOffsetStore.read(c, store.table(), engine);
            }
        } catch (SQLException e) {
            throw new CdcException(Preflight.reasonOf(e), "cannot read offsets from table " + store.table() + " at " + store + ": "
                    + e.getMessage() + "; check the offset store's URL, user and password", e);
        } catch (SafeFileOffsetStore.CorruptOffsetsException e) {
            throw new CdcException(FailureReason.CORRUPT_OFFSETS, e.getMessage(), e);
        }
    }
}
