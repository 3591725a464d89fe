/**
 * In-process change data capture for PostgreSQL: implement a {@link io.pgcdc.ChangeListener}, describe
 * what to capture in a {@link io.pgcdc.CdcConfig}, and run a {@link io.pgcdc.CdcEngine}.
 *
 * <pre>{@code
 * CdcConfig config = CdcConfig.builder()
 *         .host("localhost").port(5432).database("shop")
 *         .user("cdc").password(System.getenv("PGCDC_PASSWORD"))
 *         .tables("public.transactions")
 *         .offsetStore(OffsetStore.file(Path.of("offsets.dat")))   // resume where the last run stopped
 *         .build();
 *
 * ChangeListener listener = new ChangeListener() {
 *     @Override
 *     public void onInsert(ChangeEvent event) {
 *         Row row = event.after();
 *         BigDecimal amount = row.getDecimal("amount");        // every digit PostgreSQL stored
 *         cache.put(row.getString("transaction_id"), amount);
 *     }
 *
 *     @Override
 *     public void onDelete(ChangeEvent event) {
 *         cache.remove(event.key().getString("transaction_id"));
 *     }
 * };
 *
 * try (CdcEngine engine = CdcEngine.create(config, listener)) {
 *     engine.start();                  // throws CdcException saying what to fix if it cannot
 *     engine.awaitTermination(Duration.ofDays(1));
 * }                                    // close(): the callback in progress finishes, the offset is stored
 * }</pre>
 *
 * <p>Guarantees: events arrive in commit order, on one thread ({@code pgcdc-<name>}), between
 * {@link io.pgcdc.ChangeListener#onBegin} and {@link io.pgcdc.ChangeListener#onCommit} of their source
 * transaction; an event's offset is stored only after its callback returned, so a restart resumes right
 * after the last handled event. Every event has an {@link io.pgcdc.EventId} (its transaction's commit
 * LSN and its ordinal in it) that is the same on every delivery: use it to drop repeats. A callback that
 * throws stops the engine (or whatever {@link io.pgcdc.FailurePolicy} says) and its event is delivered
 * again on the next start. {@link io.pgcdc.BatchListener} takes whole transactions in batches instead.
 *
 * <p>Listeners are tested without a database: {@link io.pgcdc.Row#of}, {@link io.pgcdc.ChangeEvent#builder},
 * {@link io.pgcdc.LogicalMessage#of} and {@link io.pgcdc.ChangeBatch#of} build what the engine delivers.
 *
 * <p>Everything is non-null unless its documentation says otherwise ({@link io.pgcdc.ChangeEvent#before()},
 * {@link io.pgcdc.ChangeEvent#key()}, SQL {@code NULL} values read from a {@link io.pgcdc.Row}, ...).
 */
package io.pgcdc;
