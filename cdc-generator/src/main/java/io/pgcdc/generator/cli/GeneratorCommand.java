package io.pgcdc.generator.cli;

import io.pgcdc.generator.GeneratorException;
import io.pgcdc.generator.GeneratorProgress;
import io.pgcdc.generator.GeneratorReport;
import io.pgcdc.generator.TransactionGenerator;
import io.pgcdc.generator.Workload;
import java.io.PrintWriter;
import java.time.Duration;
import java.time.Instant;
import java.time.format.DateTimeParseException;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.CountDownLatch;
import java.util.function.Consumer;
import picocli.CommandLine;
import picocli.CommandLine.ArgGroup;
import picocli.CommandLine.Command;
import picocli.CommandLine.Option;

/**
 * {@code pgcdc-generator}: writes fake financial transactions into PostgreSQL from the command line.
 * Exit codes: 0 done, 1 failed (the message says why and what was committed), 2 bad options.
 */
@Command(name = "pgcdc-generator", mixinStandardHelpOptions = true, versionProvider = GeneratorCommand.Version.class,
        sortOptions = false, usageHelpAutoWidth = true,
        description = {"Writes realistic fake financial transactions (inserts, updates of amounts, deletes) into the"
                + " transactions table, creating it from sql/010_transactions.sql when missing."
                + " Without --count or --duration it runs until Ctrl-C.", ""},
        footer = {"", "Example: PGPASSWORD=secret pgcdc-generator --url jdbc:postgresql://localhost:5433/postgres "
                + "--count 100000 --rate 2000"})
public final class GeneratorCommand implements Callable<Integer> {

    /** The database written to when neither {@code --url} nor {@code --host} is given. */
    static final String DEFAULT_URL = "jdbc:postgresql://localhost:5432/postgres";

    @ArgGroup(exclusive = true, multiplicity = "0..1")
    Server server;

    @Option(names = "--user", description = "user to connect as (default: ${DEFAULT-VALUE})")
    String user = "postgres";

    @Option(names = "--password-env", paramLabel = "VAR", description = "environment variable holding the password (default: ${DEFAULT-VALUE})")
    String passwordEnv = "PGPASSWORD";

    @Option(names = "--password", interactive = true, arity = "0",
            description = "prompt for the password instead (it is not echoed)")
    char[] password;

    @Option(names = "--count", paramLabel = "N", description = "changes (rows) to write, then stop")
    Long count;

    @Option(names = "--duration", paramLabel = "TIME", converter = DurationConverter.class,
            description = "write for this long, then stop: 30s, 5m, 1h or ISO-8601 (PT30S)")
    Duration duration;

    @Option(names = "--rate", paramLabel = "PER_SECOND", description = "target changes per second; 0 = full speed (default: ${DEFAULT-VALUE})")
    double rate;

    @Option(names = "--rows-per-transaction", paramLabel = "N", description = "rows per database transaction (default: ${DEFAULT-VALUE})")
    int rowsPerTransaction = Workload.DEFAULT_ROWS_PER_TRANSACTION;

    @Option(names = "--mix", paramLabel = "I,U,D", split = ",", arity = "1", hideParamSyntax = true,
            description = "percent inserts, updates, deletes; adding up to 100 (default: 70,20,10)")
    int[] mix = {Workload.DEFAULT_INSERT_PERCENT, Workload.DEFAULT_UPDATE_PERCENT, Workload.DEFAULT_DELETE_PERCENT};

    @Option(names = "--seed", description = "seed of every random choice (default: ${DEFAULT-VALUE})")
    long seed = Workload.DEFAULT_SEED;

    @Option(names = "--timestamps-from", paramLabel = "INSTANT",
            description = "spread timestamps over a day from this instant (2026-01-01T00:00:00Z) instead of now: reproducible")
    Instant timestampsFrom;

    @Option(names = "--insert-method", paramLabel = "METHOD", description = "COPY or BATCH (default: ${DEFAULT-VALUE})")
    Workload.InsertMethod insertMethod = Workload.InsertMethod.COPY;

    @Option(names = "--no-create-table", negatable = false, description = "fail instead of creating a missing table")
    boolean noCreateTable;

    @Option(names = {"-q", "--quiet"}, description = "no progress display")
    boolean quiet;

    @Option(names = {"-v", "--verbose"}, description = "stack traces with errors")
    boolean verbose;

    @CommandLine.Spec
    CommandLine.Model.CommandSpec spec;

    /** The database: a JDBC URL, or host, port and database; not both. */
    static final class Server {
        @ArgGroup(exclusive = false)
        Url url;

        @ArgGroup(exclusive = false)
        Parts parts;
    }

    /** {@code --url}, in a group of its own so that picocli names both sides when it is given with {@code --host}. */
    static final class Url {
        @Option(names = "--url", required = true, paramLabel = "JDBC_URL",
                description = "database to write to, instead of --host, --port and --database (default: " + DEFAULT_URL + ")")
        String url;
    }

    /** {@code --host}, {@code --port} and {@code --database}. */
    static final class Parts {
        @Option(names = "--host", required = true, description = "PostgreSQL host, instead of --url")
        String host;

        @Option(names = "--port", defaultValue = "5432", description = "PostgreSQL port (default: ${DEFAULT-VALUE})")
        int port;

        @Option(names = "--database", defaultValue = "postgres", description = "database (default: ${DEFAULT-VALUE})")
        String database;
    }

    /** Runs the command and exits with its code. */
    public static void main(String[] args) {
        System.exit(execute(args));
    }

    /** Runs the command and returns its exit code, for embedding and tests. */
    public static int execute(String... args) {
        CommandLine cli = new CommandLine(new GeneratorCommand()).setCaseInsensitiveEnumValuesAllowed(true);
        cli.setExecutionExceptionHandler((e, cmd, parsed) -> {
            GeneratorCommand command = cmd.getCommand();
            PrintWriter err = cmd.getErr();
            err.println("error: " + e.getMessage());
            if (e instanceof GeneratorException && ((GeneratorException) e).partialReport() != null
                    && ((GeneratorException) e).partialReport().transactions() > 0) {
                err.println("committed before the error: " + ((GeneratorException) e).partialReport());
            }
            if (command.verbose) {
                e.printStackTrace(err);
            } else if (!(e instanceof GeneratorException) && !(e instanceof IllegalArgumentException)) {
                err.println("(run with --verbose for the stack trace)");
            }
            err.flush();
            return 1;
        });
        return cli.execute(args);
    }

    @Override
    public Integer call() {
        Workload workload = workload();
        TransactionGenerator generator = TransactionGenerator.builder()
                .jdbcUrl(url()).user(user).password(password()).createTable(!noCreateTable).build();
        PrintWriter out = spec.commandLine().getOut();
        PrintWriter err = spec.commandLine().getErr();
        boolean showProgress = !quiet && System.console() != null;
        CountDownLatch finished = new CountDownLatch(1);
        Thread stopOnCtrlC = new Thread(() -> {
            generator.stop();
            try {
                finished.await();
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
            }
        }, "pgcdc-generator-shutdown");
        Runtime.getRuntime().addShutdownHook(stopOnCtrlC);
        GeneratorReport report;
        try {
            report = generator.run(workload, showProgress ? new ProgressLine(err) : p -> { });
        } finally {
            if (showProgress) {
                err.print("\r\033[K");
                err.flush();
            }
            finished.countDown();
            try {
                Runtime.getRuntime().removeShutdownHook(stopOnCtrlC);
            } catch (IllegalStateException shuttingDown) {
                // Ctrl-C: the hook is running and waits for this summary.
            }
        }
        out.println("wrote " + report);
        out.flush();
        return 0;
    }

    private Workload workload() {
        if (mix.length != 3) {
            throw new CommandLine.ParameterException(spec.commandLine(), "--mix needs three numbers, such as 70,20,10");
        }
        try {
            Workload.Builder b = Workload.builder().mix(mix[0], mix[1], mix[2]).rate(rate)
                    .rowsPerTransaction(rowsPerTransaction).seed(seed).insertMethod(insertMethod)
                    .trackIds(false);
            if (count != null) {
                b.count(count);
            }
            if (duration != null) {
                b.duration(duration);
            }
            if (timestampsFrom != null) {
                b.timestamps(timestampsFrom, Duration.ofDays(1));
            }
            return b.build();
        } catch (IllegalArgumentException e) {
            throw new CommandLine.ParameterException(spec.commandLine(), optionName(e.getMessage()));
        }
    }

    /** Says the library's argument errors in option names. */
    private static String optionName(String message) {
        return message.replace("rowsPerTransaction", "--rows-per-transaction").replace("count must", "--count must")
                .replace("duration must", "--duration must").replace("rate must", "--rate must").replace("mix must", "--mix must")
                .replace("set count or duration", "set --count or --duration").replace("mix needs", "--mix needs");
    }

    private String url() {
        if (server == null) {
            return DEFAULT_URL;
        }
        if (server.url != null) {
            return server.url.url;
        }
        String host = server.parts.host.contains(":") && !server.parts.host.startsWith("[") ? "[" + server.parts.host + "]" : server.parts.host;
        return "jdbc:postgresql://" + host + ":" + server.parts.port + "/" + server.parts.database;
    }

    private String password() {
        if (password != null) {
            return new String(password);
        }
        String fromEnv = System.getenv(passwordEnv);
        return fromEnv == null ? "" : fromEnv;
    }

    /** Reads 30s, 5m, 2h, 250ms or ISO-8601 durations. */
    static final class DurationConverter implements CommandLine.ITypeConverter<Duration> {
        @Override
        public Duration convert(String value) {
            String v = value.trim().toLowerCase(Locale.ROOT);
            try {
                if (v.startsWith("p")) {
                    return Duration.parse(v.toUpperCase(Locale.ROOT));
                }
                if (v.endsWith("ms")) {
                    return Duration.ofMillis(Long.parseLong(v.substring(0, v.length() - 2)));
                }
                long n = Long.parseLong(v.substring(0, v.length() - 1));
                switch (v.charAt(v.length() - 1)) {
                    case 's': return Duration.ofSeconds(n);
                    case 'm': return Duration.ofMinutes(n);
                    case 'h': return Duration.ofHours(n);
                    default: break;
                }
            } catch (NumberFormatException | DateTimeParseException | StringIndexOutOfBoundsException e) {
                // fall through to the message below
            }
            throw new CommandLine.TypeConversionException("'" + value + "' is not a duration: use 30s, 5m, 1h, 250ms or PT30S");
        }
    }

    /** A one-line progress display with rate and ETA, redrawn in place on a terminal. */
    private static final class ProgressLine implements Consumer<GeneratorProgress> {
        private final PrintWriter err;

        ProgressLine(PrintWriter err) {
            this.err = err;
        }

        @Override
        public void accept(GeneratorProgress p) {
            StringBuilder line = new StringBuilder(String.format(Locale.ROOT, "\r%,12d changes  %,9.0f/s", p.changes(),
                    p.changesPerSecond()));
            p.fraction().ifPresent(f -> line.append(String.format(Locale.ROOT, "  %3.0f%%", f * 100)));
            p.eta().ifPresent(eta -> line.append(String.format(Locale.ROOT, "  ETA %d:%02d", eta.toMinutes(), eta.toSecondsPart())));
            err.print(line.append("\033[K"));
            err.flush();
        }
    }

    /** {@code -V}: the version Maven wrote into {@code version.properties} when it built the generator. */
    static final class Version implements CommandLine.IVersionProvider {
        @Override
        public String[] getVersion() throws java.io.IOException {
            java.util.Properties p = new java.util.Properties();
            try (java.io.InputStream in = GeneratorCommand.class.getResourceAsStream("version.properties")) {
                if (in != null) {
                    p.load(in);
                }
            }
            return new String[] {"pgcdc-generator " + p.getProperty("version", "(unknown version)")};
        }
    }
}
