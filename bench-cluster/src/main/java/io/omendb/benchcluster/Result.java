package io.omendb.benchcluster;

import java.util.Locale;

/** One measured (target, workload) cell. Latencies in milliseconds; throughput in operations per second. */
record Result(String target, String workload, String distribution, int clients, double opsPerSecond,
              double p50Ms, double p99Ms, double p999Ms, double maxMs, long operations, long errors,
              double measuredSeconds) {

    /** The machine-readable line: fixed field order, numbers with a dot decimal separator. */
    String jsonLine() {
        return String.format(Locale.ROOT,
                "{\"bench\":\"cluster\",\"target\":\"%s\",\"workload\":\"%s\",\"clients\":%d,\"ops_per_s\":%.1f,"
                        + "\"p50_ms\":%.3f,\"p99_ms\":%.3f,\"errors\":%d,\"dist\":\"%s\"}",
                target, workload, clients, opsPerSecond, p50Ms, p99Ms, errors, distribution);
    }
}
