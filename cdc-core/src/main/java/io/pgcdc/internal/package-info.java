/**
 * Debezium wiring behind {@link io.pgcdc.CdcEngine}: property translation, pre-start checks, the
 * engine driver. Not an API: anything here may change in any release.
 */
package io.pgcdc.internal;
