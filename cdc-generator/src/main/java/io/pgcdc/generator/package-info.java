/**
 * Fake financial transactions for demos, tests and benchmarks: {@link io.pgcdc.generator.TransactionFaker}
 * makes them (seeded, reproducible), {@link io.pgcdc.generator.TransactionGenerator} writes a
 * {@link io.pgcdc.generator.Workload} of inserts, updates and deletes into PostgreSQL, fast or at a rate.
 *
 * <pre>{@code
 * TransactionGenerator generator = TransactionGenerator.builder()
 *         .jdbcUrl("jdbc:postgresql://localhost:5432/shop").user("app").password(secret)
 *         .build();
 * GeneratorReport report = generator.run(Workload.builder()
 *         .mix(70, 20, 10)            // percent inserts, updates (new amounts), deletes
 *         .count(10_000)              // or .duration(Duration.ofMinutes(1)), or neither: until stop()
 *         .rate(500)                  // changes per second; 0 = full speed
 *         .rowsPerTransaction(50)
 *         .seed(7)                    // same seed, same rows
 *         .build());
 * report.count(ChangeKind.UPDATE);    // what was committed, and report.ids(kind) which rows
 * }</pre>
 *
 * <p>Everything is non-null unless documented otherwise.
 */
package io.pgcdc.generator;
