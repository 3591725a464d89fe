package io.pgcdc.examples;

import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.ChangeEvent;
import io.pgcdc.ChangeListener;
import io.pgcdc.LogicalMessage;
import io.pgcdc.SnapshotMode;
import io.pgcdc.Transaction;
import java.sql.Connection;
import java.sql.DriverManager;
import java.sql.PreparedStatement;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * The transactional outbox without an outbox table: the application writes its row and an event about
 * it in one transaction, the event with {@code pg_logical_emit_message(true, 'outbox', ...)}; the
 * listener receives both inside that transaction, and relays the event only once the transaction's
 * commit arrives. A rolled-back transaction's event never arrives.
 */
@Command(name = "Outbox", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Writes orders with an outbox message each, in one transaction, and relays the messages on commit.")
public final class Outbox implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--orders", description = "orders to write (default: ${DEFAULT-VALUE})")
    int orders = 20;

    @Mixin
    Cli.Verbose verbose;

    public static void main(String[] args) {
        System.exit(Cli.execute(new Outbox(), args));
    }

    @Override
    public Integer call() throws Exception {
        try (DemoDatabase db = connection.open(true)) {
            System.out.println("PostgreSQL: " + db.describe());
            Relay relay = new Relay(orders);
            CdcConfig config = db.captureConfig("outbox").snapshotMode(SnapshotMode.NONE)
                    .property("slot.drop.on.stop", "true") // a demo: leave no slot holding WAL behind
                    .build();
            System.out.println(Cli.capturing(config));
            try (CdcEngine engine = CdcEngine.create(config, relay)) {
                engine.start();
                write(db, orders);
                relay.done.await(60, TimeUnit.SECONDS);
            }
            System.out.printf("%n%d orders written, %d messages relayed, each in the transaction of its order: %s%n",
                    orders, relay.relayed.get(), relay.problems.isEmpty() ? "yes" : relay.problems);
            return relay.relayed.get() == orders && relay.problems.isEmpty() ? 0 : 1;
        }
    }

    /** Each order row and its outbox message in one transaction; one more transaction that rolls back. */
    private static void write(DemoDatabase db, int orders) throws Exception {
        Properties props = new Properties();
        props.setProperty("user", db.user);
        props.setProperty("password", db.password);
        try (Connection c = DriverManager.getConnection(db.jdbcUrl(), props);
             PreparedStatement order = c.prepareStatement("INSERT INTO transactions (transaction_id, amount, currency) VALUES (?, ?::numeric, 'EUR')");
             PreparedStatement message = c.prepareStatement("SELECT pg_logical_emit_message(true, 'outbox', ?)")) {
            c.setAutoCommit(false);
            for (int i = 1; i <= orders + 1; i++) {
                String id = "order-" + System.nanoTime() + "-" + i;
                order.setString(1, id);
                order.setString(2, i + ".00");
                order.executeUpdate();
                message.setString(1, "{\"type\":\"OrderPlaced\",\"order\":\"" + id + "\",\"amount\":\"" + i + ".00\"}");
                message.execute();
                if (i <= orders) {
                    c.commit();
                } else {
                    c.rollback(); // neither the row nor its message was committed: nothing arrives
                }
                Thread.sleep(Duration.ofMillis(20).toMillis());
            }
        }
    }

    /** Holds a transaction's outbox messages until its commit, then relays them; checks they belong to its order. */
    private static final class Relay implements ChangeListener {
        final AtomicInteger relayed = new AtomicInteger();
        final List<String> problems = new ArrayList<>();
        final CountDownLatch done;
        private final List<LogicalMessage> pending = new ArrayList<>();
        private String order;

        Relay(int orders) {
            this.done = new CountDownLatch(orders);
        }

        @Override
        public void onBegin(Transaction transaction) {
            pending.clear();
            order = null;
        }

        @Override
        public void onInsert(ChangeEvent event) {
            order = event.after().getString("transaction_id");
        }

        @Override
        public void onMessage(LogicalMessage message) {
            if (message.prefix().equals("outbox")) {
                pending.add(message);
            }
        }

        @Override
        public void onCommit(Transaction transaction, long eventCount) {
            for (LogicalMessage m : pending) {
                // Relay: a real one would publish to a broker or call a service here, idempotently by m.id().
                System.out.printf("tx %d commit %s: relay %s %s%n", transaction.xid(), transaction.commitLsn(), m.id(), m.contentAsString());
                if (order == null || !m.contentAsString().contains(order) || !m.transaction().orElseThrow().equals(transaction)) {
                    problems.add(m.id() + " is not in the transaction of its order");
                }
                relayed.incrementAndGet();
                done.countDown();
            }
            pending.clear();
        }
    }
}
