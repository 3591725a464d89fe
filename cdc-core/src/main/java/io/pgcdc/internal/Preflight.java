package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcException;
import io.pgcdc.FailureReason;
import io.pgcdc.Lsn;
import io.pgcdc.SnapshotMode;
import io.pgcdc.TableId;
import java.net.ConnectException;
import java.net.NoRouteToHostException;
import java.net.SocketTimeoutException;
import java.net.UnknownHostException;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Objects;
import java.util.OptionalLong;
import java.util.Properties;
import java.util.regex.Pattern;
import org.apache.kafka.common.config.ConfigException;
import org.apache.kafka.connect.errors.RetriableException;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

/**
 * Checks, over one ordinary JDBC connection and before Debezium starts, everything that would otherwise
 * fail late, retry for a minute, or fail with a message that does not say what to do.
 */
public final class Preflight {

    private static final Logger LOG = LoggerFactory.getLogger(Preflight.class);
    private static final int CONNECT_TIMEOUT_SECONDS = 10;

    // PostgreSQL's and Debezium's messages, for the failures that have no SQL state or exception type of their own.
    private static final Pattern RETRIES_FAILED = pattern("too many errors connecting to server");
    private static final Pattern SLOT_LOST = pattern("can no longer (get changes from|access) replication slot"
            + "|slot has been invalidated|requested wal segment .* has already been removed");
    private static final Pattern SLOT_IN_USE = pattern("replication slot .* is active");
    private static final Pattern WAL_LEVEL = pattern("requires \"?wal_level|wal_level property must be");
    private static final Pattern PERMISSION = pattern("permission denied|must be superuser|must be owner of");
    private static final Pattern CONFIGURATION = pattern("invalid configuration|configuration is not valid"
            + "|a connector configuration must be specified|failed to instantiate required class|mandatory configuration option");
    private static final Pattern PUBLICATION = pattern("publication");

    private final CdcConfig config;
    private final OptionalLong storedPosition;

    private Preflight(CdcConfig config, OptionalLong storedPosition) {
        this.config = config;
        this.storedPosition = storedPosition;
    }

    /**
     * Runs every check, and checks that the slot still holds the WAL from {@code storedPosition} on, the
     * position the engine's stored offsets resume streaming from ({@link OffsetChecks#prepare}).
     *
     * @throws CdcException naming the first problem found and its fix
     */
    public static void check(CdcConfig config, OptionalLong storedPosition) {
        new Preflight(config, storedPosition).run();
    }

    /**
     * The checks a standby can make while another replica streams: the server, the role, the tables and the
     * publication, not the slot (the leader holds it; it is checked when this replica takes over).
     *
     * @throws CdcException naming the first problem found and its fix
     */
    public static void checkStandby(CdcConfig config) {
        new Preflight(config, OptionalLong.empty()).run(false);
    }

    private void run() {
        run(true);
    }

    private void run(boolean slot) {
        try (Connection c = connect()) {
            checkWalLevel(c);
            checkRole(c);
            checkTables(c);
            checkPublication(c);
            if (slot) {
                checkSlot(c);
            }
        } catch (SQLException e) {
            throw new CdcException(reasonOf(e), "checking PostgreSQL at " + where() + " failed: " + e.getMessage(), e);
        }
    }

    private String where() {
        return config.host() + ":" + config.port() + "/" + config.database();
    }

    /** JDBC properties for the checks: the engine's connection settings, TLS ones included. */
    private Properties jdbcProperties() {
        return jdbcProperties(config, "preflight");
    }

    /** JDBC properties with the engine's connection settings, TLS ones included; {@code purpose} names the session. */
    static Properties jdbcProperties(CdcConfig config, String purpose) {
        Properties props = new Properties();
        props.setProperty("user", config.user());
        props.setProperty("password", config.password());
        props.setProperty("connectTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        props.setProperty("loginTimeout", Integer.toString(CONNECT_TIMEOUT_SECONDS));
        props.setProperty("ApplicationName", "pgcdc " + config.name() + " " + purpose);
        for (Map.Entry<String, String> e : config.properties().entrySet()) {
            if (e.getKey().startsWith("database.ssl")) {
                props.setProperty(e.getKey().substring("database.".length()), e.getValue());
            }
        }
        return props;
    }

    /** The engine's database as a JDBC URL. */
    static String url(CdcConfig config) {
        return "jdbc:postgresql://" + hostForUrl(config.host()) + ":" + config.port() + "/" + urlEncode(config.database());
    }

    /**
     * Opens an ordinary JDBC connection with the engine's settings; the caller closes it.
     *
     * @throws CdcException describing why it cannot connect
     */
    public static Connection openConnection(CdcConfig config) {
        return new Preflight(config, OptionalLong.empty()).connect();
    }

    private Connection connect() {
        try {
            return DriverManager.getConnection(url(config), jdbcProperties());
        } catch (SQLException e) {
            throw connectionError(e);
        }
    }

    private static String hostForUrl(String host) {
        return host.indexOf(':') >= 0 && !host.startsWith("[") ? "[" + host + "]" : host;
    }

    private static String urlEncode(String s) {
        return java.net.URLEncoder.encode(s, java.nio.charset.StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Describes why Debezium stopped: connection and authentication errors as {@link #check} would,
     * anything else with Debezium's message and the root cause. The reason comes from the SQL states,
     * exception types and PostgreSQL's or Debezium's messages in the error's causes.
     */
    public static CdcException describeFailure(CdcConfig config, String message, Throwable error) {
        String text = message == null || message.isBlank() ? "Debezium stopped with an error" : message;
        List<Throwable> chain = causes(error);
        // Debezium throws a RetriableException for a lost connection; it reaches here once errors.max.retries ran out.
        boolean retriesExhausted = chain.stream().anyMatch(t -> t instanceof RetriableException)
                || matches(RETRIES_FAILED, text, chain);
        for (Throwable t : chain) {
            if (t instanceof SQLException sql && sql.getSQLState() != null
                    && (sql.getSQLState().startsWith("28") || sql.getSQLState().startsWith("08"))) {
                CdcException described = new Preflight(config, OptionalLong.empty()).connectionError(sql);
                return retriesExhausted && described.reason() == FailureReason.UNREACHABLE
                        ? new CdcException(FailureReason.CONNECTION_LOST, described.getMessage(), sql) : described;
            }
        }
        FailureReason reason = debeziumFailureReason(text, chain, retriesExhausted);
        if (error == null) {
            return new CdcException(reason, "engine '" + config.name() + "' failed: " + text);
        }
        Throwable root = rootCause(error);
        return new CdcException(reason, "engine '" + config.name() + "' failed: " + text + " (" + root + ")", error);
    }

    /** The reason for a Debezium failure that is neither an authentication nor a connection error of the driver. */
    private static FailureReason debeziumFailureReason(String text, List<Throwable> chain, boolean retriesExhausted) {
        List<String> states = chain.stream().filter(t -> t instanceof SQLException).map(t -> ((SQLException) t).getSQLState())
                .filter(Objects::nonNull).toList();
        if (matches(SLOT_LOST, text, chain)) {
            return FailureReason.SLOT_LOST;
        }
        if (states.contains("55006") || matches(SLOT_IN_USE, text, chain)) {
            return FailureReason.SLOT_IN_USE;
        }
        if (matches(WAL_LEVEL, text, chain)) {
            return FailureReason.WAL_LEVEL;
        }
        if (states.contains("42501") || matches(PERMISSION, text, chain)) {
            return FailureReason.PERMISSION;
        }
        if (states.contains("42P01")) {
            return FailureReason.MISSING_TABLE;
        }
        if (chain.stream().anyMatch(t -> t instanceof ConfigException) || matches(CONFIGURATION, text, chain)) {
            return FailureReason.CONFIGURATION;
        }
        if (retriesExhausted || states.stream().anyMatch(s -> s.startsWith("57P"))) {
            return FailureReason.CONNECTION_LOST;
        }
        if (matches(PUBLICATION, text, chain)) {
            return FailureReason.PUBLICATION;
        }
        if (chain.stream().anyMatch(t -> t instanceof InterruptedException)) {
            return FailureReason.INTERRUPTED;
        }
        return FailureReason.INTERNAL;
    }

    private static Pattern pattern(String regex) {
        return Pattern.compile(regex, Pattern.CASE_INSENSITIVE | Pattern.DOTALL);
    }

    /** Whether Debezium's message or the message of any error in the chain contains the pattern. */
    private static boolean matches(Pattern pattern, String text, List<Throwable> chain) {
        return pattern.matcher(text).find()
                || chain.stream().anyMatch(t -> t.getMessage() != null && pattern.matcher(t.getMessage()).find());
    }

    /** The error and its causes, outermost first; empty for null, bounded against cause cycles. */
    private static List<Throwable> causes(Throwable error) {
        List<Throwable> chain = new ArrayList<>();
        for (Throwable t = error; t != null && chain.size() < 64 && !chain.contains(t); t = t.getCause()) {
            chain.add(t);
        }
        return chain;
    }

    /**
     * The reason an error on an ordinary JDBC connection to PostgreSQL stands for, from its SQL state;
     * {@link FailureReason#INTERNAL} when the state says nothing more precise.
     */
    public static FailureReason reasonOf(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        if (state.startsWith("28")) {
            return FailureReason.AUTHENTICATION;
        }
        // 53300: too many connections; 57P01-57P03: the server is shutting down, crashed or still starting.
        if (state.startsWith("08") || state.equals("53300") || state.startsWith("57P")) {
            return FailureReason.UNREACHABLE;
        }
        if (state.equals("3D000")) {
            return FailureReason.CONFIGURATION;
        }
        if (state.equals("42501")) {
            return FailureReason.PERMISSION;
        }
        return FailureReason.INTERNAL;
    }

    /** Maps a failed connection attempt to what the user should check. */
    CdcException connectionError(SQLException e) {
        String state = e.getSQLState() == null ? "" : e.getSQLState();
        String server = config.host() + ":" + config.port();
        if (state.startsWith("28")) {
            return new CdcException(FailureReason.AUTHENTICATION,
                    "authentication failed for user '" + config.user() + "' at " + server + " (" + e.getMessage()
                    + "); check the user and password, and that pg_hba.conf allows this user from this host", e);
        }
        if (state.equals("3D000")) {
            return new CdcException(FailureReason.CONFIGURATION, "database '" + config.database() + "' does not exist at " + server
                    + "; check the database name (CREATE DATABASE to make it)", e);
        }
        Throwable cause = rootCause(e);
        if (cause instanceof UnknownHostException) {
            return new CdcException(FailureReason.UNREACHABLE, "cannot resolve host '" + config.host() + "'; check the host name", e);
        }
        if (cause instanceof ConnectException || cause instanceof NoRouteToHostException) {
            return new CdcException(FailureReason.UNREACHABLE,
                    "cannot connect to PostgreSQL at " + server + " (" + cause.getMessage()
                    + "); check host and port, and that PostgreSQL is running and listens there (listen_addresses)", e);
        }
        if (cause instanceof SocketTimeoutException) {
            return new CdcException(FailureReason.UNREACHABLE,
                    "connecting to PostgreSQL at " + server + " timed out after " + CONNECT_TIMEOUT_SECONDS
                    + " s; check host, port and firewalls", e);
        }
        // Whatever else stops a connection attempt (TLS, too many clients, a server shutting down) is still "cannot connect".
        FailureReason reason = reasonOf(e);
        return new CdcException(reason == FailureReason.INTERNAL ? FailureReason.UNREACHABLE : reason,
                "cannot connect to PostgreSQL at " + server + " as '" + config.user() + "': " + e.getMessage(), e);
    }

    private static Throwable rootCause(Throwable t) {
        Throwable c = t;
        while (c.getCause() != null && c.getCause() != c) {
            c = c.getCause();
        }
        return c;
    }

    private void checkWalLevel(Connection c) throws SQLException {
        String walLevel = queryString(c, "SHOW wal_level");
        if (!"logical".equals(walLevel)) {
            throw new CdcException(FailureReason.WAL_LEVEL,
                    "wal_level is '" + walLevel + "' at " + config.host() + ":" + config.port()
                    + "; logical decoding needs wal_level=logical (ALTER SYSTEM SET wal_level = logical; then restart PostgreSQL)");
        }
    }

    private void checkRole(Connection c) throws SQLException {
        try (Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT rolsuper, rolreplication FROM pg_roles WHERE rolname = current_user")) {
            if (rs.next() && !rs.getBoolean(1) && !rs.getBoolean(2)) {
                throw new CdcException(FailureReason.PERMISSION,
                        "user '" + config.user() + "' may not use logical replication; grant it with"
                        + " ALTER ROLE " + quoteIdent(config.user()) + " REPLICATION");
            }
        }
    }

    private void checkTables(Connection c) throws SQLException {
        List<String> missing = new ArrayList<>();
        String sql = "SELECT c.relkind, c.relreplident,"
                + " EXISTS (SELECT 1 FROM pg_index i WHERE i.indrelid = c.oid AND i.indisprimary),"
                + " has_table_privilege(c.oid, 'SELECT')"
                + " FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace WHERE n.nspname = ? AND c.relname = ?";
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            for (TableId table : config.tables()) {
                ps.setString(1, table.schema());
                ps.setString(2, table.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (!rs.next()) {
                        missing.add(table.toString());
                        continue;
                    }
                    String kind = rs.getString(1);
                    if (!"r".equals(kind) && !"p".equals(kind)) {
                        throw new CdcException(FailureReason.MISSING_TABLE,
                                table + " is not a table (relkind '" + kind + "'); only tables can be captured");
                    }
                    String identity = rs.getString(2);
                    boolean hasPrimaryKey = rs.getBoolean(3);
                    if ("n".equals(identity) || ("d".equals(identity) && !hasPrimaryKey)) {
                        throw new CdcException(FailureReason.NO_REPLICA_IDENTITY,
                                "table " + table + " has no primary key and no usable replica identity: once it is"
                                + " published, PostgreSQL rejects its UPDATEs and DELETEs; add a primary key, or run"
                                + " ALTER TABLE " + quoteIdent(table.schema()) + "." + quoteIdent(table.name()) + " REPLICA IDENTITY FULL");
                    }
                    if ("d".equals(identity)) {
                        LOG.info("{} has REPLICA IDENTITY DEFAULT: update events carry no before image and delete events only"
                                + " the key; ALTER TABLE ... REPLICA IDENTITY FULL for whole before images", table);
                    }
                    if (!rs.getBoolean(4) && config.snapshotMode() != SnapshotMode.NONE) {
                        throw new CdcException(FailureReason.PERMISSION,
                                "user '" + config.user() + "' may not read " + table + ", which the snapshot needs;"
                                + " GRANT SELECT ON " + quoteIdent(table.schema()) + "." + quoteIdent(table.name()) + " TO "
                                + quoteIdent(config.user()));
                    }
                }
            }
        }
        if (!missing.isEmpty()) {
            throw new CdcException(FailureReason.MISSING_TABLE,
                    "captured table" + (missing.size() > 1 ? "s " : " ") + String.join(", ", missing)
                    + (missing.size() > 1 ? " do" : " does") + " not exist in database '" + config.database()
                    + "'; create " + (missing.size() > 1 ? "them" : "it") + " or remove " + (missing.size() > 1 ? "them" : "it")
                    + " from tables (names are case-sensitive: schema.table as PostgreSQL stores them)");
        }
    }

    /**
     * With a publication the engine may not create or alter ({@code publication.autocreate.mode=disabled}),
     * it must exist and publish every captured table; otherwise the user must be able to create it.
     */
    private void checkPublication(Connection c) throws SQLException {
        String publication = config.publicationName();
        String mode = config.properties().getOrDefault("publication.autocreate.mode", "filtered");
        boolean exists;
        try (PreparedStatement ps = c.prepareStatement("SELECT count(*) FROM pg_publication WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                rs.next();
                exists = rs.getLong(1) > 0;
            }
        }
        List<String> unpublished = new ArrayList<>();
        if (exists) {
            try (PreparedStatement ps = c.prepareStatement(
                    "SELECT 1 FROM pg_publication_tables WHERE pubname = ? AND schemaname = ? AND tablename = ?")) {
                for (TableId table : config.tables()) {
                    ps.setString(1, publication);
                    ps.setString(2, table.schema());
                    ps.setString(3, table.name());
                    try (ResultSet rs = ps.executeQuery()) {
                        if (!rs.next()) {
                            unpublished.add(table.toString());
                        }
                    }
                }
            }
        }
        if (exists) {
            warnAboutExtraTables(c, publication);
        }
        String tableList = config.tables().stream().map(t -> quoteIdent(t.schema()) + "." + quoteIdent(t.name()))
                .collect(java.util.stream.Collectors.joining(", "));
        if ("disabled".equals(mode)) {
            if (!exists) {
                throw new CdcException(FailureReason.PUBLICATION,
                        "publication '" + publication + "' does not exist and publication.autocreate.mode is disabled;"
                        + " create it as the tables' owner: CREATE PUBLICATION " + quoteIdent(publication) + " FOR TABLE " + tableList);
            }
            if (!unpublished.isEmpty()) {
                throw new CdcException(FailureReason.PUBLICATION,
                        "publication '" + publication + "' does not publish " + String.join(", ", unpublished)
                        + ", so its changes would never arrive; ALTER PUBLICATION " + quoteIdent(publication) + " ADD TABLE "
                        + String.join(", ", unpublished));
            }
            return;
        }
        if (exists && unpublished.isEmpty()) {
            return;
        }
        // Debezium will create or alter the publication: only a superuser or the tables' owner may.
        List<String> notOwned = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT r.rolsuper OR pg_has_role(current_user, cl.relowner, 'USAGE')"
                + " FROM pg_class cl JOIN pg_namespace n ON n.oid = cl.relnamespace, pg_roles r"
                + " WHERE n.nspname = ? AND cl.relname = ? AND r.rolname = current_user")) {
            for (TableId table : config.tables()) {
                ps.setString(1, table.schema());
                ps.setString(2, table.name());
                try (ResultSet rs = ps.executeQuery()) {
                    if (rs.next() && !rs.getBoolean(1)) {
                        notOwned.add(table.toString());
                    }
                }
            }
        }
        if (!notOwned.isEmpty()) {
            throw new CdcException(FailureReason.PERMISSION,
                    "user '" + config.user() + "' cannot " + (exists ? "alter" : "create") + " publication '" + publication
                    + "' for " + String.join(", ", notOwned) + " (only the owner or a superuser may); as the owner run "
                    + (exists ? "ALTER PUBLICATION " + quoteIdent(publication) + " ADD TABLE " + String.join(", ", unpublished)
                    : "CREATE PUBLICATION " + quoteIdent(publication) + " FOR TABLE " + tableList)
                    + ", and set property(\"publication.autocreate.mode\", \"disabled\")");
        }
    }

    /** Tables the publication sends but the engine does not capture cost decoding and WAL reading for nothing. */
    private void warnAboutExtraTables(Connection c, String publication) throws SQLException {
        List<String> extra = new ArrayList<>();
        try (PreparedStatement ps = c.prepareStatement("SELECT schemaname, tablename FROM pg_publication_tables WHERE pubname = ?")) {
            ps.setString(1, publication);
            try (ResultSet rs = ps.executeQuery()) {
                while (rs.next()) {
                    TableId t = new TableId(rs.getString(1), rs.getString(2));
                    if (!config.tables().contains(t)) {
                        extra.add(t.toString());
                    }
                }
            }
        }
        if (!extra.isEmpty()) {
            LOG.warn("publication '{}' also publishes {}, which this engine does not capture: PostgreSQL decodes and sends their"
                    + " changes for nothing; remove them (ALTER PUBLICATION ... DROP TABLE) or give this engine its own publication",
                    publication, extra);
        }
    }

    private void checkSlot(Connection c) throws SQLException {
        // to_jsonb keeps the query valid on versions without wal_status (before PostgreSQL 13).
        String sql = "SELECT s.plugin, s.database, s.active, s.active_pid, to_jsonb(s) ->> 'wal_status',"
                + " (SELECT a.application_name || ' from ' || coalesce(host(a.client_addr), 'local socket')"
                + "    FROM pg_stat_activity a WHERE a.pid = s.active_pid),"
                + " s.restart_lsn::text"
                + " FROM pg_replication_slots s WHERE s.slot_name = ?";
        boolean resumes = storedPosition.isPresent() && config.snapshotMode() != SnapshotMode.ALWAYS;
        try (PreparedStatement ps = c.prepareStatement(sql)) {
            ps.setString(1, config.slotName());
            try (ResultSet rs = ps.executeQuery()) {
                if (!rs.next()) {
                    if (resumes) {
                        throw new CdcException(FailureReason.SLOT_LOST, "replication slot '" + config.slotName()
                                + "' does not exist, but engine '" + config.name() + "' has offsets that resume from it at LSN "
                                + Lsn.of(storedPosition.getAsLong()) + ": the changes since then are lost to this engine; " + resynchronise());
                    }
                    LOG.info("replication slot '{}' does not exist yet; it will be created", config.slotName());
                    return;
                }
                String slot = config.slotName();
                String plugin = rs.getString(1);
                String database = rs.getString(2);
                if (!"pgoutput".equals(plugin)) {
                    throw new CdcException(FailureReason.CONFIGURATION,
                            "replication slot '" + slot + "' uses the '" + plugin + "' plugin, not pgoutput; drop it"
                            + " (SELECT pg_drop_replication_slot('" + slot + "')) or give this engine another slotName");
                }
                if (!config.database().equals(database)) {
                    throw new CdcException(FailureReason.CONFIGURATION,
                            "replication slot '" + slot + "' belongs to database '" + database + "', not '"
                            + config.database() + "'; give this engine another slotName");
                }
                if (rs.getBoolean(3)) {
                    String holder = rs.getString(6);
                    throw new CdcException(FailureReason.SLOT_IN_USE,
                            "replication slot '" + slot + "' is in use by another consumer (pid " + rs.getInt(4)
                            + (holder == null ? "" : ", " + holder) + "); stop that consumer, or give this engine another slotName");
                }
                if ("lost".equals(rs.getString(5))) {
                    throw new CdcException(FailureReason.SLOT_LOST,
                            "replication slot '" + slot + "' is lost: PostgreSQL removed WAL it still needed"
                            + " (max_slot_wal_keep_size), so changes are missing; drop the slot (SELECT pg_drop_replication_slot('"
                            + slot + "')) and start again with a snapshot to resynchronise");
                }
                String restart = rs.getString(7);
                if (resumes && restart != null && Lsn.parse(restart).asLong() > storedPosition.getAsLong()) {
                    // What Debezium's own check (restart_lsn after the stored position) would find.
                    throw new CdcException(FailureReason.SLOT_LOST, "replication slot '" + slot + "' starts at LSN " + restart
                            + ", after the position engine '" + config.name() + "' resumes from (" + Lsn.of(storedPosition.getAsLong())
                            + "): the slot was recreated or advanced by someone else, and the changes in between are lost to this"
                            + " engine; " + resynchronise());
                }
            }
        }
    }

    /** What to do when the stored offsets resume from WAL the slot no longer holds. */
    private String resynchronise() {
        return "to resynchronise, delete the engine's stored offsets (" + config.offsetStore() + ") and start with SnapshotMode.INITIAL";
    }

    private static String queryString(Connection c, String sql) throws SQLException {
        try (Statement s = c.createStatement(); ResultSet rs = s.executeQuery(sql)) {
            rs.next();
            return rs.getString(1);
        }
    }

    /** Quotes an identifier for a hint the user copies; never used to run SQL. */
    static String quoteIdent(String identifier) {
        return identifier.matches("[a-z_][a-z0-9_]*") ? identifier : "\"" + identifier.replace("\"", "\"\"") + "\"";
    }
}
