package io.pgcdc;

import static org.assertj.core.api.Assertions.assertThat;
import static org.awaitility.Awaitility.await;

import io.pgcdc.testkit.PostgresExtension;
import io.pgcdc.testkit.TestDatabase;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.extension.ExtendWith;

/**
 * The README's listener example, compiled and run here; a second test keeps the README's copy
 * identical to the lines between the markers below.
 */
@ExtendWith(PostgresExtension.class)
class ReadmeExampleIT {

    private static final Path SELF = Path.of("src", "test", "java", "io", "pgcdc", "ReadmeExampleIT.java");

    private TestDatabase db;
    private final ByteArrayOutputStream captured = new ByteArrayOutputStream();

    @Test
    void theReadmeListenerPrintsPaymentsAndDeletions(TestDatabase db) throws Exception {
        this.db = db;
        TestConfigs.createTransactions(db);
        CdcConfig config = TestConfigs.transactions(db).build();
        PrintStream original = System.out;
        System.setOut(new PrintStream(captured, true, StandardCharsets.UTF_8));
        try {
            example(config);
        } finally {
            System.setOut(original);
        }
        assertThat(captured.toString(StandardCharsets.UTF_8).lines().filter(l -> !l.matches("^\\d{2}:\\d{2}:\\d{2}\\.\\d{3} .*")))
                .containsExactly("paid 12.50 USD by alice", "deleted tx-1");
    }

    private void example(CdcConfig config) throws Exception {
        // README:listener:begin
        ChangeListener listener = new ChangeListener() {
            @Override
            public void onInsert(ChangeEvent event) {
                Row row = event.after();
                System.out.println("paid " + row.getDecimal("amount") + " " + row.getString("currency")
                        + " by " + row.getString("user_id"));
            }

            @Override
            public void onDelete(ChangeEvent event) {
                System.out.println("deleted " + event.key().getString("transaction_id"));
            }
        };

        try (CdcEngine engine = CdcEngine.create(config, listener)) {
            engine.start();      // returns once changes are captured; throws CdcException saying what to fix
            runApplication();    // meanwhile, changes arrive on the engine's delivery thread
        }                        // close(): the callback in progress finishes, the offset is stored
        // README:listener:end
    }

    private void runApplication() {
        db.execute("INSERT INTO transactions (transaction_id, user_id, amount, currency) VALUES ('tx-1', 'alice', 12.50, 'USD')",
                "DELETE FROM transactions WHERE transaction_id = 'tx-1'");
        await().atMost(Duration.ofSeconds(30)).until(() -> captured.toString(StandardCharsets.UTF_8).contains("deleted tx-1"));
    }

    @Test
    void theReadmeShowsExactlyTheCompiledExample() throws IOException {
        assertThat(ReadmeSnippets.readmeBlockAfter(
                "<!-- listener-example: kept identical to cdc-core/src/test/java/io/pgcdc/ReadmeExampleIT.java -->"))
                .containsExactlyElementsOf(ReadmeSnippets.between(SELF, "// README:listener:begin", "// README:listener:end"));
    }
}
