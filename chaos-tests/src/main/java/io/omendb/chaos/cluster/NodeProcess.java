package io.omendb.chaos.cluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Comparator;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.stream.Stream;

/**
 * One OmenDB node as an operating-system process ({@code OmenDbCli node --config FILE} from the packaged jar,
 * inside its network namespace), with the operations the nemesis needs: start, kill -9, SIGSTOP/SIGCONT, wipe.
 * Output goes to {@code node.log} in the node's directory (appended across restarts). Thread-safe (synchronized).
 */
public final class NodeProcess {
    static final long KILL_WAIT_S = 30;
    static final int LOG_TAIL_LINES = 15;

    private final int index;
    private final String id;
    private final String address;
    private final Path dataDir;
    private final Path log;
    private final List<String> command;
    private Process process;
    private boolean paused;
    private int starts;

    NodeProcess(int index, String id, String address, Path dataDir, Path log, List<String> command) {
        this.index = index;
        this.id = id;
        this.address = address;
        this.dataDir = dataDir;
        this.log = log;
        this.command = List.copyOf(command);
    }

    public int index() {
        return index;
    }

    public String id() {
        return id;
    }

    public String address() {
        return address;
    }

    public Path log() {
        return log;
    }

    public synchronized void start() throws IOException {
        if (alive()) {
            throw new IllegalStateException(id + " is already running");
        }
        Files.writeString(log, "=== chaos: start #" + (++starts) + " of " + id + " at " + System.currentTimeMillis()
                + " ===\n", java.nio.file.StandardOpenOption.CREATE, java.nio.file.StandardOpenOption.APPEND);
        process = new ProcessBuilder(command).redirectErrorStream(true)
                .redirectOutput(ProcessBuilder.Redirect.appendTo(log.toFile())).start();
        paused = false;
    }

    public synchronized boolean alive() {
        return process != null && process.isAlive();
    }

    /** How the last start ended (exit code and the log's last lines), for error messages. */
    public synchronized String exitDescription() {
        String tail;
        try {
            List<String> lines = Files.readAllLines(log);
            tail = String.join("\n", lines.subList(Math.max(0, lines.size() - LOG_TAIL_LINES), lines.size()));
        } catch (IOException e) {
            tail = "(log unreadable: " + e.getMessage() + ")";
        }
        return (process == null ? "never started" : "exit " + (process.isAlive() ? "none (running)"
                : process.exitValue())) + "; log " + log + " ends with:\n" + tail;
    }

    public synchronized boolean paused() {
        return paused;
    }

    /** SIGKILL (also ends a stopped process) and wait for it to be gone. */
    public synchronized void kill9() throws InterruptedException {
        if (process == null) {
            return;
        }
        process.destroyForcibly();
        if (!process.waitFor(KILL_WAIT_S, TimeUnit.SECONDS)) {
            throw new IllegalStateException(id + " survived SIGKILL for " + KILL_WAIT_S + " s");
        }
        paused = false;
    }

    public synchronized void pause() {
        Shell.signal(process.pid(), "STOP");
        paused = true;
    }

    public synchronized void resume() {
        Shell.signal(process.pid(), "CONT");
        paused = false;
    }

    /** Deletes the data directory; the node must be stopped. */
    public synchronized void wipe() throws IOException {
        if (alive()) {
            throw new IllegalStateException("wipe " + id + " while it runs");
        }
        if (Files.exists(dataDir)) {
            try (Stream<Path> files = Files.walk(dataDir)) {
                for (Path p : files.sorted(Comparator.reverseOrder()).toList()) {
                    Files.delete(p);
                }
            }
        }
    }

    @Override
    public String toString() {
        return id + "@" + address;
    }
}
