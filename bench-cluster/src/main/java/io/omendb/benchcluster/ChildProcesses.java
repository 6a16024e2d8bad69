package io.omendb.benchcluster;

import java.io.IOException;
import java.net.ServerSocket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;

/**
 * The processes one target started. Each child's stdout and stderr go to {@code <name>.log} in the target's
 * work directory (read back by {@link #tail} when a start fails). {@link #close} ends every child and its
 * descendants: SIGTERM, up to {@value #STOP_GRACE_MS} ms to exit, then SIGKILL. Safe to call more than once.
 */
final class ChildProcesses implements AutoCloseable {
    static final long STOP_GRACE_MS = 10_000;
    private static final int TAIL_LINES = 30;

    private final List<Process> processes = new ArrayList<>();
    private final List<Path> logs = new ArrayList<>();

    synchronized Process start(String name, List<String> command, Path workDir, Map<String, String> env)
            throws IOException {
        Path log = workDir.resolve(name + ".log");
        ProcessBuilder builder = new ProcessBuilder(command).directory(workDir.toFile())
                .redirectErrorStream(true).redirectOutput(log.toFile());
        builder.environment().putAll(env);
        Process process = builder.start();
        processes.add(process);
        logs.add(log);
        return process;
    }

    synchronized List<Long> pids() {
        return processes.stream().map(Process::pid).toList();
    }

    /** Throws if any child has exited (a member that died during start or under load). */
    synchronized void checkAlive() {
        for (int i = 0; i < processes.size(); i++) {
            if (!processes.get(i).isAlive()) {
                throw new IllegalStateException(logs.get(i).getFileName() + " exited with status "
                        + processes.get(i).exitValue() + "; last lines:\n" + tail(logs.get(i)));
            }
        }
    }

    synchronized String tails() {
        StringBuilder sb = new StringBuilder();
        for (Path log : logs) {
            sb.append("--- ").append(log).append('\n').append(tail(log));
        }
        return sb.toString();
    }

    static String tail(Path log) {
        try {
            List<String> lines = Files.readAllLines(log, StandardCharsets.UTF_8);
            return String.join("\n", lines.subList(Math.max(0, lines.size() - TAIL_LINES), lines.size())) + "\n";
        } catch (IOException e) {
            return "(cannot read " + log + ": " + e.getMessage() + ")\n";
        }
    }

    @Override
    public synchronized void close() {
        for (Process p : processes) {
            p.descendants().forEach(ProcessHandle::destroy);
            p.destroy();
        }
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(STOP_GRACE_MS);
        for (Process p : processes) {
            try {
                long left = Math.max(1, deadline - System.nanoTime());
                if (!p.waitFor(left, TimeUnit.NANOSECONDS)) {
                    p.descendants().forEach(ProcessHandle::destroyForcibly);
                    p.destroyForcibly().waitFor(STOP_GRACE_MS, TimeUnit.MILLISECONDS);
                }
            } catch (InterruptedException e) {
                p.destroyForcibly();
                Thread.currentThread().interrupt();
            }
        }
        processes.clear();
    }

    /** A port free at the time of the call (the OS picks it); the child binds it moments later. */
    static int freePort() throws IOException {
        try (ServerSocket socket = new ServerSocket(0)) {
            socket.setReuseAddress(true);
            return socket.getLocalPort();
        }
    }

    static String javaBinary() {
        return Path.of(System.getProperty("java.home"), "bin", "java").toString();
    }
}
