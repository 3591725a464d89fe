package io.pgcdc.generator;

import static org.assertj.core.api.Assertions.assertThat;
import static org.assertj.core.api.Assertions.assertThatThrownBy;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import io.pgcdc.testkit.TestPostgres;
import java.math.BigDecimal;
import java.sql.Connection;
import java.sql.ResultSet;
import java.sql.SQLException;
import java.sql.Statement;
import java.time.Duration;
import java.time.Instant;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

@ExtendWith(PostgresExtension.class)
class TransactionGeneratorIT {

    private static TransactionGenerator generator(TestDatabase db) {
        return TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user()).password(db.password()).build();
    }

    @Test
    void countsPerOperationMatchWhatTheDatabaseHolds(TestDatabase db) throws Exception {
        GeneratorReport report = generator(db).run(Workload.builder().mix(60, 25, 15).count(5_000).rowsPerTransaction(100).seed(1).build());

        assertThat(report.total()).isEqualTo(5_000);
        assertThat(report.transactions()).isEqualTo(50);
        assertThat(report.count(ChangeKind.UPDATE)).isPositive();
        assertThat(report.count(ChangeKind.DELETE)).isPositive();
        Set<String> expected = new HashSet<>(report.ids(ChangeKind.INSERT));
        expected.removeAll(report.ids(ChangeKind.DELETE));
        assertThat(ids(db)).isEqualTo(expected);
        assertThat(db.queryLong("SELECT count(*) FROM transactions"))
                .isEqualTo(report.count(ChangeKind.INSERT) - report.count(ChangeKind.DELETE));
        // PostgreSQL's own counters for the table agree with the report, operation by operation.
        await().atMost(Duration.ofSeconds(20)).untilAsserted(() -> {
            assertThat(db.queryLong("SELECT n_tup_ins FROM pg_stat_user_tables WHERE relname = 'transactions'"))
                    .isEqualTo(report.count(ChangeKind.INSERT));
            assertThat(db.queryLong("SELECT n_tup_upd FROM pg_stat_user_tables WHERE relname = 'transactions'"))
                    .isEqualTo(report.count(ChangeKind.UPDATE));
            assertThat(db.queryLong("SELECT n_tup_del FROM pg_stat_user_tables WHERE relname = 'transactions'"))
                    .isEqualTo(report.count(ChangeKind.DELETE));
        });
    }

    @Test
    void storedValuesFollowTheFieldRules(TestDatabase db) throws Exception {
        generator(db).run(Workload.builder().mix(100, 0, 0).count(2_000).build());
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT transaction_id, amount, currency, payment_method, voucher_code, ip_address,"
                     + " user_id, city, country, merchant_name, affiliateid, \"timestamp\" FROM transactions")) {
            int rows = 0;
            while (rs.next()) {
                rows++;
                assertThat(rs.getString(1)).hasSize(36);
                assertThat(rs.getBigDecimal(2)).isBetween(new BigDecimal("10.00"), new BigDecimal("1000.00"));
                assertThat(rs.getBigDecimal(2).scale()).isEqualTo(2);
                assertThat(rs.getString(3)).isIn("USD", "GBP");
                assertThat(rs.getString(4)).isIn("credit_card", "debit_card", "online_transfer");
                assertThat(rs.getString(5)).isIn("", "DISCOUNT10", "SPRING20");
                assertThat(rs.getString(6)).matches("\\d{1,3}(\\.\\d{1,3}){3}");
                for (int col = 7; col <= 11; col++) {
                    assertThat(rs.getString(col)).isNotBlank();
                }
                assertThat(rs.getTimestamp(12)).isNotNull();
            }
            assertThat(rows).isEqualTo(2_000);
        }
    }

    @Test
    void theSameSeedWritesTheSameRowsWithEitherInsertMethod(TestPostgres pg) throws Exception {
        Workload.Builder workload = Workload.builder().mix(70, 20, 10).count(3_000).rowsPerTransaction(77).seed(2026)
                .timestamps(Instant.parse("2026-01-01T00:00:00Z"), Duration.ofDays(1));
        try (TestDatabase copy = pg.createDatabase("seed_copy"); TestDatabase batch = pg.createDatabase("seed_batch")) {
            GeneratorReport a = generator(copy).run(workload.insertMethod(Workload.InsertMethod.COPY).build());
            GeneratorReport b = generator(batch).run(workload.insertMethod(Workload.InsertMethod.BATCH).build());
            assertThat(b.ids(ChangeKind.INSERT)).isEqualTo(a.ids(ChangeKind.INSERT));
            assertThat(b.ids(ChangeKind.UPDATE)).isEqualTo(a.ids(ChangeKind.UPDATE));
            assertThat(b.ids(ChangeKind.DELETE)).isEqualTo(a.ids(ChangeKind.DELETE));
            assertThat(rows(batch)).isNotEmpty().isEqualTo(rows(copy));
        }
    }

    @Test
    void theRateLimitHoldsWithinTenPercent(TestDatabase db) {
        GeneratorReport report = generator(db).run(Workload.builder().rate(1_000).duration(Duration.ofSeconds(3))
                .rowsPerTransaction(20).build());
        assertThat(report.total()).isBetween(2_700L, 3_300L);
        assertThat(report.changesPerSecond()).isBetween(900.0, 1_100.0);
    }

    @Test
    void stopEndsTheRunAfterTheTransactionInProgress(TestDatabase db) throws Exception {
        TransactionGenerator generator = generator(db);
        CompletableFuture<GeneratorReport> run = CompletableFuture.supplyAsync(
                () -> generator.run(Workload.builder().rate(2_000).rowsPerTransaction(10).build()));
        // The generator creates the table on its own thread: until then the count fails, which is no answer yet.
        await().atMost(Duration.ofSeconds(20)).ignoreExceptions().until(() -> db.queryLong("SELECT count(*) FROM transactions") > 100);
        generator.stop();
        GeneratorReport report = run.get(20, TimeUnit.SECONDS);
        assertThat(db.queryLong("SELECT count(*) FROM transactions"))
                .isEqualTo(report.count(ChangeKind.INSERT) - report.count(ChangeKind.DELETE));
    }

    @Test
    void aTableOfAnotherShapeIsNamedWithEveryProblem(TestDatabase db) {
        db.execute("CREATE TABLE transactions (transaction_id int PRIMARY KEY, amount numeric, owner text NOT NULL)");
        assertThatThrownBy(() -> generator(db).run(Workload.builder().count(10).build()))
                .isInstanceOf(GeneratorException.class)
                .hasMessageStartingWith("table transactions does not have the shape the generator writes: ")
                .hasMessageContaining("column transaction_id is integer, expected")
                .hasMessageContaining("column user_id is missing")
                .hasMessageContaining("column owner is NOT NULL without a default");
        assertThat(db.queryLong("SELECT count(*) FROM transactions")).isZero();
    }

    @Test
    void aMissingTableIsAnErrorWhenCreationIsOff(TestDatabase db) {
        TransactionGenerator generator = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user())
                .password(db.password()).createTable(false).build();
        assertThatThrownBy(() -> generator.run(Workload.builder().count(10).build()))
                .hasMessageContaining("table transactions does not exist");
    }

    @Test
    void wrongPasswordSaysSoWithoutPrintingIt(TestDatabase db) {
        TransactionGenerator generator = TransactionGenerator.builder().jdbcUrl(db.jdbcUrl()).user(db.user())
                .password("not-it").build();
        assertThatThrownBy(() -> generator.run(Workload.builder().count(10).build()))
                .isInstanceOf(GeneratorException.class)
                .hasMessageStartingWith("authentication failed for user '" + db.user() + "'")
                .hasMessageNotContaining("not-it");
    }

    private static Set<String> ids(TestDatabase db) throws SQLException {
        Set<String> ids = new HashSet<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT transaction_id FROM transactions")) {
            while (rs.next()) {
                ids.add(rs.getString(1));
            }
        }
        return ids;
    }

    private static List<String> rows(TestDatabase db) throws SQLException {
        List<String> rows = new ArrayList<>();
        try (Connection c = db.connect(); Statement s = c.createStatement();
             ResultSet rs = s.executeQuery("SELECT t::text FROM transactions t ORDER BY transaction_id")) {
            while (rs.next()) {
                rows.add(rs.getString(1));
            }
        }
        return rows;
    }
}
