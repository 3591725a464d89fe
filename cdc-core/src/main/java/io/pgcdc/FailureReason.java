package io.pgcdc;

/**
 * Why a {@link CdcException} was thrown, so that a caller can decide what to do (alert, fix the setup,
 * retry later) without parsing the message. The message still says what happened and how to fix it.
 */
public enum FailureReason {

    /** PostgreSQL rejected the user or password, or pg_hba.conf refused them; fix the credentials, a retry will not help. */
    AUTHENTICATION,

    /** The server could not be reached: unknown host, refused or timed-out connection; check host and port, then retry. */
    UNREACHABLE,

    /** The server's {@code wal_level} is not {@code logical}; set it and restart PostgreSQL. */
    WAL_LEVEL,

    /** A captured table does not exist, or is a view or another relation that is not a table; create it or fix the table list. */
    MISSING_TABLE,

    /** Another consumer holds the replication slot; stop it, retry once it is gone, or use another slot name. */
    SLOT_IN_USE,

    /** PostgreSQL removed WAL the slot still needed, so changes are missing; drop the slot and resynchronise with a snapshot. */
    SLOT_LOST,

    /** The stored offsets cannot be read; restore them from a backup, or move them away to start over deliberately. */
    CORRUPT_OFFSETS,

    /** A publication the engine may not create is missing or does not publish every captured table; create or alter it. */
    PUBLICATION,

    /** The role lacks a privilege: REPLICATION, SELECT on a captured table, or ownership to create the publication; grant it. */
    PERMISSION,

    /** A captured table has no primary key and no usable replica identity; add a primary key or set REPLICA IDENTITY FULL. */
    NO_REPLICA_IDENTITY,

    /** The configuration cannot work (a property Debezium rejects, a missing database, a foreign slot); fix it, a retry will not help. */
    CONFIGURATION,

    /** A listener callback threw (a {@link ListenerException}); fix the listener or what it writes to, then start again to redeliver. */
    LISTENER,

    /** The stream was lost and reconnecting failed until the retries ran out; start again once PostgreSQL is reachable. */
    CONNECTION_LOST,

    /** Starting or stopping did not finish in time; look for what blocked it (long transactions, a blocked listener) or raise the timeout. */
    TIMEOUT,

    /** The thread was interrupted, or the engine closed, while it waited; usually the application is shutting down. */
    INTERRUPTED,

    /**
     * Standby mode: another replica took the engine over (this one stalled past its lease, or its stream was seen
     * gone); this one stored nothing after that and delivers nothing more. Start a new engine to stand by again.
     */
    LEADERSHIP_LOST,

    /** Anything else: an unexpected Debezium or driver error, or a bug in this library; report it with the message and cause. */
    INTERNAL
}
