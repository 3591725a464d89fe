/**
 * Runnable examples, one small main each, to read top to bottom and copy from: {@link io.pgcdc.examples.QuickStart}
 * (the demo), {@link io.pgcdc.examples.AuditTrail}, {@link io.pgcdc.examples.Tail} and
 * {@link io.pgcdc.examples.ConnectorRegistration}. Given no {@code --host}, each starts an embedded
 * PostgreSQL and applies {@code sql/}.
 */
package io.pgcdc.examples;
