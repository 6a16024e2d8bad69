package io.omendb.benchcluster;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.OptionalLong;
import java.util.concurrent.TimeUnit;

/**
 * fsync and fdatasync calls of a process over a few seconds, counted by {@code strace -c -f} attached to all its
 * threads ({@code timeout -s INT} ends the trace; strace then detaches and prints its summary table). Ratis forces
 * its log segments with {@code FileChannel.force}, which is one of the two. Attaching slows the traced syscalls, so
 * under load the count is a lower bound of the untraced rate. Optional: without strace, or when the kernel refuses
 * ptrace, {@link #count} gives empty and the benchmark reports {@code null}. Parsing is pure and unit-tested.
 */
final class FsyncCount {
    private static final long GRACE_MS = 60_000;

    private FsyncCount() {
    }

    /** Calls in {@code seconds} (plus attach time), or empty if strace is unavailable or failed. */
    static OptionalLong count(long pid, int seconds) throws InterruptedException {
        try {
            Process p = new ProcessBuilder(List.of("timeout", "-s", "INT", Integer.toString(seconds), "strace", "-c", "-f",
                    "-e", "trace=fsync,fdatasync", "-p", Long.toString(pid))).redirectErrorStream(true).start();
            byte[] out = p.getInputStream().readAllBytes();
            if (!p.waitFor(seconds * 1000L + GRACE_MS, TimeUnit.MILLISECONDS)) {
                p.destroyForcibly();
                return OptionalLong.empty();
            }
            return parse(new String(out, StandardCharsets.UTF_8));
        } catch (IOException e) {
            return OptionalLong.empty();
        }
    }

    /**
     * The calls of fsync and fdatasync in strace's {@code -c} table ("% time seconds usecs/call calls [errors]
     * syscall"); zero when strace attached but printed no table (it prints none when nothing was traced); empty
     * when it never attached (no strace, ptrace refused).
     */
    static OptionalLong parse(String straceSummary) {
        if (!straceSummary.contains("% time")) {
            return straceSummary.contains(" attached") ? OptionalLong.of(0) : OptionalLong.empty();
        }
        long calls = 0;
        for (String line : straceSummary.split("\n")) {
            String[] f = line.trim().split("\\s+");
            String syscall = f[f.length - 1];
            if (f.length >= 5 && (syscall.equals("fsync") || syscall.equals("fdatasync"))) {
                calls += Long.parseLong(f[3]);
            }
        }
        return OptionalLong.of(calls);
    }
}
