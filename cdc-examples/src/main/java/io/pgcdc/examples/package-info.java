/**
 * Runnable examples, one small main each, to read top to bottom and copy from: {@link io.pgcdc.examples.QuickStart}
 * (the demo), {@link io.pgcdc.examples.AuditTrail}, {@link io.pgcdc.examples.Tail} and
 * {@link io.pgcdc.examples.ConnectorRegistration}. Given no server ({@code --url} or {@code --host}), each
 * starts an embedded PostgreSQL and applies {@code sql/}. Exit codes: 0 done, also after Ctrl-C or SIGTERM
 * stopped a running example; 1 failed, with one line on stderr saying why; 2 bad options.
 */
package io.pgcdc.examples;
