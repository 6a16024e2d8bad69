package io.omendb.chaos.cluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.concurrent.TimeUnit;

/** Runs short system commands (ip, iptables, kill) with a bounded wait; a non-zero exit is an error. */
public final class Shell {
    static final long COMMAND_TIMEOUT_S = 30;

    private Shell() {
    }

    public static String run(List<String> command) {
        try {
            Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
            if (!p.waitFor(COMMAND_TIMEOUT_S, TimeUnit.SECONDS)) {
                p.destroyForcibly();
                throw new IllegalStateException("timed out after " + COMMAND_TIMEOUT_S + " s: " + command);
            }
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            if (p.exitValue() != 0) {
                throw new IllegalStateException("exit " + p.exitValue() + ": " + String.join(" ", command) + ": "
                        + out.strip());
            }
            return out;
        } catch (IOException e) {
            throw new IllegalStateException("cannot run " + command + ": " + e.getMessage(), e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException("interrupted running " + command, e);
        }
    }

    /** Like {@link #run} but a failure is only returned, for cleanup paths that must go on. */
    public static String runQuietly(List<String> command) {
        try {
            run(command);
            return null;
        } catch (RuntimeException e) {
            return e.getMessage();
        }
    }

    public static void signal(long pid, String signal) {
        run(List.of("kill", "-" + signal, Long.toString(pid)));
    }
}
