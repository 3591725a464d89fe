package io.pgcdc.internal;

import static org.assertj.core.api.Assertions.assertThat;

import java.util.HashMap;
import java.util.Map;
import org.junit.jupiter.api.Test;

/** Which stored offsets lie between transactions, and so are stored without Debezium's {@code lsn_proc}. */
class ResumeOffsetTest {

    private static Map<String, Object> offset(long lsn, long commit, String type, boolean inTransaction) {
        Map<String, Object> o = new HashMap<>();
        o.put("lsn", lsn);
        o.put("lsn_proc", lsn);
        o.put("lsn_commit", commit);
        o.put("messageType", type);
        o.put("txId", 812L);
        if (inTransaction) {
            o.put("transaction_id", "812:" + lsn);
            o.put("total_order", 3L);
        }
        return o;
    }

    @Test
    void aTransactionsEndAndWhatFollowsItOutsideAnyTransactionAreBetweenTransactions() {
        // The END marker is emitted before Debezium closes the transaction context: it still names the transaction.
        assertThat(EngineDriver.isBetweenTransactions(offset(5000, 5000, "COMMIT", true))).isTrue();
        // A heartbeat after the commit.
        assertThat(EngineDriver.isBetweenTransactions(offset(5000, 5000, "COMMIT", false))).isTrue();
        // A non-transactional logical message: Debezium commits at its own LSN.
        assertThat(EngineDriver.isBetweenTransactions(offset(6000, 6000, "MESSAGE", false))).isTrue();
    }

    @Test
    void positionsInsideATransactionKeepDebeziumsSearch() {
        assertThat(EngineDriver.isBetweenTransactions(offset(5100, 5000, "INSERT", true))).isFalse();
        // A change at exactly the previous commit's LSN (the record right after that commit) is still inside its transaction.
        assertThat(EngineDriver.isBetweenTransactions(offset(5000, 5000, "INSERT", true))).isFalse();
        assertThat(EngineDriver.isBetweenTransactions(offset(5000, 5000, "BEGIN", true))).isFalse();
        assertThat(EngineDriver.isBetweenTransactions(offset(5000, 5000, "MESSAGE", true))).isFalse();
        // No commit yet, snapshot offsets, nothing at all.
        Map<String, Object> first = offset(4000, 0, "COMMIT", false);
        first.remove("lsn_commit");
        assertThat(EngineDriver.isBetweenTransactions(first)).isFalse();
        Map<String, Object> snapshot = offset(5000, 5000, "COMMIT", false);
        snapshot.put("snapshot", "INITIAL");
        snapshot.put("last_snapshot_record", false);
        assertThat(EngineDriver.isBetweenTransactions(snapshot)).isFalse();
        assertThat(EngineDriver.isBetweenTransactions(null)).isFalse();
    }
}
