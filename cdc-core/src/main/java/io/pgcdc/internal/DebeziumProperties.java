package io.pgcdc.internal;

import io.pgcdc.CdcConfig;
import io.pgcdc.OffsetStore;
import io.pgcdc.TableId;
import java.util.Map;
import java.util.Properties;
import java.util.StringJoiner;
import java.util.TreeMap;
import java.util.stream.Collectors;

/** Translates a {@link CdcConfig} into the Debezium properties the engine runs with. */
public final class DebeziumProperties {

    /** Debezium's PostgreSQL connector. */
    public static final String CONNECTOR_CLASS = "io.debezium.connector.postgresql.PostgresConnector";
    /** Debezium's stand-in for values PostgreSQL did not send; a {@code unavailable.value.placeholder} property overrides it. */
    public static final String DEFAULT_UNAVAILABLE_PLACEHOLDER = "__debezium_unavailable_value";

    /** Prefix of the logical messages the heartbeat writes. */
    static final String HEARTBEAT_PREFIX = "pgcdc-heartbeat";

    static final String FILE_OFFSET_STORE = SafeFileOffsetStore.class.getName();
    static final String MEMORY_OFFSET_STORE = EngineMemoryOffsetStore.class.getName();

    private DebeziumProperties() {
    }

    /** Every property the engine runs with, defaults first and the user's extra properties last. */
    public static Properties of(CdcConfig config) {
        Properties p = new MaskedProperties();
        p.setProperty("name", config.name());
        p.setProperty("connector.class", CONNECTOR_CLASS);
        p.setProperty("topic.prefix", config.name());
        p.setProperty("database.hostname", config.host());
        p.setProperty("database.port", Integer.toString(config.port()));
        p.setProperty("database.user", config.user());
        p.setProperty("database.password", config.password());
        p.setProperty("database.dbname", config.database());
        p.setProperty("plugin.name", "pgoutput");
        p.setProperty("slot.name", config.slotName());
        p.setProperty("publication.name", config.publicationName());
        // filtered: the publication lists exactly the captured tables (all_tables needs superuser and
        // makes PostgreSQL reject UPDATE/DELETE on every table without a replica identity).
        p.setProperty("publication.autocreate.mode", "filtered");
        p.setProperty("table.include.list", tableIncludeList(config));
        p.setProperty("snapshot.mode", config.snapshotMode().debeziumName());
        // Every digit of numeric, and NaN/Infinity, survive as text; "precise" gives bytes and throws on NaN.
        p.setProperty("decimal.handling.mode", "string");
        // hstore as a map of text to text, as pgjdbc's getObject gives it (Debezium's default is JSON text).
        p.setProperty("hstore.handling.mode", "map");
        // interval as ISO-8601 text keeps years, months and days apart (the default counts a month as 30.4375 days).
        p.setProperty("interval.handling.mode", "string");
        // Types Debezium has no converter for (geometry, pg_lsn, tsquery, composites, ...) are kept instead of dropped.
        p.setProperty("include.unknown.datatypes", "true");
        // Debezium skips truncates by default; a listener has an onTruncate callback for them.
        p.setProperty("skipped.operations", "none");
        // Each field schema then names its PostgreSQL type: numeric (text in string mode) is told from text.
        p.setProperty("column.propagate.source.type", ".*");
        p.setProperty("poll.interval.ms", Long.toString(config.pollInterval().toMillis()));
        if (!config.heartbeatInterval().isZero()) {
            // Debezium's heartbeat alone re-sends the last offset, which does not move while the captured
            // tables are idle, so the slot keeps all WAL written elsewhere. A transactional logical message
            // is a transaction pgoutput sends: its commit moves the offset and the slot.
            p.setProperty("heartbeat.interval.ms", Long.toString(config.heartbeatInterval().toMillis()));
            p.setProperty("heartbeat.action.query", "SELECT pg_logical_emit_message(true, '" + HEARTBEAT_PREFIX + "', '')");
            if (!config.properties().containsKey("message.prefix.include.list")) {
                p.setProperty("message.prefix.exclude.list", HEARTBEAT_PREFIX);
            }
        }
        // A lost connection (walsender killed, PostgreSQL restarting) restarts the task after this wait, at
        // most this many times before the engine fails; Debezium retries every 10 s, forever, by default.
        p.setProperty("retriable.restart.connector.wait.ms", "1000");
        p.setProperty("errors.max.retries", "60");
        // The pre-start check fails at once on a slot in use; these cover a consumer that takes the slot
        // between that check and the stream start (Debezium: 6 tries, 10 s apart).
        p.setProperty("slot.max.retries", "3");
        p.setProperty("slot.retry.delay.ms", "2000");
        // Transaction END markers carry each transaction's commit LSN (Debezium drops the one in BEGIN), the
        // events their ordinal in it, and END tells when a group of changes sharing one LSN is complete.
        p.setProperty("provide.transaction.metadata", "true");
        // Flush offsets after every batch: after a crash at most one batch is delivered again.
        p.setProperty("offset.flush.interval.ms", "0");
        OffsetStore store = config.offsetStore();
        if (store instanceof OffsetStore.FileStore) {
            p.setProperty("offset.storage", FILE_OFFSET_STORE);
            p.setProperty("offset.storage.file.filename", ((OffsetStore.FileStore) store).file().toString());
        } else if (store instanceof OffsetStore.JdbcStore) {
            OffsetStore.JdbcStore jdbc = (OffsetStore.JdbcStore) store;
            p.setProperty("offset.storage", JdbcOffsetStore.class.getName());
            if (jdbc.dataSource() != null) {
                // The engine registers the DataSource under this id when it starts.
                p.setProperty(JdbcOffsetStore.DATA_SOURCE_PROPERTY, config.name());
            } else {
                p.setProperty(JdbcOffsetStore.URL_PROPERTY, jdbc.url());
                p.setProperty(JdbcOffsetStore.USER_PROPERTY, jdbc.user());
                p.setProperty(JdbcOffsetStore.PASSWORD_PROPERTY, jdbc.password());
            }
            p.setProperty(JdbcOffsetStore.TABLE_PROPERTY, jdbc.table());
            if (config.standby()) {
                p.setProperty(JdbcOffsetStore.STANDBY_PROPERTY, "true");
            }
        } else {
            p.setProperty("offset.storage", MEMORY_OFFSET_STORE);
            p.setProperty(EngineMemoryOffsetStore.ID_PROPERTY, config.name());
        }
        // Logical message contents as bytes, as pg_logical_emit_message wrote them.
        p.setProperty("binary.handling.mode", "bytes");
        config.properties().forEach(p::setProperty);
        // The engine's converter comes first; converters the application names run after it on other columns.
        String converters = config.properties().get("converters");
        p.setProperty("converters", converters == null || converters.isBlank() ? PgTextConverter.NAME
                : PgTextConverter.NAME + "," + converters);
        p.setProperty(PgTextConverter.NAME + ".type", PgTextConverter.class.getName());
        p.setProperty(PgTextConverter.NAME + "." + PgTextConverter.PLACEHOLDER_PROPERTY,
                p.getProperty("unavailable.value.placeholder", DEFAULT_UNAVAILABLE_PLACEHOLDER));
        return p;
    }

    /** Debezium matches include lists as anchored regular expressions: quote every metacharacter. */
    static String tableIncludeList(CdcConfig config) {
        StringJoiner joiner = new StringJoiner(",");
        for (TableId t : config.tables()) {
            joiner.add(regexQuote(t.schema()) + "\\." + regexQuote(t.name()));
        }
        return joiner.toString();
    }

    private static String regexQuote(String s) {
        StringBuilder sb = new StringBuilder(s.length() + 8);
        for (char c : s.toCharArray()) {
            if ("\\^$.|?*+()[]{}".indexOf(c) >= 0) {
                sb.append('\\');
            }
            sb.append(c);
        }
        return sb.toString();
    }

    /** A printable form of properties with secrets masked by key name and inside URLs. */
    public static String masked(Map<?, ?> properties) {
        return new TreeMap<>(properties.entrySet().stream().collect(Collectors.toMap(
                e -> String.valueOf(e.getKey()), e -> CdcConfig.maskSecret(String.valueOf(e.getKey()), String.valueOf(e.getValue())))))
                .toString();
    }

    /** {@code Properties} whose {@code toString} masks secrets; everything else as usual. */
    private static final class MaskedProperties extends Properties {
        private static final long serialVersionUID = 1L;

        @Override
        public synchronized String toString() {
            return masked(this);
        }
    }
}
