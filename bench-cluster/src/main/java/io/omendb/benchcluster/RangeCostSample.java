package io.omendb.benchcluster;

import java.util.Locale;

/**
 * What one node process cost during one measured window of {@code omendb-bench range-cost}: {@code ranges} range
 * replicas on the node, {@code phase} {@code idle} or {@code load}. Memory in bytes ({@code -1}: jcmd failed), CPU in
 * percent of one core, Raft traffic ({@link RaftTraffic}) and fsyncs ({@link FsyncCount}; {@code -1}: not measured)
 * per second, {@code writesPerSecond} the cluster-wide rate the writer achieved in the window (0 when idle) and
 * {@code tracedWritesPerSecond} while strace counted fsyncs (tracing slows the nodes: compare fsyncs with this).
 */
record RangeCostSample(int ranges, String phase, String node, double readySeconds, int threads, long rssBytes,
                       long heapLiveBytes, long heapCommittedBytes, long directBytes, long threadStackBytes,
                       double cpuPercentOfCore, double raftBytesPerSecond, double raftSegmentsPerSecond,
                       double fsyncsPerSecond, double writesPerSecond, long writeErrors, double windowSeconds,
                       double tracedWritesPerSecond) {
    private static final double MIB = 1024.0 * 1024;

    /** The machine-readable line: fixed field order (new fields only ever appended), dot decimal separator. */
    String jsonLine() {
        return String.format(Locale.ROOT, "{\"bench\":\"range-cost\",\"ranges\":%d,\"phase\":\"%s\",\"node\":\"%s\","
                        + "\"ready_s\":%.1f,\"threads\":%d,\"rss_mib\":%.1f,\"heap_live_mib\":%.1f,"
                        + "\"heap_committed_mib\":%.1f,\"direct_mib\":%.1f,\"thread_stacks_mib\":%.1f,"
                        + "\"cpu_pct_core\":%.1f,\"raft_kib_per_s\":%.1f,\"raft_segs_per_s\":%.1f,\"fsyncs_per_s\":%.1f,"
                        + "\"writes_per_s\":%.1f,\"write_errors\":%d,\"window_s\":%.1f,\"traced_writes_per_s\":%.1f}",
                ranges, phase, node, readySeconds, threads, rssBytes / MIB, mib(heapLiveBytes),
                mib(heapCommittedBytes), mib(directBytes), mib(threadStackBytes), cpuPercentOfCore,
                raftBytesPerSecond / 1024, raftSegmentsPerSecond, fsyncsPerSecond, writesPerSecond, writeErrors,
                windowSeconds, tracedWritesPerSecond);
    }

    static String tableHeader() {
        return "| ranges/node | phase | node | ready s | threads | RSS MiB | heap live MiB | heap committed MiB"
                + " | direct MiB | thread stacks MiB | CPU % of a core | Raft KiB/s sent | Raft segments/s sent"
                + " | fsyncs/s | writes/s (cluster) | writes/s while traced |\n"
                + "|---:|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|\n";
    }

    String tableRow() {
        return String.format(Locale.ROOT, "| %d | %s | %s | %.1f | %d | %.0f | %.0f | %.0f | %.1f | %.1f | %.1f | %.1f |"
                        + " %.0f | %s | %.0f | %.0f |%n", ranges, phase, node, readySeconds, threads, rssBytes / MIB,
                mib(heapLiveBytes), mib(heapCommittedBytes), mib(directBytes), mib(threadStackBytes), cpuPercentOfCore,
                raftBytesPerSecond / 1024, raftSegmentsPerSecond,
                fsyncsPerSecond < 0 ? "–" : String.format(Locale.ROOT, "%.1f", fsyncsPerSecond), writesPerSecond,
                tracedWritesPerSecond);
    }

    private static double mib(long bytes) {
        return bytes < 0 ? -1 : bytes / MIB;
    }
}
