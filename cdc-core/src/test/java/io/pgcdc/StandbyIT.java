package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Standby mode in one JVM (issue 14, work in progress; the child-JVM kill -9 and SIGSTOP runs come with the rest):
 * two replicas of one engine, one runs, the other stands by and takes over on a graceful close.
 */
@ExtendWith(PostgresExtension.class)
class StandbyIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aStandbyTakesOverWhenTheLeaderClosesAndRepeatsNothing(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig.Builder shared = TestConfigs.transactions(db).name("replicated").standby(true)
                .offsetStore(OffsetStore.jdbc(db.jdbcUrl(), db.user(), db.password()))
                .standbyPollInterval(Duration.ofMillis(200)).leaseTimeout(Duration.ofSeconds(3));
        RecordingListener first = new RecordingListener();
        RecordingListener second = new RecordingListener();
        try (CdcEngine a = CdcEngine.create(shared.replicaName("replica-a").build(), first);
             CdcEngine b = CdcEngine.create(shared.replicaName("replica-b").build(), second)) {
            a.start();
            await().atMost(WAIT).until(() -> a.state() == CdcEngine.State.RUNNING);
            b.start();
            assertThat(b.state()).isEqualTo(CdcEngine.State.STANDBY);
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('before-handoff')");
            await().atMost(WAIT).until(() -> first.size() == 1);
            Thread.sleep(1_000);
            assertThat(b.state()).as("the standby stays one while the leader runs").isEqualTo(CdcEngine.State.STANDBY);

            long closedAt = System.nanoTime();
            a.close();
            assertThat(a.state()).isEqualTo(CdcEngine.State.STOPPED);
            await().atMost(WAIT).until(() -> b.state() == CdcEngine.State.RUNNING);
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('after-handoff')");
            await().atMost(WAIT).until(() -> second.size() >= 1);
            long handoffMillis = (System.nanoTime() - closedAt) / 1_000_000;
            System.out.printf("handoff: close() of the leader to the standby's first event: %d ms%n", handoffMillis);
            Thread.sleep(500);
            List<String> ids = second.events().stream().map(e -> e.after().getString("transaction_id")).toList();
            assertThat(ids).as("the standby delivers the next change and repeats nothing").containsExactly("after-handoff");
            assertThat(first.events()).hasSize(1);
        }
    }
}
