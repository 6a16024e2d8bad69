package io.omendb.benchcluster;

import java.util.Locale;

/**
 * One measured (target, workload) cell. Latencies in milliseconds; throughput in operations per second;
 * {@code warmupSeconds} is the warm-up actually run before measuring and {@code steady} whether it ended because
 * throughput had settled ({@link WarmupRule}) rather than at its maximum. {@code round} is the 1-based round of a
 * {@code --rounds} run that measured it, 0 for a median over rounds ({@link Report#medians}).
 */
record Result(String target, String workload, String distribution, int clients, double opsPerSecond,
              double p50Ms, double p99Ms, double p999Ms, double maxMs, long operations, long errors,
              double measuredSeconds, double warmupSeconds, boolean steady, int round) {

    /** The machine-readable line: fixed field order (new fields only ever appended), dot decimal separator. */
    String jsonLine() {
        return String.format(Locale.ROOT,
                "{\"bench\":\"cluster\",\"target\":\"%s\",\"workload\":\"%s\",\"clients\":%d,\"ops_per_s\":%.1f,"
                        + "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"errors\":%d,\"dist\":\"%s\",\"warmup_s\":%.1f,"
                        + "\"steady\":%b,\"round\":%d}",
                target, workload, clients, opsPerSecond, p50Ms, p99Ms, errors, distribution, warmupSeconds, steady,
                round);
    }

    Result inRound(int r) {
        return new Result(target, workload, distribution, clients, opsPerSecond, p50Ms, p99Ms, p999Ms, maxMs,
                operations, errors, measuredSeconds, warmupSeconds, steady, r);
    }
}
