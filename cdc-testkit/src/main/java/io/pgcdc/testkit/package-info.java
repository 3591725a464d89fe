/**
 * A real PostgreSQL with logical decoding for tests and demos, started by the code that needs it.
 *
 * <pre>{@code
 * TestPostgres pg = TestPostgres.shared();              // embedded PostgreSQL 17 unless the environment names another
 * try (TestDatabase db = pg.createDatabase("orders")) {  // isolated; dropped with its slots on close
 *     db.execute("CREATE TABLE orders (id bigint primary key, total numeric)");
 *     // connect with db.host(), db.port(), db.name(), db.user(), db.password()
 * }
 * }</pre>
 *
 * <p>All parameters and return values are non-null unless documented otherwise.
 */
package io.pgcdc.testkit;
