package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.assertj.core.api.InstanceOfAssertFactories.throwable;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.net.ServerSocket;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/** Each way a start can go wrong gives a CdcException that says what happened and what to do. */
@ExtendWith(PostgresExtension.class)
class StartupErrorsIT {

    @Test
    void wrongPasswordSaysAuthenticationFailed(TestDatabase db) {
        TestConfigs.createTransactions(db);
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).password("wrong-password").build(), new RecordingListener());
        assertThatThrownBy(engine::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageStartingWith("authentication failed for user '" + db.user() + "' at " + db.host() + ":" + db.port())
                .hasMessageContaining("check the user and password")
                .hasMessageNotContaining("wrong-password")
                .extracting(CdcException::reason).isEqualTo(FailureReason.AUTHENTICATION);
        assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
        assertThat(engine.failure()).get().extracting(CdcException::reason).isEqualTo(FailureReason.AUTHENTICATION);
    }

    @Test
    void unreachableServerSaysWhereItTriedAndWhatToCheck(TestDatabase db) throws Exception {
        int closedPort;
        try (ServerSocket socket = new ServerSocket(0)) {
            closedPort = socket.getLocalPort();
        }
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).host("127.0.0.1").port(closedPort).build(), new RecordingListener());
        assertThatThrownBy(engine::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageStartingWith("cannot connect to PostgreSQL at 127.0.0.1:" + closedPort)
                .hasMessageContaining("check host and port")
                .extracting(CdcException::reason).isEqualTo(FailureReason.UNREACHABLE);
    }

    @Test
    void walLevelReplicaSaysHowToEnableLogicalDecoding() {
        try (TestPostgres replicaOnly = TestPostgres.embedded().setting("wal_level", "replica").start();
             TestDatabase db = replicaOnly.createDatabase("wal_level")) {
            TestConfigs.createTransactions(db);
            CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).build(), new RecordingListener());
            assertThatThrownBy(engine::start)
                    .asInstanceOf(throwable(CdcException.class))
                    .hasMessageStartingWith("wal_level is 'replica'")
                    .hasMessageContaining("ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL")
                    .extracting(CdcException::reason).isEqualTo(FailureReason.WAL_LEVEL);
        }
    }

    @Test
    void missingTableIsNamed(TestDatabase db) {
        TestConfigs.createTransactions(db);
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).tables("public.no_such_table").build(), new RecordingListener());
        assertThatThrownBy(engine::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessage("captured table public.no_such_table does not exist in database '" + db.name() + "'; create it or remove it"
                        + " from tables (names are case-sensitive: schema.table as PostgreSQL stores them)")
                .extracting(CdcException::reason).isEqualTo(FailureReason.MISSING_TABLE);
    }

    @Test
    void slotInUseByAnotherEngineFailsFastNamingTheHolder(TestDatabase db) {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).build();
        try (CdcEngine first = CdcEngine.create(config, new RecordingListener())) {
            first.start();
            CdcEngine second = CdcEngine.create(config, new RecordingListener());
            assertThatThrownBy(second::start)
                    .asInstanceOf(throwable(CdcException.class))
                    .hasMessageStartingWith("replication slot '" + config.slotName() + "' is in use by another consumer (pid ")
                    .hasMessageContaining("stop that consumer, or give this engine another slotName")
                    .extracting(CdcException::reason).isEqualTo(FailureReason.SLOT_IN_USE);
            assertThat(first.state()).as("the first engine is untouched").isEqualTo(CdcEngine.State.RUNNING);
        }
    }

    @Test
    void tableWithoutPrimaryKeyIsRefusedBeforeItBreaksTheApplicationsUpdates(TestDatabase db) {
        db.execute("CREATE TABLE events_log (id int, note text)");
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).tables("public.events_log").build(), new RecordingListener());
        assertThatThrownBy(engine::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageStartingWith("table public.events_log has no primary key and no usable replica identity")
                .hasMessageContaining("ALTER TABLE public.events_log REPLICA IDENTITY FULL")
                .extracting(CdcException::reason).isEqualTo(FailureReason.NO_REPLICA_IDENTITY);
        db.execute("UPDATE events_log SET note = 'still writable'");
    }

    @Test
    void userWithoutReplicationIsToldWhichGrantIsMissing(TestDatabase db) {
        TestConfigs.createTransactions(db);
        db.execute("CREATE ROLE plain_" + db.name() + " LOGIN PASSWORD 'plain-pw'");
        try {
            CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).user("plain_" + db.name()).password("plain-pw").build(),
                    new RecordingListener());
            assertThatThrownBy(engine::start)
                    .asInstanceOf(throwable(CdcException.class))
                    .hasMessage("user 'plain_" + db.name() + "' may not use logical replication; grant it with ALTER ROLE plain_"
                            + db.name() + " REPLICATION")
                    .extracting(CdcException::reason).isEqualTo(FailureReason.PERMISSION);
        } finally {
            db.execute("DROP ROLE plain_" + db.name());
        }
    }

    @Test
    void invalidDebeziumPropertySurfacesFromStartInsteadOfOnlyInLogs(TestDatabase db) {
        TestConfigs.createTransactions(db);
        CdcEngine engine = CdcEngine.create(TestConfigs.transactions(db).property("decimal.handling.mode", "bogus").build(),
                new RecordingListener());
        assertThatThrownBy(engine::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageStartingWith("Debezium rejects the configuration: decimal.handling.mode: ")
                .extracting(CdcException::reason).isEqualTo(FailureReason.CONFIGURATION);
        assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
    }

    @Test
    void aCorruptOffsetFileStopsTheStartInsteadOfStartingOver(TestDatabase db, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        TestConfigs.createTransactions(db);
        java.nio.file.Path offsets = dir.resolve("engine.offsets");
        CdcConfig config = TestConfigs.transactions(db).snapshotMode(SnapshotMode.INITIAL).offsetStore(OffsetStore.file(offsets)).build();
        db.execute("INSERT INTO transactions (transaction_id) VALUES ('existing')");
        RecordingListener first = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, first)) {
            engine.start();
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> first.size() >= 1);
        }
        byte[] whole = java.nio.file.Files.readAllBytes(offsets);
        java.nio.file.Files.write(offsets, java.util.Arrays.copyOf(whole, whole.length / 2)); // torn, as by a crash mid-write

        RecordingListener second = new RecordingListener();
        CdcEngine engine = CdcEngine.create(config, second);
        assertThatThrownBy(engine::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageStartingWith("offset file " + offsets + " is corrupt (checksum mismatch")
                .hasMessageContaining("refusing to start from scratch")
                .extracting(CdcException::reason).isEqualTo(FailureReason.CORRUPT_OFFSETS);
        assertThat(engine.state()).isEqualTo(CdcEngine.State.FAILED);
        assertThat(second.events()).as("no silent re-snapshot").isEmpty();
    }

    @Test
    void aPublicationTheEngineMayNotCreateMustExistAndPublishEveryTable(TestDatabase db) {
        TestConfigs.createTransactions(db);
        db.execute("CREATE TABLE other (id int PRIMARY KEY)");
        CdcConfig config = TestConfigs.transactions(db).publicationName("app_pub")
                .property("publication.autocreate.mode", "disabled").build();
        assertThatThrownBy(() -> CdcEngine.create(config, new RecordingListener()).start())
                .asInstanceOf(throwable(CdcException.class))
                .hasMessage("publication 'app_pub' does not exist and publication.autocreate.mode is disabled; create it as the"
                        + " tables' owner: CREATE PUBLICATION app_pub FOR TABLE public.transactions")
                .extracting(CdcException::reason).isEqualTo(FailureReason.PUBLICATION);

        db.execute("CREATE PUBLICATION app_pub FOR TABLE other");
        assertThatThrownBy(() -> CdcEngine.create(config, new RecordingListener()).start())
                .asInstanceOf(throwable(CdcException.class))
                .hasMessage("publication 'app_pub' does not publish public.transactions, so its changes would never arrive;"
                        + " ALTER PUBLICATION app_pub ADD TABLE public.transactions")
                .extracting(CdcException::reason).isEqualTo(FailureReason.PUBLICATION);
    }

    @Test
    void aRoleThatCannotCreateThePublicationIsToldHowToGetOne(TestDatabase db) {
        TestConfigs.createTransactions(db);
        String role = "cap_" + db.name();
        db.execute("CREATE ROLE " + role + " LOGIN REPLICATION PASSWORD 'cap-pw'", "GRANT SELECT ON transactions TO " + role);
        try {
            CdcConfig config = TestConfigs.transactions(db).user(role).password("cap-pw").publicationName("cap_pub").build();
            assertThatThrownBy(() -> CdcEngine.create(config, new RecordingListener()).start())
                    .asInstanceOf(throwable(CdcException.class))
                    .hasMessage("user '" + role + "' cannot create publication 'cap_pub' for public.transactions (only the owner or a"
                            + " superuser may); as the owner run CREATE PUBLICATION cap_pub FOR TABLE public.transactions, and set"
                            + " property(\"publication.autocreate.mode\", \"disabled\")")
                    .extracting(CdcException::reason).isEqualTo(FailureReason.PERMISSION);
        } finally {
            db.execute("DROP OWNED BY " + role, "DROP ROLE " + role);
        }
    }

    @Test
    void aLostSlotIsFatalAndSaysANewSlotAndSnapshotAreNeeded() throws Exception {
        try (TestPostgres small = TestPostgres.embedded().setting("max_slot_wal_keep_size", "1MB").start();
             TestDatabase db = small.createDatabase("lost_slot")) {
            TestConfigs.createTransactions(db);
            CdcConfig config = TestConfigs.transactions(db).heartbeatInterval(java.time.Duration.ZERO).build();
            try (CdcEngine engine = CdcEngine.create(config, new RecordingListener())) {
                engine.start();
            }
            // While no engine runs, more WAL than the slot may keep is written and recycled.
            db.execute("CREATE TABLE filler (payload text)",
                    "INSERT INTO filler SELECT repeat(md5(i::text), 32) FROM generate_series(1, 65536) i",
                    "SELECT pg_switch_wal()", "CHECKPOINT",
                    "INSERT INTO filler SELECT repeat(md5(i::text), 32) FROM generate_series(1, 65536) i",
                    "SELECT pg_switch_wal()", "CHECKPOINT");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(30)).until(() -> db.queryLong(
                    "SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + config.slotName() + "' AND wal_status = 'lost'") == 1);

            CdcEngine engine = CdcEngine.create(config, new RecordingListener());
            assertThatThrownBy(engine::start)
                    .asInstanceOf(throwable(CdcException.class))
                    .hasMessageStartingWith("replication slot '" + config.slotName() + "' is lost: PostgreSQL removed WAL it still needed")
                    .hasMessageContaining("drop the slot")
                    .hasMessageContaining("start again with a snapshot")
                    .extracting(CdcException::reason).isEqualTo(FailureReason.SLOT_LOST);
        }
    }

    @Test
    void offsetsThatOutliveTheirSlotAreFatalWhetherTheSlotIsGoneOrRecreated(TestDatabase db, @org.junit.jupiter.api.io.TempDir java.nio.file.Path dir)
            throws Exception {
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).offsetStore(OffsetStore.file(dir.resolve("engine.offsets"))).build();
        RecordingListener listener = new RecordingListener();
        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();
            db.execute("INSERT INTO transactions (transaction_id) VALUES ('before-drop')");
            org.awaitility.Awaitility.await().atMost(java.time.Duration.ofSeconds(60)).until(() -> listener.events().size() == 1);
        }
        db.execute("SELECT pg_drop_replication_slot('" + config.slotName() + "')");
        db.execute("INSERT INTO transactions (transaction_id) VALUES ('while-no-slot')");

        CdcEngine gone = CdcEngine.create(config, new RecordingListener());
        assertThatThrownBy(gone::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageStartingWith("replication slot '" + config.slotName() + "' does not exist, but engine '" + config.name()
                        + "' has offsets that resume from it")
                .hasMessageContaining("delete the engine's stored offsets (file:" + dir.resolve("engine.offsets") + ")")
                .extracting(CdcException::reason).isEqualTo(FailureReason.SLOT_LOST);

        db.execute("SELECT pg_create_logical_replication_slot('" + config.slotName() + "', 'pgoutput')");
        CdcEngine recreated = CdcEngine.create(config, new RecordingListener());
        assertThatThrownBy(recreated::start)
                .asInstanceOf(throwable(CdcException.class))
                .hasMessageContaining("after the position engine '" + config.name() + "' resumes from")
                .hasMessageContaining("the changes in between are lost to this engine")
                .extracting(CdcException::reason).isEqualTo(FailureReason.SLOT_LOST);
        assertThat(db.queryLong("SELECT count(*) FROM pg_replication_slots WHERE slot_name = '" + config.slotName() + "' AND active")).isZero();
    }
}
