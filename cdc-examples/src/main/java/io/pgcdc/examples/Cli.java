package io.pgcdc.examples;

import ch.qos.logback.classic.Level;
import io.pgcdc.CdcConfig;
import io.pgcdc.CdcEngine;
import io.pgcdc.CdcException;
import io.pgcdc.TableId;
import java.io.IOException;
import java.io.InputStream;
import java.io.PrintWriter;
import java.util.List;
import java.util.Properties;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;
import picocli.CommandLine;
import picocli.CommandLine.Option;
import sun.misc.Signal;

/**
 * What the examples' command lines share: {@code -V}, {@code --verbose}, errors in one line, and a
 * graceful stop on Ctrl-C or SIGTERM. Exit codes: 0 done, also after a graceful stop; 1 failed, with
 * a message saying why; 2 bad options.
 */
final class Cli {

    /** The loggers {@code logback.xml} keeps at WARN: Debezium's configuration alone is some 250 INFO lines a start. */
    private static final List<String> QUIET_LOGGERS = List.of("io.debezium", "org.apache.kafka", "io.zonky");

    private Cli() {
    }

    /** {@code --verbose}, for every example. */
    static final class Verbose {
        @Option(names = {"-v", "--verbose"}, description = "stack traces with errors, and the INFO logs of Debezium, Kafka and the embedded server")
        boolean verbose;
    }

    /** {@code -V}: the version Maven wrote into {@code version.properties} when it built the examples. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws IOException {
            Properties p = new Properties();
            try (InputStream in = Cli.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"pgcdc-examples " + p.getProperty("version", "(unknown version)")};
        }
    }

    /** Runs {@code command} on {@code args} and returns the exit code. */
    static int execute(Object command, String... args) {
        CommandLine cli = new CommandLine(command).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionStrategy(parsed -> {
            if (parsed.hasMatchedOption("--verbose")) {
                louder();
            }
            return new CommandLine.RunLast().execute(parsed);
        });
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            PrintWriter err = cmd.getErr();
            err.println(errorLine(e));
            if (parsed.hasMatchedOption("--verbose")) {
                e.printStackTrace(err);
            }
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    /** {@code error: <message> (reason: <FailureReason>)} on one line; the reason only for a {@link CdcException}. */
    static String errorLine(Throwable e) {
        String message = e.getMessage() == null ? e.toString() : e.getMessage().strip().replaceAll("\\s*\\R\\s*", " ");
        return "error: " + message + (e instanceof CdcException ? " (reason: " + ((CdcException) e).reason() + ")" : "");
    }

    /** One line on what an engine captures, before it starts. */
    static String capturing(CdcConfig config) {
        return "capturing " + config.tables().stream().map(TableId::toString).collect(Collectors.joining(", "))
                + " from slot '" + config.slotName() + "' through publication '" + config.publicationName() + "', snapshot "
                + config.snapshotMode() + ", offsets " + config.offsetStore();
    }

    /**
     * Makes the first Ctrl-C or SIGTERM count {@code stop} down instead of ending the JVM, so that the
     * main thread closes {@code engine} (storing its offsets) and exits 0; a second one exits at once
     * (130 or 143). Where the JVM lets no signal be handled, a shutdown hook closes {@code engine} and
     * counts {@code stop} down instead, and the exit code is the JVM's.
     */
    static void stopOnSignal(CountDownLatch stop, CdcEngine engine) {
        if (!stopOnSignal(stop)) {
            Runtime.getRuntime().addShutdownHook(new Thread(() -> {
                engine.close();
                stop.countDown();
            }, "pgcdc-examples-shutdown"));
        }
    }

    /**
     * Makes the first Ctrl-C or SIGTERM count {@code stop} down instead of ending the JVM; a second one
     * exits at once (130 or 143).
     *
     * @return false where the JVM lets no signal be handled ({@code -Xrs}, or a platform without them)
     */
    static boolean stopOnSignal(CountDownLatch stop) {
        boolean handled = true;
        for (String name : List.of("INT", "TERM")) {
            try {
                Signal.handle(new Signal(name), signal -> {
                    if (stop.getCount() == 0) {
                        System.exit(128 + signal.getNumber());
                    }
                    stop.countDown();
                });
            } catch (IllegalArgumentException unavailable) {
                handled = false;
            }
        }
        return handled;
    }

    /**
     * Waits on the calling thread until Ctrl-C or SIGTERM ({@link #stopOnSignal}) or the engine's end, then
     * closes the engine (its offsets stored) and returns the exit code: 0, or 1 after printing why it failed.
     */
    static int awaitStop(CountDownLatch stop, CdcEngine engine) throws InterruptedException {
        long nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
        boolean snapshotAnnounced = false;
        while (!stop.await(200, TimeUnit.MILLISECONDS) && !engine.state().isTerminal()) {
            // The engine works on its own threads; this one waits, and shows the snapshot's progress on stderr.
            io.pgcdc.EngineHealth health = engine.health();
            if (health.isSnapshotRunning() && System.nanoTime() > nextReport) {
                System.err.println(snapshotProgress(health));
                nextReport = System.nanoTime() + TimeUnit.SECONDS.toNanos(1);
            } else if (!snapshotAnnounced && !health.isSnapshotRunning() && health.snapshotRows() > 0) {
                System.err.printf("snapshot done: %,d rows%n", health.snapshotRows());
                snapshotAnnounced = true;
            }
        }
        engine.close();
        if (engine.failure().isPresent()) {
            System.err.println(errorLine(engine.failure().get()));
            return 1;
        }
        return 0;
    }

    /** {@code snapshot: 52,000 of about 200,000 rows (26%)}, or without the estimate when PostgreSQL has none. */
    static String snapshotProgress(io.pgcdc.EngineHealth health) {
        long done = health.snapshotRows();
        long total = health.snapshotRowsEstimated();
        return total > 0 ? String.format("snapshot: %,d of about %,d rows (%d%%)", done, total, Math.min(100, done * 100 / total))
                : String.format("snapshot: %,d rows", done);
    }

    /** {@code --verbose}: lets through the INFO logs that {@code logback.xml} holds back. */
    private static void louder() {
        for (String name : QUIET_LOGGERS) {
            Logger logger = LoggerFactory.getLogger(name);
            if (logger instanceof ch.qos.logback.classic.Logger) {
                ((ch.qos.logback.classic.Logger) logger).setLevel(Level.INFO);
            }
        }
    }
}
