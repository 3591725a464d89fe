/** Server providers behind {@link io.pgcdc.testkit.TestPostgres}; not an API. */
package io.pgcdc.testkit.internal;
