package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** An engine whose tables are idle must not make PostgreSQL keep the WAL that other tables write. */
@ExtendWith(PostgresExtension.class)
class IdleWalIT {

    private static final long WRITTEN_ELSEWHERE = 32L * 1024 * 1024;

    @Test
    void theHeartbeatAdvancesTheSlotWhileTheCapturedTableIsIdle(TestDatabase db) {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).heartbeatInterval(Duration.ofSeconds(1)).build();
        try (CdcEngine engine = CdcEngine.create(config, new RecordingListener())) {
            engine.start();
            writeElsewhere(db);
            await().atMost(Duration.ofSeconds(30)).pollInterval(Duration.ofMillis(250))
                    .untilAsserted(() -> assertThat(engine.slotLagBytes().orElse(Long.MAX_VALUE)).isLessThan(1024 * 1024));
        }
    }

    @Test
    void withoutTheHeartbeatTheSlotPinsTheWal(TestDatabase db) throws InterruptedException {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).heartbeatInterval(Duration.ZERO).build();
        try (CdcEngine engine = CdcEngine.create(config, new RecordingListener())) {
            engine.start();
            writeElsewhere(db);
            Thread.sleep(5_000); // as long as the heartbeat test needs, and then some: the lag must not move
            assertThat(db.queryLong("SELECT pg_wal_lsn_diff(pg_current_wal_lsn(), confirmed_flush_lsn) FROM pg_replication_slots"
                    + " WHERE slot_name = '" + config.slotName() + "'")).isGreaterThan(WRITTEN_ELSEWHERE / 2);
        }
    }

    private static void writeElsewhere(TestDatabase db) {
        db.execute("CREATE TABLE filler (payload text)",
                "INSERT INTO filler SELECT repeat(md5(i::text), 32) FROM generate_series(1, " + WRITTEN_ELSEWHERE / 1024 + ") i",
                "SELECT pg_switch_wal()");
    }
}
