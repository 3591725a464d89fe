package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import java.lang.management.ManagementFactory;
import java.sql.Connection;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.util.Set;
import javax.management.JMException;
import javax.management.MBeanServer;
import javax.management.ObjectName;

/**
 * Tells when a started engine really captures: its replication slot is active (the stream is open)
 * or its snapshot is running (the slot exists, and streaming follows the snapshot). Debezium's
 * "polling started" comes before either, and before a competing consumer would be noticed.
 */
public final class StreamingProbe implements AutoCloseable {

    private final CdcConfig config;
    private final Connection connection;
    private final PreparedStatement slotQuery;
    private boolean slotActive;
    private final ObjectName snapshotMetrics;

    private StreamingProbe(CdcConfig config) throws SQLException, JMException {
        this.config = config;
        this.connection = Preflight.openConnection(config);
        // Lag: WAL the server keeps for this slot beyond what the engine confirmed.
        this.slotQuery = connection.prepareStatement("SELECT active, pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn)"
                + " FROM pg_replication_slots WHERE slot_name = ?");
        this.slotQuery.setString(1, config.slotName());
        this.snapshotMetrics = new ObjectName("debezium.postgres:type=connector-metrics,context=snapshot,server="
                + config.name() + ",*");
    }

    /** Opens the probe's connection. */
    public static StreamingProbe open(CdcConfig config) {
        try {
            return new StreamingProbe(config);
        } catch (SQLException | JMException e) {
            throw new io.pgcdc.CdcException("cannot watch engine '" + config.name() + "' start: " + e.getMessage(), e);
        }
    }

    private volatile long lagBytes = -1;

    /** Whether the slot is active or the snapshot runs; also reads the slot's lag. */
    public boolean isCapturing() throws SQLException {
        slotActive = false;
        try (ResultSet rs = slotQuery.executeQuery()) {
            if (rs.next()) {
                long lag = rs.getLong(2);
                lagBytes = rs.wasNull() ? -1 : lag;
                if (rs.getBoolean(1)) {
                    slotActive = true;
                    return true;
                }
            }
        }
        return isSnapshotRunning();
    }

    /** Whether the last {@link #isCapturing()} found the slot itself streaming (not only a snapshot running). */
    public boolean isSlotActive() {
        return slotActive;
    }

    /** Bytes of WAL the server keeps for the slot beyond its confirmed position, as of the last check; -1 when unknown. */
    public long lagBytes() {
        return lagBytes;
    }

    private boolean isSnapshotRunning() {
        MBeanServer server = ManagementFactory.getPlatformMBeanServer();
        Set<ObjectName> names = server.queryNames(snapshotMetrics, null);
        for (ObjectName name : names) {
            try {
                if (Boolean.TRUE.equals(server.getAttribute(name, "SnapshotRunning"))) {
                    return true;
                }
            } catch (JMException e) {
                // Unregistered between the query and the read: the snapshot ended or the engine stopped.
            }
        }
        return false;
    }

    @Override
    public void close() {
        try {
            connection.close();
        } catch (SQLException e) {
            // Nothing to do: the probe is done either way.
        }
    }

    @Override
    public String toString() {
        return "StreamingProbe[" + config.slotName() + "]";
    }
}
