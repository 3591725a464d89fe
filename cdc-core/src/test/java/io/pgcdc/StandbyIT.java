package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * Standby mode in one JVM: two replicas of one engine, one runs, the other stands by and takes over on a graceful
 * close; and how a standby reads a lease in force whose holder's slot is inactive. The kill -9 and SIGSTOP runs, in
 * child JVMs, are {@code StandbyFailoverIT} in cdc-examples.
 */
@ExtendWith(PostgresExtension.class)
class StandbyIT {

    private static final Duration WAIT = Duration.ofSeconds(60);

    @Test
    void aStandbyTakesOverAtOnceWhenTheLeaderClosesAndRepeatsNothing(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig.Builder shared = replicas(db, "replicated", Duration.ofSeconds(30), Duration.ofSeconds(3));
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
            System.out.printf("handoff: close() of the leader to the standby's first event: %d ms (poll 30 s)%n", handoffMillis);
            assertThat(handoffMillis).as("the release wakes the standby: it does not wait for its 30 s poll").isLessThan(15_000L);
            Thread.sleep(500);
            List<String> ids = second.events().stream().map(e -> e.after().getString("transaction_id")).toList();
            assertThat(ids).as("the standby delivers the next change and repeats nothing").containsExactly("after-handoff");
            assertThat(first.events()).hasSize(1);
        }
    }

    /**
     * A leader that recorded its stream as up and then vanished without releasing its lease (what kill -9 leaves, a
     * moment after it began streaming, before any standby saw its slot active) is replaced after two polls, not when
     * its lease expires; a holder that never recorded a stream (still starting) keeps the engine until its lease ends.
     */
    @Test
    void aStandbyReplacesAVanishedStreamingLeaderAtOnceAndWaitsForOneStillStarting(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig.Builder shared = replicas(db, "vanishing", Duration.ofMillis(200), Duration.ofSeconds(60));
        RecordingListener first = new RecordingListener();
        try (CdcEngine a = CdcEngine.create(shared.replicaName("replica-a").build(), first)) {
            a.start();
            await().atMost(WAIT).until(() -> a.state() == CdcEngine.State.RUNNING);
            await().atMost(WAIT).until(() -> db.queryLong("SELECT streaming::int FROM pgcdc_offsets WHERE engine = 'vanishing'") == 1);
        }
        // A holder that is still starting: lease in force for a minute, no stream recorded, slot inactive.
        db.execute("UPDATE pgcdc_offsets SET epoch = epoch + 1, holder = 'starting', lease_until = now() + interval '60 seconds',"
                + " streaming = false WHERE engine = 'vanishing'");
        RecordingListener second = new RecordingListener();
        try (CdcEngine b = CdcEngine.create(shared.replicaName("replica-b").build(), second)) {
            b.start();
            Thread.sleep(2_000);
            assertThat(b.state()).as("ten polls of an inactive slot under a lease whose holder never streamed").isEqualTo(CdcEngine.State.STANDBY);

            // The same holder records its stream as up, then vanishes: the slot stays inactive.
            db.execute("UPDATE pgcdc_offsets SET streaming = true WHERE engine = 'vanishing'");
            long vanishedAt = System.nanoTime();
            await().atMost(Duration.ofSeconds(20)).until(() -> b.state() == CdcEngine.State.RUNNING);
            long tookMillis = (System.nanoTime() - vanishedAt) / 1_000_000;
            System.out.printf("takeover from a vanished streaming leader whose lease runs 60 s: %d ms%n", tookMillis);
            assertThat(db.queryLong("SELECT count(*) FROM pgcdc_offsets WHERE engine = 'vanishing' AND holder = 'replica-b'"))
                    .as("replica-b holds the lease").isEqualTo(1);
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('after-takeover')");
            await().atMost(WAIT).until(() -> second.size() >= 1);
            assertThat(second.events().get(0).after().getString("transaction_id")).isEqualTo("after-takeover");
        }
    }

    /** A replica that could never take over says why from {@code start()}, instead of standing by in vain. */
    @Test
    void aStandbyThatCouldNeverRunFailsAtStartWithTheReason(TestDatabase db) {
        TestConfigs.createTransactions(db);
        OffsetStore offsets = OffsetStore.jdbc(db.jdbcUrl(), db.user(), db.password());
        CdcConfig missingTable = TestConfigs.transactions(db).name("never").standby(true).offsetStore(offsets)
                .tables("public.no_such_table").build();
        try (CdcEngine engine = CdcEngine.create(missingTable, new RecordingListener())) {
            assertThatThrownBy(engine::start).isInstanceOf(CdcException.class).hasMessageContaining("no_such_table");
            assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
        }
        CdcConfig badOffsets = TestConfigs.transactions(db).name("never").standby(true)
                .offsetStore(OffsetStore.jdbc(db.jdbcUrl(), db.user(), "wrong-password")).build();
        try (CdcEngine engine = CdcEngine.create(badOffsets, new RecordingListener())) {
            assertThatThrownBy(engine::start).isInstanceOf(CdcException.class)
                    .hasMessageContaining("cannot use its offsets database").hasMessageNotContaining("wrong-password");
            assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
        }
    }

    /**
     * A leader's process that dies (kill -9) takes its session in the captured database with it: a standby that finds
     * the slot inactive and that session gone takes over at its next poll, even from a leader that never streamed
     * (killed while starting); while the session lives, the leader keeps the engine. Offsets through a DataSource.
     */
    @Test
    void aStandbyReplacesALeaderWhoseSessionIsGoneAtItsNextPoll(TestDatabase db) throws Exception {
        TestConfigs.createTransactions(db);
        // Offsets through a DataSource, as an application's pool gives them.
        org.postgresql.ds.PGSimpleDataSource offsets = new org.postgresql.ds.PGSimpleDataSource();
        offsets.setURL(db.jdbcUrl());
        offsets.setUser(db.user());
        offsets.setPassword(db.password());
        CdcConfig.Builder shared = replicas(db, "present", Duration.ofMillis(500), Duration.ofSeconds(60)).offsetStore(OffsetStore.jdbc(offsets));
        try (CdcEngine a = CdcEngine.create(shared.replicaName("replica-a").build(), new RecordingListener())) {
            a.start();
            await().atMost(WAIT).until(() -> a.state() == CdcEngine.State.RUNNING);
            assertThat(db.queryLong("SELECT count(*) FROM pgcdc_offsets o JOIN pg_stat_activity a ON a.pid = o.presence_pid"
                    + " AND a.backend_start = o.presence_start WHERE o.engine = 'present' AND o.holder = 'replica-a'"))
                    .as("the leader's session is recorded with its lease").isEqualTo(1);
        }
        // A leader still starting (no stream recorded), holding a one-minute lease, its session open.
        try (java.sql.Connection ghost = db.connect()) {
            db.execute("UPDATE pgcdc_offsets SET epoch = epoch + 1, holder = 'starting', lease_until = now() + interval '60 seconds',"
                    + " streaming = false WHERE engine = 'present'");
            try (java.sql.PreparedStatement ps = ghost.prepareStatement("UPDATE pgcdc_offsets SET presence_pid = pg_backend_pid(),"
                    + " presence_start = (SELECT backend_start FROM pg_stat_activity WHERE pid = pg_backend_pid()) WHERE engine = 'present'")) {
                ps.executeUpdate();
            }
            RecordingListener second = new RecordingListener();
            try (CdcEngine b = CdcEngine.create(shared.replicaName("replica-b").build(), second)) {
                b.start();
                Thread.sleep(2_500);
                assertThat(b.state()).as("five polls: the slot is inactive but the leader's session lives").isEqualTo(CdcEngine.State.STANDBY);

                long diedAt = System.nanoTime();
                ghost.close();
                await().atMost(Duration.ofSeconds(20)).until(() -> b.state() == CdcEngine.State.RUNNING);
                System.out.printf("takeover from a leader whose session ended (lease 60 s, poll 500 ms): %d ms%n",
                        (System.nanoTime() - diedAt) / 1_000_000);
                db.execute("INSERT INTO transactions (transaction_id) VALUES ('after-takeover')");
                await().atMost(WAIT).until(() -> second.size() >= 1);
                assertThat(second.events().get(0).after().getString("transaction_id")).isEqualTo("after-takeover");
            }
        }
    }

    /** Replicas of engine {@code name} in standby mode, offsets in the test database; each test names its replicas. */
    private static CdcConfig.Builder replicas(TestDatabase db, String name, Duration poll, Duration lease) {
        return TestConfigs.transactions(db).name(name).standby(true).offsetStore(OffsetStore.jdbc(db.jdbcUrl(), db.user(), db.password()))
                .standbyPollInterval(poll).leaseTimeout(lease);
    }
}
