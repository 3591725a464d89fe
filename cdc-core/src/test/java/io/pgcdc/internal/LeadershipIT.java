package io.pgcdc.internal;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.sql.Connection;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** The lease and epoch that decide which replica runs an engine, against a real table (issue 14). */
@ExtendWith(PostgresExtension.class)
class LeadershipIT {

    private static final String TABLE = "pgcdc_offsets";

    @Test
    void oneReplicaHoldsTheEngineAndAnExpiredLeaseFencesItsOffsetWrites(TestDatabase db) throws Exception {
        Leadership a = new Leadership(TABLE, "orders", "replica-a", Duration.ofMillis(400));
        Leadership b = new Leadership(TABLE, "orders", "replica-b", Duration.ofMillis(400));
        Leadership c = new Leadership(TABLE, "orders", "replica-c", Duration.ofMillis(400));
        try (Connection conn = db.connect()) {
            a.prepare(conn);
            Optional<Long> first = a.tryAcquire(conn);
            assertThat(first).contains(1L);
            assertThat(b.tryAcquire(conn)).isEmpty();
            assertThat(c.tryAcquire(conn)).isEmpty();
            assertThat(a.renew(conn, 1)).isTrue();
            assertThat(a.storeOffsets(conn, 1, offsets("a-1"))).isTrue();
            assertThat(b.read(conn)).hasValueSatisfying(s -> {
                assertThat(s.holder()).isEqualTo("replica-a");
                assertThat(s.held()).isTrue();
            });

            // a stalls past its lease: b takes over with the next epoch, a can neither renew nor store.
            Thread.sleep(600);
            assertThat(b.tryAcquire(conn)).contains(2L);
            assertThat(a.renew(conn, 1)).isFalse();
            assertThat(a.storeOffsets(conn, 1, offsets("a-late"))).isFalse();
            assertThat(stored(conn)).isEqualTo(offsets("a-1"));
            assertThat(b.storeOffsets(conn, 2, offsets("b-1"))).isTrue();
            assertThat(stored(conn)).isEqualTo(offsets("b-1"));
            assertThat(c.tryAcquire(conn)).as("b's lease is in force").isEmpty();

            // A graceful stop: the lease is free at once, no expiry to wait for.
            b.release(conn, 2);
            assertThat(c.tryAcquire(conn)).contains(3L);
            assertThat(b.storeOffsets(conn, 2, offsets("b-late"))).isFalse();
            assertThat(stored(conn)).isEqualTo(offsets("b-1"));
        }
    }

    @Test
    void ofReplicasRacingForAFreeLeaseExactlyOneWins(TestDatabase db) throws Exception {
        try (Connection conn = db.connect()) {
            new Leadership(TABLE, "race", "setup", Duration.ofSeconds(5)).prepare(conn);
        }
        int replicas = 6;
        ExecutorService pool = Executors.newFixedThreadPool(replicas);
        try {
            List<Future<Optional<Long>>> results = new ArrayList<>();
            for (int i = 0; i < replicas; i++) {
                Leadership l = new Leadership(TABLE, "race", "replica-" + i, Duration.ofSeconds(5));
                Callable<Optional<Long>> attempt = () -> {
                    try (Connection conn = db.connect()) {
                        return l.tryAcquire(conn);
                    }
                };
                results.add(pool.submit(attempt));
            }
            List<Long> won = new ArrayList<>();
            for (Future<Optional<Long>> r : results) {
                r.get().ifPresent(won::add);
            }
            assertThat(won).containsExactly(1L);
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void standbysThatSawTheLeadersStreamGoTakeOverOnceAndTheLeaderIsFenced(TestDatabase db) throws Exception {
        Leadership leader = new Leadership(TABLE, "dead", "leader", Duration.ofSeconds(30));
        long epoch;
        try (Connection conn = db.connect()) {
            leader.prepare(conn);
            epoch = leader.tryAcquire(conn).orElseThrow();
        }
        // The lease runs for 30 s more; three standbys saw the slot inactive and compete from the epoch they read.
        ExecutorService pool = Executors.newFixedThreadPool(3);
        try {
            List<Future<Optional<Long>>> results = new ArrayList<>();
            for (int i = 0; i < 3; i++) {
                Leadership standby = new Leadership(TABLE, "dead", "standby-" + i, Duration.ofSeconds(30));
                results.add(pool.submit(() -> {
                    try (Connection conn = db.connect()) {
                        return standby.takeOver(conn, epoch);
                    }
                }));
            }
            List<Long> won = new ArrayList<>();
            for (Future<Optional<Long>> r : results) {
                r.get().ifPresent(won::add);
            }
            assertThat(won).containsExactly(epoch + 1);
        } finally {
            pool.shutdownNow();
        }
        try (Connection conn = db.connect()) {
            assertThat(leader.renew(conn, epoch)).isFalse();
            assertThat(leader.storeOffsets(conn, epoch, offsets("too late"))).isFalse();
            assertThat(leader.read(conn)).hasValueSatisfying(s -> assertThat(s.holder()).startsWith("standby-"));
        }
    }

    @Test
    void aTableOfAnEarlierVersionGetsTheLeaseColumnsAndKeepsItsOffsets(TestDatabase db) throws Exception {
        byte[] old = offsets("before");
        try (Connection conn = db.connect()) {
            conn.createStatement().execute("CREATE TABLE " + TABLE
                    + " (engine text PRIMARY KEY, offsets bytea NOT NULL, updated_at timestamptz NOT NULL DEFAULT now())");
            JdbcOffsetStore.upsert(conn, TABLE, "legacy", decode(old));
            Leadership l = new Leadership(TABLE, "legacy", "replica-a", Duration.ofSeconds(5));
            l.prepare(conn);
            assertThat(l.read(conn)).hasValueSatisfying(s -> {
                assertThat(s.epoch()).isZero();
                assertThat(s.held()).isFalse();
            });
            assertThat(l.tryAcquire(conn)).contains(1L);
            assertThat(JdbcOffsetStore.read(conn, TABLE, "legacy")).isEqualTo(decode(old));
        }
    }

    @Test
    void aStandbyModeStoreWritesOnlyWhileItsLeaseIsCurrent(TestDatabase db) throws Exception {
        Leadership a = new Leadership(TABLE, "fenced", "replica-a", Duration.ofSeconds(5));
        Leadership b = new Leadership(TABLE, "fenced", "replica-b", Duration.ofSeconds(5));
        long epoch;
        try (Connection conn = db.connect()) {
            a.prepare(conn);
            epoch = a.tryAcquire(conn).orElseThrow();
        }
        Map<String, String> props = new java.util.HashMap<>(Map.of("name", "fenced", JdbcOffsetStore.URL_PROPERTY, db.jdbcUrl(),
                JdbcOffsetStore.USER_PROPERTY, db.user(), JdbcOffsetStore.PASSWORD_PROPERTY, db.password(),
                JdbcOffsetStore.TABLE_PROPERTY, TABLE, JdbcOffsetStore.STANDBY_PROPERTY, "true"));
        JdbcOffsetStore store = new JdbcOffsetStore();
        store.configure(new io.debezium.embedded.EmbeddedWorkerConfig(props));
        store.start();
        try {
            ByteBuffer key = ByteBuffer.wrap("key".getBytes(StandardCharsets.UTF_8));
            assertThatThrownBy(() -> store.set(Map.of(key, ByteBuffer.wrap(new byte[] {1})), null).get())
                    .hasRootCauseMessage("engine 'fenced' holds no lease: it may not store offsets");
            JdbcOffsetStore.lead("fenced", new JdbcOffsetStore.Lease(a, epoch));
            store.set(Map.of(key, ByteBuffer.wrap(new byte[] {2})), null).get();
            try (Connection conn = db.connect()) {
                assertThat(JdbcOffsetStore.read(conn, TABLE, "fenced")).containsEntry(key, ByteBuffer.wrap(new byte[] {2}));
                a.release(conn, epoch);
                assertThat(b.tryAcquire(conn)).contains(epoch + 1);
            }
            assertThatThrownBy(() -> store.set(Map.of(key, ByteBuffer.wrap(new byte[] {3})), null).get())
                    .hasRootCauseInstanceOf(JdbcOffsetStore.LeadershipLostException.class)
                    .hasRootCauseMessage("engine 'fenced' lost its leadership to replica-b (epoch " + (epoch + 1)
                            + "): it stores no offsets and delivers nothing more");
            try (Connection conn = db.connect()) {
                assertThat(JdbcOffsetStore.read(conn, TABLE, "fenced")).containsEntry(key, ByteBuffer.wrap(new byte[] {2}));
            }
        } finally {
            JdbcOffsetStore.unlead("fenced");
            store.stop();
        }
    }

    private static byte[] offsets(String marker) {
        return SafeFileOffsetStore.encode(Map.of(ByteBuffer.wrap("key".getBytes(StandardCharsets.UTF_8)),
                ByteBuffer.wrap(marker.getBytes(StandardCharsets.UTF_8))));
    }

    private static Map<ByteBuffer, ByteBuffer> decode(byte[] encoded) throws Exception {
        return SafeFileOffsetStore.decode(encoded, "test offsets");
    }

    private static byte[] stored(Connection conn) throws Exception {
        try (var ps = conn.prepareStatement("SELECT offsets FROM " + TABLE + " WHERE engine = 'orders'"); var rs = ps.executeQuery()) {
            rs.next();
            return rs.getBytes(1);
        }
    }
}
