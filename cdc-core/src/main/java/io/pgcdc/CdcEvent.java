package io.pgcdc;

/**
 * What a {@link ChangeBatch} holds: a row change ({@link ChangeEvent}) or a logical decoding message
 * ({@link LogicalMessage}). Switch on the type, or read the batch's typed views.
 */
public sealed interface CdcEvent permits ChangeEvent, LogicalMessage {

    /** The event's identity; see {@link EventId}. */
    EventId id();
}
