package io.pgcdc;

import java.time.Duration;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Objects;
import java.util.Set;
import java.util.concurrent.ThreadFactory;
import java.util.regex.Pattern;

/**
 * Everything an engine needs to know: where PostgreSQL is, what to capture, where to keep offsets.
 * Immutable and validated when built; {@link #toBuilder()} derives a changed copy.
 *
 * <pre>{@code
 * CdcConfig config = CdcConfig.builder()
 *         .host("db.internal").port(5432).database("shop")
 *         .user("cdc").password(System.getenv("CDC_PASSWORD"))
 *         .tables("public.orders", "public.payments")
 *         .name("orders-cache")
 *         .offsetStore(OffsetStore.file(Path.of("/var/lib/orders-cache/offsets.dat")))
 *         .build();
 * }</pre>
 *
 * <p>The defaults are the {@code DEFAULT_*} constants, listed with every option in the README's
 * configuration table. The password never appears in {@link #toString()} or in logs.
 */
public final class CdcConfig {

    /** Engine name when none is set; also the stem of the default slot and publication names. */
    public static final String DEFAULT_NAME = "pgcdc";
    /** PostgreSQL host when none is set. */
    public static final String DEFAULT_HOST = "localhost";
    /** PostgreSQL port when none is set. */
    public static final int DEFAULT_PORT = 5432;
    /** Snapshot mode when none is set. */
    public static final SnapshotMode DEFAULT_SNAPSHOT_MODE = SnapshotMode.INITIAL;
    /** How often the delivery thread looks for new changes; Debezium's own default (500 ms) adds ~400 ms latency. */
    public static final Duration DEFAULT_POLL_INTERVAL = Duration.ofMillis(10);
    /** How long {@link CdcEngine#start()} waits for the engine to stream before it gives up. */
    public static final Duration DEFAULT_START_TIMEOUT = Duration.ofSeconds(60);
    /** How long {@link CdcEngine#close()} waits for a graceful stop before it abandons the engine thread. */
    public static final Duration DEFAULT_STOP_TIMEOUT = Duration.ofSeconds(30);
    /**
     * How often the engine writes a tiny logical message into the WAL and confirms it, so that the slot
     * advances while the captured tables are idle; without it, an idle engine pins all WAL written since.
     */
    public static final Duration DEFAULT_HEARTBEAT_INTERVAL = Duration.ofSeconds(10);

    /** How often a standby checks whether it may take over, unless {@link Builder#standbyPollInterval} says otherwise. */
    public static final Duration DEFAULT_STANDBY_POLL_INTERVAL = Duration.ofMillis(500);
    /** How long a leader's lease lasts without renewal, unless {@link Builder#leaseTimeout} says otherwise. */
    public static final Duration DEFAULT_LEASE_TIMEOUT = Duration.ofSeconds(10);

    /**
     * {@code $HOSTNAME-<pid>} (Kubernetes sets {@code HOSTNAME} to the pod's name), or {@code replica-<pid>}; no name
     * lookup, so that building a configuration never waits on DNS.
     */
    private static String defaultReplicaName() {
        String host = System.getenv("HOSTNAME");
        return (host == null || host.isBlank() ? "replica" : host) + "-" + ProcessHandle.current().pid();
    }

    /** Most events a {@link BatchListener} receives in one batch, unless {@link Builder#maxBatchSize} says otherwise. */
    public static final int DEFAULT_MAX_BATCH_SIZE = 1_000;
    /**
     * Most events of one transaction held in memory until its commit LSN arrives, unless
     * {@link Builder#transactionBuffer} says otherwise; larger transactions are read twice.
     */
    public static final int DEFAULT_TRANSACTION_BUFFER = 10_000;
    /**
     * Connections that read the snapshot at once, unless {@link Builder#snapshotParallelism} says otherwise:
     * the number of processors, at least 2 and at most 4 (readers wait on PostgreSQL as much as on the CPU).
     */
    public static final int DEFAULT_SNAPSHOT_PARALLELISM = Math.max(2, Math.min(4, Runtime.getRuntime().availableProcessors()));

    private static final Pattern SECRET_KEY = Pattern.compile(
            "(?i).*(password|passwd|secret|credential|token|sasl\\.jaas\\.config|basic\\.auth\\.user\\.info|private\\.key).*");
    private static final Pattern SECRET_IN_VALUE = Pattern.compile("(?i)(password=)[^&;\\s]*");
    private static final String MASK = "********";

    /** Debezium keys derived from typed settings, with the builder method that sets each, or why the engine fixes them. */
    private static final Map<String, String> OWNED_KEYS = Map.ofEntries(
            Map.entry("name", "name()"),
            Map.entry("topic.prefix", "name()"),
            Map.entry("connector.class", "fixed: the engine runs the PostgreSQL connector"),
            Map.entry("binary.handling.mode", "fixed: bytea values and message contents arrive as bytes"),
            Map.entry("provide.transaction.metadata", "fixed: each transaction's END marker carries its commit LSN"),
            Map.entry("database.hostname", "host()"),
            Map.entry("database.port", "port()"),
            Map.entry("database.user", "user()"),
            Map.entry("database.password", "password()"),
            Map.entry("database.dbname", "database()"),
            Map.entry("table.include.list", "tables()"),
            Map.entry("slot.name", "slotName()"),
            Map.entry("publication.name", "publicationName()"),
            Map.entry("snapshot.mode", "snapshotMode()"),
            Map.entry("poll.interval.ms", "pollInterval()"),
            Map.entry("heartbeat.interval.ms", "heartbeatInterval()"),
            Map.entry("offset.storage", "offsetStore()"),
            Map.entry("offset.storage.file.filename", "offsetStore()"),
            Map.entry("pgcdc.offsets.jdbc.url", "offsetStore()"),
            Map.entry("pgcdc.offsets.jdbc.user", "offsetStore()"),
            Map.entry("pgcdc.offsets.jdbc.password", "offsetStore()"),
            Map.entry("pgcdc.offsets.jdbc.table", "offsetStore()"),
            Map.entry("pgcdc.offsets.jdbc.datasource", "offsetStore()"),
            Map.entry("offset.storage.pgcdc.memory.id", "offsetStore()"));

    private static final Pattern NAME = Pattern.compile("[A-Za-z0-9_.-]{1,200}");
    private static final Pattern SLOT = Pattern.compile("[a-z0-9_]{1,63}");
    private static final Pattern IDENTIFIER = Pattern.compile("[a-z_][a-z0-9_]{0,62}");

    private final String name;
    private final String host;
    private final int port;
    private final String database;
    private final String user;
    private final String password;
    private final List<TableId> tables;
    private final String slotName;
    private final String publicationName;
    private final String explicitSlotName;
    private final String explicitPublicationName;
    private final SnapshotMode snapshotMode;
    private final OffsetStore offsetStore;
    private final Duration pollInterval;
    private final Duration startTimeout;
    private final Duration stopTimeout;
    private final FailurePolicy failurePolicy;
    private final Duration heartbeatInterval;
    private final Map<String, String> properties;
    private final int maxBatchSize;
    private final int transactionBuffer;
    private final int snapshotParallelism;
    private final int lanes;
    private final ThreadFactory threadFactory;
    private final boolean standby;
    private final Duration standbyPollInterval;
    private final Duration leaseTimeout;
    private final String replicaName;

    private CdcConfig(Builder b) {
        this.name = b.name;
        this.host = b.host;
        this.port = b.port;
        this.database = b.database;
        this.user = b.user;
        this.password = b.password;
        this.tables = List.copyOf(b.tables);
        this.explicitSlotName = b.slotName;
        this.explicitPublicationName = b.publicationName;
        this.slotName = b.slotName != null ? b.slotName : derivedIdentifier(b.name);
        this.publicationName = b.publicationName != null ? b.publicationName : derivedIdentifier(b.name) + "_pub";
        this.snapshotMode = b.snapshotMode;
        this.offsetStore = b.offsetStore;
        this.pollInterval = b.pollInterval;
        this.startTimeout = b.startTimeout;
        this.stopTimeout = b.stopTimeout;
        this.failurePolicy = b.failurePolicy;
        this.heartbeatInterval = b.heartbeatInterval;
        this.properties = Collections.unmodifiableMap(new LinkedHashMap<>(b.properties));
        this.maxBatchSize = b.maxBatchSize;
        this.transactionBuffer = b.transactionBuffer;
        this.snapshotParallelism = b.snapshotParallelism;
        this.lanes = b.lanes;
        this.threadFactory = b.threadFactory;
        this.standby = b.standby;
        this.standbyPollInterval = b.standbyPollInterval;
        this.leaseTimeout = b.leaseTimeout;
        this.replicaName = b.replicaName;
    }

    /** A builder with every default set; {@code database}, {@code user} and {@code tables} are required. */
    public static Builder builder() {
        return new Builder();
    }

    /** A builder holding this configuration's values. */
    public Builder toBuilder() {
        Builder b = new Builder();
        b.name = name;
        b.host = host;
        b.port = port;
        b.database = database;
        b.user = user;
        b.password = password;
        b.tables.addAll(tables);
        b.slotName = explicitSlotName;
        b.publicationName = explicitPublicationName;
        b.snapshotMode = snapshotMode;
        b.offsetStore = offsetStore;
        b.pollInterval = pollInterval;
        b.startTimeout = startTimeout;
        b.stopTimeout = stopTimeout;
        b.failurePolicy = failurePolicy;
        b.heartbeatInterval = heartbeatInterval;
        b.properties.putAll(properties);
        b.maxBatchSize = maxBatchSize;
        b.transactionBuffer = transactionBuffer;
        b.snapshotParallelism = snapshotParallelism;
        b.lanes = lanes;
        b.threadFactory = threadFactory;
        b.standby = standby;
        b.standbyPollInterval = standbyPollInterval;
        b.leaseTimeout = leaseTimeout;
        b.replicaName = replicaName;
        return b;
    }

    /** {@code pgcdc-orders.v2} becomes {@code pgcdc_orders_v2}: a valid slot name and SQL identifier. */
    private static String derivedIdentifier(String name) {
        String id = name.toLowerCase(Locale.ROOT).replaceAll("[^a-z0-9_]", "_");
        if (!Character.isLetter(id.charAt(0)) && id.charAt(0) != '_') {
            id = "_" + id;
        }
        return id.length() > 59 ? id.substring(0, 59) : id;
    }

    /** The engine name: Debezium's {@code name} and {@code topic.prefix}, and the stem of derived names. */
    public String name() {
        return name;
    }

    /** PostgreSQL host. */
    public String host() {
        return host;
    }

    /** PostgreSQL port. */
    public int port() {
        return port;
    }

    /** Database to capture from. */
    public String database() {
        return database;
    }

    /** User the engine connects as; needs {@code LOGIN REPLICATION} and {@code SELECT} on the captured tables. */
    public String user() {
        return user;
    }

    /** The password; never printed. */
    public String password() {
        return password;
    }

    /** Captured tables, in the order given. */
    public List<TableId> tables() {
        return tables;
    }

    /** The logical replication slot: one per engine, kept by PostgreSQL between runs. */
    public String slotName() {
        return slotName;
    }

    /** The publication listing the captured tables; created (or altered to match) when the engine starts. */
    public String publicationName() {
        return publicationName;
    }

    /** Whether existing rows are read first. */
    public SnapshotMode snapshotMode() {
        return snapshotMode;
    }

    /** Where offsets are kept. */
    public OffsetStore offsetStore() {
        return offsetStore;
    }

    /** How often the delivery thread polls for changes. */
    public Duration pollInterval() {
        return pollInterval;
    }

    /** How long {@link CdcEngine#start()} may take. */
    public Duration startTimeout() {
        return startTimeout;
    }

    /** How long {@link CdcEngine#close()} may take. */
    public Duration stopTimeout() {
        return stopTimeout;
    }

    /** How often the slot is advanced while the captured tables are idle; zero when off. */
    public Duration heartbeatInterval() {
        return heartbeatInterval;
    }

    /** What the engine does when a listener callback throws. */
    public FailurePolicy failurePolicy() {
        return failurePolicy;
    }

    /** Most events in one {@link ChangeBatch}; a larger transaction is split over several batches. */
    public int maxBatchSize() {
        return maxBatchSize;
    }

    /**
     * Most events of one transaction held in memory until its END marker gives their commit LSN. A larger
     * transaction is read to its end once without delivery, then again from the stored offsets and
     * delivered as it streams: memory stays bounded, at the cost of reading it twice.
     */
    public int transactionBuffer() {
        return transactionBuffer;
    }

    /**
     * How many connections read the snapshot at once, each in a transaction that imports the same
     * exported snapshot: tables in parallel, and a large table split into block ranges ({@code ctid},
     * PostgreSQL 14 and later). Rows still reach the listener on the one delivery thread.
     */
    public int snapshotParallelism() {
        return snapshotParallelism;
    }

    /**
     * How many threads run a {@link ChangeListener}'s change callbacks: 1 (the default) runs every callback on
     * the delivery thread. With more, each change goes to the lane of its table and key, so the changes of one
     * row stay in order while different rows are handled at once (for listeners that wait on I/O). Offsets
     * never pass an event a lane has not finished; the failure policy applies per event; logical messages and
     * truncates wait for every earlier change and run on the delivery thread, as do {@code onBegin} (before
     * the transaction's changes are handed to lanes) and {@code onCommit} (once they all were handed over:
     * some may still run). A {@link BatchListener} takes no lanes.
     */
    public int lanes() {
        return lanes;
    }

    /**
     * Whether this engine runs as one of several replicas: {@code start()} does not fail when another replica holds
     * the engine; it waits in {@code STANDBY} and takes over when that one stops (at once: the stop is announced),
     * dies (at its next poll) or stalls past its lease. Needs {@link OffsetStore#jdbc} offsets, which
     * every replica shares; the lease and its epoch live in the same row, and offsets are stored only under the
     * current epoch.
     */
    public boolean standby() {
        return standby;
    }

    /**
     * How often a standby checks whether it may take over; by default {@link #DEFAULT_STANDBY_POLL_INTERVAL}. A
     * leader whose process died (its stream and its session gone) is replaced at the next poll; a graceful stop
     * wakes standbys at once (PostgreSQL {@code NOTIFY}), with the poll as the fallback when the offsets connection
     * cannot listen. Each poll is two small queries per standby.
     */
    public Duration standbyPollInterval() {
        return standbyPollInterval;
    }

    /**
     * How long the leader's lease lasts without renewal (it renews every third of it); a standby may end a stalled
     * leader's stream once it expired. By default {@link #DEFAULT_LEASE_TIMEOUT}.
     */
    public Duration leaseTimeout() {
        return leaseTimeout;
    }

    /** This replica's name, shown to the others ("leadership lost to ..."); by default {@code $HOSTNAME-<pid>}. */
    public String replicaName() {
        return replicaName;
    }

    /**
     * Makes the delivery thread, which runs every listener callback; by default a daemon thread named
     * {@code pgcdc-<name>}.
     */
    public ThreadFactory threadFactory() {
        return threadFactory != null ? threadFactory : runnable -> {
            Thread t = new Thread(runnable, "pgcdc-" + name);
            t.setDaemon(true);
            return t;
        };
    }

    /** Extra Debezium properties, applied last; they override the properties this configuration derives. */
    public Map<String, String> properties() {
        return properties;
    }

    /**
     * The value with any secret masked, as this library prints configuration: all of it for a key that
     * names a secret (password, secret, token, credential, ...), else a {@code password=} inside it (URLs).
     */
    public static String maskSecret(String key, String value) {
        Objects.requireNonNull(key, "key");
        if (value == null) {
            return null;
        }
        if (SECRET_KEY.matcher(key).matches()) {
            return MASK;
        }
        java.util.regex.Matcher m = SECRET_IN_VALUE.matcher(value);
        return m.find() ? m.replaceAll("$1" + MASK) : value;
    }

    private static String masked(Map<String, String> properties) {
        Map<String, String> out = new java.util.TreeMap<>();
        properties.forEach((k, v) -> out.put(k, maskSecret(k, v)));
        return out.toString();
    }

    @Override
    public boolean equals(Object o) {
        if (this == o) {
            return true;
        }
        if (!(o instanceof CdcConfig)) {
            return false;
        }
        CdcConfig c = (CdcConfig) o;
        return port == c.port && name.equals(c.name) && host.equals(c.host) && database.equals(c.database)
                && user.equals(c.user) && password.equals(c.password) && tables.equals(c.tables)
                && slotName.equals(c.slotName) && publicationName.equals(c.publicationName)
                && snapshotMode == c.snapshotMode && offsetStore.equals(c.offsetStore)
                && pollInterval.equals(c.pollInterval) && startTimeout.equals(c.startTimeout)
                && stopTimeout.equals(c.stopTimeout) && failurePolicy.equals(c.failurePolicy) && heartbeatInterval.equals(c.heartbeatInterval)
                && properties.equals(c.properties) && maxBatchSize == c.maxBatchSize && transactionBuffer == c.transactionBuffer
                && snapshotParallelism == c.snapshotParallelism && lanes == c.lanes && Objects.equals(threadFactory, c.threadFactory)
                && standby == c.standby && standbyPollInterval.equals(c.standbyPollInterval) && leaseTimeout.equals(c.leaseTimeout)
                && replicaName.equals(c.replicaName);
    }

    @Override
    public int hashCode() {
        return Objects.hash(name, host, port, database, user, tables, slotName, publicationName, snapshotMode, offsetStore);
    }

    /** Every setting but the password, and extra properties with secrets masked. */
    @Override
    public String toString() {
        return "CdcConfig[name=" + name + ", " + user + "@" + host + ":" + port + "/" + database
                + ", tables=" + tables + ", slot=" + slotName + ", publication=" + publicationName
                + ", snapshot=" + snapshotMode + " x" + snapshotParallelism + (lanes > 1 ? ", lanes=" + lanes : "")
                + (standby ? ", standby as " + replicaName + " (lease " + leaseTimeout + ", poll " + standbyPollInterval + ")" : "")
                + ", offsets=" + offsetStore + ", pollInterval=" + pollInterval
                + ", onListenerFailure=" + failurePolicy
                + ", properties=" + masked(properties) + "]";
    }

    /** Builds a {@link CdcConfig}; not thread-safe. */
    public static final class Builder {
        private String name = DEFAULT_NAME;
        private String host = DEFAULT_HOST;
        private int port = DEFAULT_PORT;
        private String database;
        private String user;
        private String password = "";
        private final Set<TableId> tables = new LinkedHashSet<>();
        private String slotName;
        private String publicationName;
        private SnapshotMode snapshotMode = DEFAULT_SNAPSHOT_MODE;
        private OffsetStore offsetStore = OffsetStore.memory();
        private Duration pollInterval = DEFAULT_POLL_INTERVAL;
        private Duration startTimeout = DEFAULT_START_TIMEOUT;
        private Duration stopTimeout = DEFAULT_STOP_TIMEOUT;
        private FailurePolicy failurePolicy = FailurePolicy.stop();
        private Duration heartbeatInterval = DEFAULT_HEARTBEAT_INTERVAL;
        private int maxBatchSize = DEFAULT_MAX_BATCH_SIZE;
        private int transactionBuffer = DEFAULT_TRANSACTION_BUFFER;
        private int snapshotParallelism = DEFAULT_SNAPSHOT_PARALLELISM;
        private int lanes = 1;
        private ThreadFactory threadFactory;
        private boolean standby;
        private Duration standbyPollInterval = DEFAULT_STANDBY_POLL_INTERVAL;
        private Duration leaseTimeout = DEFAULT_LEASE_TIMEOUT;
        private String replicaName = defaultReplicaName();
        private final Map<String, String> properties = new LinkedHashMap<>();

        private Builder() {
        }

        /** Engine name: letters, digits, {@code _ . -}; the default slot and publication names derive from it. */
        public Builder name(String name) {
            this.name = Objects.requireNonNull(name, "name");
            return this;
        }

        /** PostgreSQL host name or address. */
        public Builder host(String host) {
            this.host = Objects.requireNonNull(host, "host");
            return this;
        }

        /** PostgreSQL port. */
        public Builder port(int port) {
            this.port = port;
            return this;
        }

        /** Database to capture from (required). */
        public Builder database(String database) {
            this.database = Objects.requireNonNull(database, "database");
            return this;
        }

        /** User to connect as (required). */
        public Builder user(String user) {
            this.user = Objects.requireNonNull(user, "user");
            return this;
        }

        /** Password of the user; empty when the server does not ask for one. */
        public Builder password(String password) {
            this.password = Objects.requireNonNull(password, "password");
            return this;
        }

        /**
         * Sets the tables to capture, replacing any set before: each {@code schema.table}, or
         * {@code table} meaning {@code public.table}, as PostgreSQL stores the names (case-sensitive).
         */
        public Builder tables(String... tables) {
            this.tables.clear();
            for (String t : tables) {
                this.tables.add(TableId.parse(t));
            }
            return this;
        }

        /** Sets the tables to capture, replacing any set before. */
        public Builder tables(TableId... tables) {
            this.tables.clear();
            for (TableId t : tables) {
                this.tables.add(Objects.requireNonNull(t, "table"));
            }
            return this;
        }

        /** Replication slot name ({@code [a-z0-9_]}, at most 63); derived from the engine name by default. */
        public Builder slotName(String slotName) {
            this.slotName = Objects.requireNonNull(slotName, "slotName");
            return this;
        }

        /** Publication name (a lower-case SQL identifier); the slot name plus {@code _pub} by default. */
        public Builder publicationName(String publicationName) {
            this.publicationName = Objects.requireNonNull(publicationName, "publicationName");
            return this;
        }

        /** Whether to read existing rows first. */
        public Builder snapshotMode(SnapshotMode snapshotMode) {
            this.snapshotMode = Objects.requireNonNull(snapshotMode, "snapshotMode");
            return this;
        }

        /** Where offsets are kept. */
        public Builder offsetStore(OffsetStore offsetStore) {
            this.offsetStore = Objects.requireNonNull(offsetStore, "offsetStore");
            return this;
        }

        /** How often the delivery thread polls for changes: the floor of idle latency. */
        public Builder pollInterval(Duration pollInterval) {
            this.pollInterval = Objects.requireNonNull(pollInterval, "pollInterval");
            return this;
        }

        /** How long {@link CdcEngine#start()} may wait for the engine to stream. */
        public Builder startTimeout(Duration startTimeout) {
            this.startTimeout = Objects.requireNonNull(startTimeout, "startTimeout");
            return this;
        }

        /** How long {@link CdcEngine#close()} may wait for a graceful stop. */
        public Builder stopTimeout(Duration stopTimeout) {
            this.stopTimeout = Objects.requireNonNull(stopTimeout, "stopTimeout");
            return this;
        }

        /**
         * How often to advance the slot while the captured tables are idle (a transactional
         * {@code pg_logical_emit_message}, which needs the REPLICATION attribute the capture role has);
         * {@link Duration#ZERO} turns it off.
         */
        public Builder heartbeatInterval(Duration heartbeatInterval) {
            Objects.requireNonNull(heartbeatInterval, "heartbeatInterval");
            if (heartbeatInterval.isNegative()) {
                throw new IllegalArgumentException("heartbeatInterval must not be negative, not " + heartbeatInterval);
            }
            this.heartbeatInterval = heartbeatInterval;
            return this;
        }

        /** Most events in one batch for a {@link BatchListener}: at least 1. */
        public Builder maxBatchSize(int maxBatchSize) {
            if (maxBatchSize < 1) {
                throw new IllegalArgumentException("maxBatchSize must be at least 1, not " + maxBatchSize);
            }
            this.maxBatchSize = maxBatchSize;
            return this;
        }

        /** Most events of one transaction held until its commit LSN is known: at least 1; see {@link CdcConfig#transactionBuffer()}. */
        public Builder transactionBuffer(int transactionBuffer) {
            if (transactionBuffer < 1) {
                throw new IllegalArgumentException("transactionBuffer must be at least 1, not " + transactionBuffer);
            }
            this.transactionBuffer = transactionBuffer;
            return this;
        }

        /** Connections reading the snapshot at once: 1 to 64; see {@link CdcConfig#snapshotParallelism()}. */
        public Builder snapshotParallelism(int snapshotParallelism) {
            if (snapshotParallelism < 1 || snapshotParallelism > 64) {
                throw new IllegalArgumentException("snapshotParallelism must be between 1 and 64, not " + snapshotParallelism);
            }
            this.snapshotParallelism = snapshotParallelism;
            return this;
        }

        /** One of several replicas; see {@link CdcConfig#standby()}. */
        public Builder standby(boolean standby) {
            this.standby = standby;
            return this;
        }

        /** See {@link CdcConfig#standbyPollInterval()}: positive. */
        public Builder standbyPollInterval(Duration standbyPollInterval) {
            this.standbyPollInterval = Objects.requireNonNull(standbyPollInterval, "standbyPollInterval");
            return this;
        }

        /** See {@link CdcConfig#leaseTimeout()}: at least one second. */
        public Builder leaseTimeout(Duration leaseTimeout) {
            this.leaseTimeout = Objects.requireNonNull(leaseTimeout, "leaseTimeout");
            return this;
        }

        /** See {@link CdcConfig#replicaName()}: not blank. */
        public Builder replicaName(String replicaName) {
            this.replicaName = Objects.requireNonNull(replicaName, "replicaName");
            return this;
        }

        /** Threads running a ChangeListener's change callbacks: 1 to 256; see {@link CdcConfig#lanes()}. */
        public Builder lanes(int lanes) {
            if (lanes < 1 || lanes > 256) {
                throw new IllegalArgumentException("lanes must be between 1 and 256, not " + lanes);
            }
            this.lanes = lanes;
            return this;
        }

        /** Makes the delivery thread that runs the listener; see {@link CdcConfig#threadFactory()}. */
        public Builder threadFactory(ThreadFactory threadFactory) {
            this.threadFactory = Objects.requireNonNull(threadFactory, "threadFactory");
            return this;
        }

        /** What to do when a listener callback throws; {@link FailurePolicy#stop()} by default. */
        public Builder failurePolicy(FailurePolicy failurePolicy) {
            this.failurePolicy = Objects.requireNonNull(failurePolicy, "failurePolicy");
            return this;
        }

        /**
         * Sets any other Debezium connector or engine property, applied last. Settings that have their
         * own builder method (connection, tables, slot, publication, snapshot mode, offsets, poll
         * interval) must be set there.
         */
        public Builder property(String key, String value) {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
            if (key.isBlank()) {
                throw new IllegalArgumentException("property key must not be blank");
            }
            String method = OWNED_KEYS.get(key);
            if (method != null && method.startsWith("fixed: ")) {
                throw new IllegalArgumentException(key + " cannot be changed: " + method.substring("fixed: ".length()));
            }
            if (method != null) {
                throw new IllegalArgumentException("set " + key + " with " + method + ", not property()");
            }
            if (key.startsWith("snapshot.")) {
                throw new IllegalArgumentException(key + " has no effect: the engine reads the initial snapshot itself, not through"
                        + " Debezium's snapshot; see snapshotMode() and snapshotParallelism()");
            }
            properties.put(key, value);
            return this;
        }

        /** Validates and builds. */
        public CdcConfig build() {
            if (!NAME.matcher(name).matches()) {
                throw new IllegalArgumentException("name must be 1-200 letters, digits, '_', '.' or '-', not '" + name + "'");
            }
            if (host.isBlank()) {
                throw new IllegalArgumentException("host must not be blank");
            }
            if (port < 1 || port > 65535) {
                throw new IllegalArgumentException("port must be between 1 and 65535, not " + port);
            }
            if (database == null || database.isBlank()) {
                throw new IllegalArgumentException("database must be set");
            }
            if (user == null || user.isBlank()) {
                throw new IllegalArgumentException("user must be set");
            }
            if (tables.isEmpty()) {
                throw new IllegalArgumentException("tables must name at least one table to capture");
            }
            for (TableId t : tables) {
                if (t.schema().indexOf(',') >= 0 || t.name().indexOf(',') >= 0) {
                    throw new IllegalArgumentException("table names with ',' cannot be captured: Debezium splits its include list on commas");
                }
            }
            if (slotName != null && !SLOT.matcher(slotName).matches()) {
                throw new IllegalArgumentException("slotName must be 1-63 lower-case letters, digits or '_', not '" + slotName + "'");
            }
            if (publicationName != null && !IDENTIFIER.matcher(publicationName).matches()) {
                throw new IllegalArgumentException("publicationName must be a lower-case SQL identifier of at most 63 characters, not '"
                        + publicationName + "'");
            }
            requirePositive(pollInterval, "pollInterval");
            requirePositive(startTimeout, "startTimeout");
            requirePositive(stopTimeout, "stopTimeout");
            requirePositive(standbyPollInterval, "standbyPollInterval");
            if (leaseTimeout.compareTo(Duration.ofSeconds(1)) < 0) {
                throw new IllegalArgumentException("leaseTimeout must be at least 1 s (the leader renews every third of it), not "
                        + leaseTimeout);
            }
            if (replicaName.isBlank()) {
                throw new IllegalArgumentException("replicaName must not be blank");
            }
            if (standby && !(offsetStore instanceof OffsetStore.JdbcStore)) {
                throw new IllegalArgumentException("standby needs offsets every replica shares: OffsetStore.jdbc(...), not "
                        + offsetStore);
            }
            return new CdcConfig(this);
        }

        private static void requirePositive(Duration d, String what) {
            if (d.isNegative() || d.isZero()) {
                throw new IllegalArgumentException(what + " must be positive, not " + d);
            }
        }
    }
}
