package io.omendb.dist;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * One server process a test started (an OmenDB node, {@code omendb local}, Prometheus), its output in a log file.
 * {@link #close()} kills it if it is still running, so a failing test never leaves processes behind;
 * {@link #stop()} is the clean path: SIGTERM, and the exit code must be 0.
 */
final class ServerProcess implements AutoCloseable {
    static final Duration STOP_WAIT = Duration.ofSeconds(30);
    private static final int LOG_TAIL_CHARS_MAX = 4000;

    private final String name;
    private final Process process;
    private final Path log;

    private ServerProcess(String name, Process process, Path log) {
        this.name = name;
        this.process = process;
        this.log = log;
    }

    static ServerProcess start(String name, List<String> command, Map<String, String> env, Path log)
            throws IOException {
        ProcessBuilder pb = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile()));
        pb.environment().putAll(env);
        return new ServerProcess(name, pb.start(), log);
    }

    String name() {
        return name;
    }

    boolean isAlive() {
        return process.isAlive();
    }

    /** SIGTERM; the process must exit with 0 within {@link #STOP_WAIT}. */
    void stop() throws InterruptedException {
        process.destroy();
        if (!process.waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS)) {
            throw new AssertionError(name + " did not exit within " + STOP_WAIT + " of SIGTERM\n" + logTail());
        }
        if (process.exitValue() != 0) {
            throw new AssertionError(name + " exited with " + process.exitValue() + " after SIGTERM\n" + logTail());
        }
    }

    /** Fails with the log when the process has died. */
    void assertAlive() {
        if (!process.isAlive()) {
            throw new AssertionError(name + " exited with " + process.exitValue() + "\n" + logTail());
        }
    }

    String logTail() {
        try {
            String s = Files.readString(log);
            return "--- " + log + " ---\n" + s.substring(Math.max(0, s.length() - LOG_TAIL_CHARS_MAX));
        } catch (IOException e) {
            return "(no log: " + e + ")";
        }
    }

    @Override
    public void close() {
        process.destroyForcibly();
        try {
            process.waitFor(STOP_WAIT.toSeconds(), TimeUnit.SECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
