package io.pgcdc.testkit;

import java.io.BufferedReader;
import java.io.IOException;
import java.io.InputStreamReader;
import java.io.InputStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CopyOnWriteArrayList;
import java.util.concurrent.TimeUnit;

/**
 * Runs a main class in a separate JVM with this JVM's class path, as a user runs a command: its own
 * environment, exit code and output streams. For command-line tests, and for crash tests that kill
 * the child.
 */
public final class ChildJvm {

    /** What a finished child did. */
    public record Result(int exit, String out, String err) {
        /** Standard output, line by line. */
        public List<String> lines() {
            return out.lines().toList();
        }
    }

    private final Process process;
    private final List<String> outLines = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> out;
    private final List<String> errLines = new CopyOnWriteArrayList<>();
    private final CompletableFuture<Void> err;

    private ChildJvm(Process process) {
        this.process = process;
        this.out = CompletableFuture.runAsync(() -> readLines(process.getInputStream(), outLines));
        this.err = CompletableFuture.runAsync(() -> readLines(process.getErrorStream(), errLines));
    }

    /**
     * Starts {@code main} with {@code args}; {@code env} is added to this JVM's environment, without
     * {@code PGPASSWORD}, so that a password reaches the child only when a test gives it.
     */
    public static ChildJvm start(Class<?> main, Map<String, String> env, String... args) throws IOException {
        List<String> command = new ArrayList<>(List.of(Path.of(System.getProperty("java.home"), "bin", "java").toString(),
                "-cp", System.getProperty("java.class.path"), main.getName()));
        command.addAll(List.of(args));
        ProcessBuilder pb = new ProcessBuilder(command);
        pb.environment().remove("PGPASSWORD");
        pb.environment().putAll(env);
        Process p = pb.start();
        p.getOutputStream().close();
        return new ChildJvm(p);
    }

    /** Starts {@code main} and waits for it to finish; fails if it takes longer than {@code timeout}. */
    public static Result run(Duration timeout, Class<?> main, Map<String, String> env, String... args)
            throws IOException, InterruptedException {
        return start(main, env, args).await(timeout);
    }

    /** Waits for the child to exit; kills it and fails after {@code timeout}. */
    public Result await(Duration timeout) throws InterruptedException {
        if (!process.waitFor(timeout.toNanos(), TimeUnit.NANOSECONDS)) {
            process.destroyForcibly();
            throw new AssertionError("the child JVM did not finish within " + timeout);
        }
        return result();
    }

    /** Kills the child at once, as {@code kill -9} does, and returns what it printed until then. */
    public Result kill() throws InterruptedException {
        // Through the process handle: Process.destroyForcibly() also closes this side's pipes at once, and whatever
        // the child wrote that was not read yet (its last lines) would be lost.
        process.toHandle().destroyForcibly();
        process.waitFor();
        return result();
    }

    /** Standard output lines printed so far, while the child runs. */
    public List<String> linesSoFar() {
        return List.copyOf(outLines);
    }

    /** Standard error lines printed so far (its logs), while the child runs. */
    public List<String> errLinesSoFar() {
        return List.copyOf(errLines);
    }

    /** Asks the child to stop as Ctrl-C or {@code kill} would (its shutdown hooks run), and waits. */
    public Result terminate(Duration timeout) throws InterruptedException {
        // Through the process handle, so that its last lines are still read (Process.destroy() closes the pipes).
        process.toHandle().destroy();
        return await(timeout);
    }

    /** The child process, for its pid or liveness. */
    public Process process() {
        return process;
    }

    private Result result() {
        out.join();
        StringBuilder text = new StringBuilder();
        outLines.forEach(l -> text.append(l).append('\n'));
        err.join();
        StringBuilder errText = new StringBuilder();
        errLines.forEach(l -> errText.append(l).append('\n'));
        return new Result(process.exitValue(), text.toString(), errText.toString());
    }

    private static void readLines(InputStream in, List<String> lines) {
        try (BufferedReader reader = new BufferedReader(new InputStreamReader(in, StandardCharsets.UTF_8))) {
            String line;
            while ((line = reader.readLine()) != null) {
                lines.add(line);
            }
        } catch (IOException endOfChild) {
            // Stream closed with the child: the lines read are all there are.
        }
    }
}
