package io.omendb.benchcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * One reading of a process from Linux {@code /proc}: its thread count and resident memory ({@code status}) and the
 * CPU it has used so far ({@code stat}: utime + stime, in clock ticks). Parsing is pure ({@link #parse}) so it is
 * unit-tested on captured text; {@link #read} only reads the two files.
 *
 * @param threads  {@code Threads:} of {@code /proc/PID/status}
 * @param rssBytes {@code VmRSS:} of {@code /proc/PID/status}, in bytes
 * @param cpuTicks fields 14 (utime) + 15 (stime) of {@code /proc/PID/stat}, in clock ticks
 */
record ProcStats(int threads, long rssBytes, long cpuTicks) {
    /** Linux's USER_HZ on every architecture Java runs on here: {@code getconf CLK_TCK}. */
    static final int CLOCK_TICKS_PER_SECOND = 100;

    static ProcStats read(long pid) throws IOException {
        Path proc = Path.of("/proc", Long.toString(pid));
        return parse(Files.readString(proc.resolve("status")), Files.readString(proc.resolve("stat")));
    }

    static ProcStats parse(String status, String stat) {
        return new ProcStats((int) field(status, "Threads:"), field(status, "VmRSS:") * 1024, cpuTicks(stat));
    }

    /** Percent of one core used between two readings {@code seconds} apart. */
    static double cpuPercentOfCore(ProcStats before, ProcStats after, double seconds) {
        return (after.cpuTicks - before.cpuTicks) * 100.0 / CLOCK_TICKS_PER_SECOND / seconds;
    }

    /** The first number after {@code key} on its line ({@code kB} values stay in kB). */
    private static long field(String status, String key) {
        for (String line : status.split("\n")) {
            if (line.startsWith(key)) {
                return Long.parseLong(line.substring(key.length()).trim().split("\\s+")[0]);
            }
        }
        throw new IllegalArgumentException("no " + key + " in /proc/PID/status");
    }

    /** The command name in field 2 may hold spaces and parentheses: fields are counted after its last ')'. */
    private static long cpuTicks(String stat) {
        String[] after = stat.substring(stat.lastIndexOf(')') + 2).trim().split("\\s+");
        // after[0] is field 3 (state): utime (14) is after[11], stime (15) after[12]
        return Long.parseLong(after[11]) + Long.parseLong(after[12]);
    }
}
