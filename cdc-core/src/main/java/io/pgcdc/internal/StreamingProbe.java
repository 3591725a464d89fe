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
    private final PreparedStatement slotActive;
    private final ObjectName snapshotMetrics;

    private StreamingProbe(CdcConfig config) throws SQLException, JMException {
        this.config = config;
        this.connection = Preflight.openConnection(config);
        this.slotActive = connection.prepareStatement("SELECT active FROM pg_replication_slots WHERE slot_name = ?");
        this.slotActive.setString(1, config.slotName());
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

    /** Whether the slot is active or the snapshot runs. */
    public boolean isCapturing() throws SQLException {
        try (ResultSet rs = slotActive.executeQuery()) {
            if (rs.next() && rs.getBoolean(1)) {
                return true;
            }
        }
        return isSnapshotRunning();
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
