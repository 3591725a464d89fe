package io.pgcdc;

/**
 * Receives committed changes in batches that end on transaction boundaries, for sinks that write many
 * rows in one statement or apply a source transaction atomically.
 *
 * <p>A batch holds whole transactions, in commit order, up to {@link CdcConfig#maxBatchSize()}
 * events; a transaction larger than that is split over several batches, and
 * {@link ChangeBatch#isTransactionComplete()} is false for all but its last. A batch is acknowledged (its
 * offsets may be stored) only when {@link #onBatch} returned normally; a throwing call is handled by
 * the failure policy like a throwing {@link ChangeListener} callback, for the whole batch.
 *
 * <p>Threading: called on the engine's delivery thread, one batch at a time.
 */
@FunctionalInterface
public interface BatchListener {

    /**
     * Handles one batch.
     *
     * @throws Exception to stop the engine (or whatever the failure policy says); the whole batch is
     *     then delivered again
     */
    void onBatch(ChangeBatch batch) throws Exception;
}
