package io.pgcdc.examples;

import io.micrometer.prometheusmetrics.PrometheusConfig;
import io.micrometer.prometheusmetrics.PrometheusMeterRegistry;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.CdcMetrics;
import io.pgcdc.SnapshotMode;
import io.pgcdc.generator.GeneratorException;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import java.io.IOException;
import java.net.BindException;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.TimeUnit;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Option;

/**
 * A live web page of what the engine captures: the latest changes in a table, pushed to the browser
 * with server-sent events, charts of events per second, commit-to-callback lag, slot lag and engine
 * state, and the engine's meters for Prometheus on {@code /metrics}. The page and its script are served
 * from this jar ({@code dashboard/} resources): it needs no internet.
 *
 * <p>The listener never waits for a browser: each change is offered to every open page's bounded queue,
 * and a page that falls behind loses its oldest messages ({@link DashboardServer}).
 */
@Command(name = "Dashboard", mixinStandardHelpOptions = true, versionProvider = Cli.Version.class, sortOptions = false,
        description = "Serves a live page of the captured changes, with charts and /metrics; Ctrl-C stops it cleanly.")
public final class Dashboard implements Callable<Integer> {

    @Mixin
    ConnectionOptions connection;

    @Option(names = "--http-port", description = "port of the page (default: ${DEFAULT-VALUE}; 0: any free port)")
    int httpPort = 8080;

    @Option(names = "--http-bind", paramLabel = "ADDRESS",
            description = "address to listen on (default: ${DEFAULT-VALUE}; 0.0.0.0 for every interface: the page has no login)")
    String httpBind = "localhost";

    @Option(names = "--rate", description = "changes per second the generator writes (default: ${DEFAULT-VALUE})")
    double rate = 300;

    @Option(names = "--no-generator", description = "write nothing: only watch the changes others make")
    boolean noGenerator;

    @Option(names = "--name", description = "engine name, and so the slot's (default: ${DEFAULT-VALUE})")
    String name = "dashboard";

    @Mixin
    Cli.Verbose verbose;

    public static void main(String[] args) {
        System.exit(Cli.execute(new Dashboard(), args));
    }

    @Override
    public Integer call() {
        CountDownLatch stop = new CountDownLatch(1);
        // The main thread closes the engine (its slot dropped) before the embedded PostgreSQL stops, which a
        // shutdown hook could not order; without signals, the JVM's shutdown hooks clean up.
        Cli.stopOnSignal(stop);
        try (DashboardServer server = DashboardServer.bind(httpBind, httpPort);
             DemoDatabase db = connection.open(true)) {
            System.out.println("PostgreSQL: " + db.describe());
            PrometheusMeterRegistry registry = new PrometheusMeterRegistry(PrometheusConfig.DEFAULT);
            DashboardFeed feed = new DashboardFeed(server);
            CdcConfig config = db.captureConfig(name)
                    .snapshotMode(SnapshotMode.NONE) // watch what happens from now on, not the rows already there
                    .property("slot.drop.on.stop", "true") // a demo: leave no slot holding WAL behind
                    .build();
            try (CdcEngine engine = CdcEngine.create(config, feed)) {
                CdcMetrics.of(engine).bindTo(registry);
                engine.start();
                server.start(registry::scrape, () -> feed.status(engine.health()));
                TransactionGenerator generator = noGenerator ? null : db.generator();
                Thread writing = generator == null ? null : startGenerator(generator);
                System.out.println("engine streaming" + (generator == null ? "" : "; generator writing " + (long) rate + " changes/s"));
                System.out.println("dashboard: " + server.url() + "  (Ctrl-C stops)");
                waitForStop(stop, engine);
                if (writing != null) {
                    generator.stop();
                    writing.join(TimeUnit.SECONDS.toMillis(10));
                }
            }
        } catch (BindException e) {
            System.err.println("error: cannot listen on " + httpBind + ":" + httpPort + " (" + e.getMessage()
                    + "); choose another --http-port (0: any free port)");
            return 1;
        } catch (IOException | RuntimeException e) {
            // A CdcException says what to fix; the others (sql/ not applied, say) name what failed.
            System.err.println(Cli.errorLine(e));
            if (verbose.verbose) {
                e.printStackTrace();
            }
            return 1;
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return 1;
        }
        System.out.println("dashboard stopped: engine closed, server stopped");
        return 0;
    }

    /** Writes fake transactions until stopped; a failure is reported and the page keeps watching. */
    private Thread startGenerator(TransactionGenerator generator) {
        Workload workload = Workload.builder().rate(rate).rowsPerTransaction(10).trackIds(false)
                // Another seed each run: on a named server the rows of the last run are still there.
                .seed(ThreadLocalRandom.current().nextLong())
                .build();
        Thread writing = new Thread(() -> {
            try {
                generator.run(workload);
            } catch (GeneratorException e) {
                System.err.println("generator stopped: " + e.getMessage());
            }
        }, "dashboard-generator");
        writing.setDaemon(true);
        writing.start();
        return writing;
    }

    /** Returns on Ctrl-C or SIGTERM; a failed engine is reported once and stays on the page until then. */
    private static void waitForStop(CountDownLatch stop, CdcEngine engine) throws InterruptedException {
        boolean reported = false;
        while (!stop.await(500, TimeUnit.MILLISECONDS)) {
            if (!reported && engine.state() == CdcEngine.State.FAILED) {
                reported = true;
                System.err.println(engine.failure().map(Cli::errorLine).orElse("error: the engine failed")
                        + " (the page shows it until Ctrl-C)");
            }
        }
    }
}
