package io.omendb.benchcluster;

import io.omendb.benchcommon.JsonLine;
import io.omendb.benchcommon.MachineInfo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/omendb-bench rebalance}: what adding nodes to a loaded cluster costs (issue #25). Starts
 * {@value OmenDbTarget#NODES} configured {@code node} processes of the packaged jar ({@link OmenDbTarget}, replication
 * factor 3) with {@code --ranges} even ranges, no automatic splits or merges, and a placement round every
 * {@code --balance-interval-s} s ({@code [placement] leader_balance_interval_s}; the default 60 s would make the run
 * wait on the timer, not on the moves). Preloads {@code --data-mb} MiB of keys and values, then runs {@code --clients}
 * closed-loop writers ({@link ClosedLoopWriters}, on the configured members only) for {@code --warmup-s} s unmeasured
 * and {@code --before-s} s measured, starts {@code --add} nodes that join the running cluster
 * ({@link OmenDbTarget#join}), and reads {@code GET /admin/nodes} and {@code GET /admin/ranges} from n1 every
 * {@code --sample-ms} ms until the members are balanced ({@link RebalanceTracker#balanced}) or
 * {@code --balance-timeout-s} s passed, then measures {@code --after-s} s more.
 *
 * <p>Measured: the time from starting the new processes to the first balanced sample; write throughput and
 * p50/p99/max per one-second window of completion ({@link LatencyWindows}), merged into "before" (the windows before
 * the add), "during" (from the add's window to the balanced sample's) and "after"; bytes copied onto new replicas (a
 * peer new to a range, at the range's {@code data_bytes}: {@link RebalanceTracker}) and the bytes the new nodes hold
 * at the end, each against the minimum an even spread copies ({@link RebalanceTracker#minimumBytes} of the replica
 * bytes before the add).
 *
 * <p>Output: JSON lines on stdout (the machine with its load average at start and end, one per sample, a summary),
 * progress and a human summary on stderr. Isolation as in {@link SplitBenchMain}: every process is stopped and the
 * temporary directory deleted at the end (and by a shutdown hook). Bounded: the writers run for at most warm-up +
 * before + joining (at most {@code --ready-timeout-s}) + {@code --balance-timeout-s} + after.
 */
@Command(name = "rebalance", mixinStandardHelpOptions = true,
        description = "Nodes added to a loaded 3-node OmenDB cluster: time until balanced, bytes moved, write latency"
                + " around it.")
public final class RebalanceBenchMain implements Callable<Integer> {
    static final String PROGRAM = "bin/omendb-bench rebalance";
    private static final long MIB = 1L << 20;
    private static final long PROGRESS_EVERY_MS = 10_000;
    private static final PrintStream JSON_OUT = System.out;

    @Spec
    CommandSpec spec;

    @Option(names = "--data-mb", defaultValue = "2048",
            description = "MiB of keys and values preloaded (default: ${DEFAULT-VALUE}).")
    int dataMb;
    @Option(names = "--value-bytes", defaultValue = "4096",
            description = "Bytes per value, preload and writes; keys are 16 bytes (default: ${DEFAULT-VALUE}).")
    int valueBytes;
    @Option(names = "--ranges", defaultValue = "10", description = "Ranges, split evenly over the key space"
            + " (default: ${DEFAULT-VALUE}: 30 replicas and 10 leaders spread evenly over 5 nodes).")
    int ranges;
    @Option(names = "--clients", defaultValue = "64", description = "Closed-loop writers (default: ${DEFAULT-VALUE}).")
    int clients;
    @Option(names = "--add", defaultValue = "2", description = "Nodes that join (default: ${DEFAULT-VALUE}).")
    int add;
    @Option(names = "--balance-interval-s", defaultValue = "5",
            description = "The nodes' [placement] leader_balance_interval_s (default: ${DEFAULT-VALUE}; the"
                    + " product's default is 60).")
    int balanceIntervalSeconds;
    @Option(names = "--warmup-s", defaultValue = "5",
            description = "Seconds of load before the measurement starts (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;
    @Option(names = "--before-s", defaultValue = "30",
            description = "Seconds of load measured before the add (default: ${DEFAULT-VALUE}).")
    int beforeSeconds;
    @Option(names = "--balance-timeout-s", defaultValue = "900",
            description = "Seconds after the add to wait for balance (default: ${DEFAULT-VALUE}).")
    int balanceTimeoutSeconds;
    @Option(names = "--after-s", defaultValue = "30",
            description = "Seconds of load measured after balance (default: ${DEFAULT-VALUE}).")
    int afterSeconds;
    @Option(names = "--sample-ms", defaultValue = "1000",
            description = "Time between two reads of /admin/nodes and /admin/ranges, ms (default: ${DEFAULT-VALUE}).")
    int sampleMs;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of values and writers' keys (default: ${DEFAULT-VALUE}).")
    long seed;
    @Mixin
    ClusterNodeOptions cluster = new ClusterNodeOptions();

    private final RunningCluster running = new RunningCluster();

    public static void main(String[] args) {
        System.setOut(System.err);
        System.exit(new CommandLine(new RebalanceBenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (dataMb < 1 || valueBytes < 1 || valueBytes > 65536 || ranges < 1 || ranges > 1024 || clients < 1
                || clients > 4096 || add < 1 || add > 16 || balanceIntervalSeconds < 1 || warmupSeconds < 0
                || beforeSeconds < 1 || balanceTimeoutSeconds < 1 || afterSeconds < 1 || sampleMs < 100
                || !cluster.valid()) {
            System.err.println("omendb-bench rebalance: --data-mb, --balance-interval-s, --before-s,"
                    + " --balance-timeout-s, --after-s, --op-timeout-s, --ready-timeout-s must be >= 1; --value-bytes"
                    + " in 1..65536; --ranges in 1..1024; --clients in 1..4096; --add in 1..16; --warmup-s >= 0;"
                    + " --sample-ms >= 100");
            return 2;
        }
        running.runOnce(PROGRAM, spec, new RebalanceBenchMain(), this::run);
        return 0;
    }

    /** One read of the cluster's members and ranges, {@code tS} seconds after the add; {@code null} lists: no answer. */
    private record Sample(double tS, List<RebalanceTracker.NodeRow> nodes, List<RebalanceTracker.RangePeers> ranges) {
        boolean answered() {
            return nodes != null && ranges != null;
        }
    }

    private void run(String command, MachineInfo machine) throws Exception {
        KeySpace keys = new KeySpace(dataMb * MIB / (KeySpace.KEY_BYTES + valueBytes));
        OmenDbTarget target = cluster.target(keys, ranges, OmenDbTarget.FIXED_RANGES, balanceIntervalSeconds);
        Path dir = Files.createTempDirectory("omendb-rebalance-bench-");
        running.starting(target, dir);
        long t0 = System.nanoTime();
        System.err.printf(Locale.ROOT, "starting 3 node processes, %d ranges, RF 3, [placement]"
                + " leader_balance_interval_s = %d (product default 60), in %s%n", ranges, balanceIntervalSeconds, dir);
        target.start(dir);
        System.err.printf(Locale.ROOT, "serving after %.1f s; preloading %,d keys of %d + %d bytes (%d MiB)%n",
                seconds(t0), keys.keyCount(), KeySpace.KEY_BYTES, valueBytes, dataMb);
        long preloadStart = System.nanoTime();
        ClusterBenchMain.preload(target, keys, keys.keyCount(), ranges, KeySpace.value(new Random(seed), valueBytes));
        double preloadSeconds = seconds(preloadStart);

        int windowCount = warmupSeconds + beforeSeconds + cluster.readyTimeoutSeconds + balanceTimeoutSeconds
                + afterSeconds + 4;
        RebalanceTracker tracker = new RebalanceTracker();
        LatencyWindows windows;
        Sample first;
        Sample balanced = null;
        Sample last;
        long addNanos;
        double joinSeconds;
        long endNanos;
        try (ClosedLoopWriters writers = new ClosedLoopWriters(target, keys, valueBytes, clients, seed,
                "rebalance-bench-writer")) {
            Thread.sleep(warmupSeconds * 1000L);
            windows = new LatencyWindows(System.nanoTime(), windowCount);
            writers.recordInto((key, start, end, ok) -> windows.record(end, end - start, ok));
            Thread.sleep(beforeSeconds * 1000L);
            addNanos = System.nanoTime();
            first = sample(target, addNanos);
            if (!first.answered()) {
                throw new IllegalStateException("GET /admin/nodes or /admin/ranges failed before the add");
            }
            tracker.record(first.ranges());
            System.err.printf(Locale.ROOT, "before the add: %s; starting %d joining nodes%n", describe(first), add);
            target.join(add);
            joinSeconds = seconds(addNanos);
            System.err.printf(Locale.ROOT, "new nodes answer /health after %.1f s%n", joinSeconds);
            last = first;
            long deadline = addNanos + TimeUnit.SECONDS.toNanos(balanceTimeoutSeconds);
            long lastProgress = System.nanoTime();
            while (balanced == null && System.nanoTime() < deadline) {
                Thread.sleep(sampleMs);
                Sample s = sample(target, addNanos);
                printSample(s);
                if (!s.answered()) {
                    continue;
                }
                tracker.record(s.ranges());
                last = s;
                if (RebalanceTracker.balanced(s.nodes(), OmenDbTarget.NODES + add)) {
                    balanced = s;
                }
                if (System.nanoTime() - lastProgress >= TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS)) {
                    lastProgress = System.nanoTime();
                    System.err.printf(Locale.ROOT, "%6.1f s after the add: %s%n", s.tS(), describe(s));
                }
            }
            System.err.printf(Locale.ROOT, "%s after %.1f s: %s; measuring %d s more%n",
                    balanced != null ? "balanced" : "NOT balanced", last.tS(), describe(last), afterSeconds);
            Thread.sleep(afterSeconds * 1000L);
            endNanos = System.nanoTime();
        }
        Sample end = sample(target, addNanos);
        if (end.answered()) {
            tracker.record(end.ranges());
            last = end;
        }
        report(command, machine.atEnd(), keys, preloadSeconds, windows, first, balanced, last, addNanos, joinSeconds,
                endNanos, tracker);
    }

    private static Sample sample(OmenDbTarget target, long addNanos) {
        double tS = (System.nanoTime() - addNanos) / 1e9;
        try {
            OmenDbTarget.Reply nodes = target.adminGet("/admin/nodes");
            OmenDbTarget.Reply ranges = target.adminGet("/admin/ranges");
            if (nodes.status() != 200 || ranges.status() != 200) {
                return new Sample(tS, null, null);
            }
            return new Sample(tS, RebalanceTracker.NodeRow.parse(nodes.text()),
                    RebalanceTracker.RangePeers.parse(ranges.text()));
        } catch (Exception e) {
            return new Sample(tS, null, null);
        }
    }

    /** "n1 6r/2l live, ..." for a sample. */
    private static String describe(Sample s) {
        return !s.answered() ? "no answer" : s.nodes().stream()
                .map(n -> String.format(Locale.ROOT, "%s %dr/%dl%s", n.id(), n.replicas(), n.leaders(),
                        n.state().equals("live") ? "" : " " + n.state()))
                .collect(Collectors.joining(", "));
    }

    private void printSample(Sample s) {
        JsonLine line = new JsonLine().put("bench", "rebalance").put("t_s", s.tS()).put("answered", s.answered());
        if (s.answered()) {
            line.put("nodes", describe(s)).put("moving_ranges", s.ranges().stream()
                    .filter(r -> r.peers().size() > 3).count())
                    .put("balanced", RebalanceTracker.balanced(s.nodes(), OmenDbTarget.NODES + add));
        }
        JSON_OUT.println(line);
    }

    private void report(String command, MachineInfo ran, KeySpace keys, double preloadSeconds, LatencyWindows windows,
                        Sample first, Sample balanced, Sample last, long addNanos, double joinSeconds, long endNanos,
                        RebalanceTracker tracker) {
        int addWindow = windows.windowOf(addNanos);
        long balancedNanos = balanced == null ? -1 : addNanos + (long) (balanced.tS() * 1e9);
        int duringEnd = balanced == null ? windows.windowOf(endNanos) : windows.windowOf(balancedNanos) + 1;
        int lastWindow = Math.min(windows.windowOf(endNanos) - 1, windows.windowCount() - 1);
        LatencyWindows.Stats before = windows.stats(0, addWindow);
        LatencyWindows.Stats during = windows.stats(addWindow, duringEnd);
        LatencyWindows.Stats after = windows.stats(duringEnd, lastWindow + 1);
        int duringWindows = Math.max(1, duringEnd - addWindow);
        int afterWindows = Math.max(0, lastWindow + 1 - duringEnd);
        double writesBefore = before.ops() / (double) Math.max(1, addWindow);
        double writesDuring = during.ops() / (double) duringWindows;
        double writesAfter = afterWindows == 0 ? -1 : after.ops() / (double) afterWindows;
        double p99Ratio = before.p99Ms() > 0 && during.p99Ms() > 0 ? during.p99Ms() / before.p99Ms() : -1;

        long replicaBytes = RebalanceTracker.replicaBytes(first.ranges());
        int nodesTotal = OmenDbTarget.NODES + add;
        long minimum = RebalanceTracker.minimumBytes(replicaBytes, add, nodesTotal);
        Set<String> newIds = last.nodes().stream().map(RebalanceTracker.NodeRow::id)
                .filter(id -> first.nodes().stream().noneMatch(n -> n.id().equals(id))).collect(Collectors.toSet());
        long newHold = RebalanceTracker.bytesHeldBy(last.ranges(), newIds);
        double copiedRatio = minimum > 0 ? tracker.copiedBytes() / (double) minimum : -1;
        double heldRatio = minimum > 0 ? newHold / (double) minimum : -1;
        double balancedS = balanced == null ? -1 : balanced.tS();

        JSON_OUT.println(ran.jsonLine("rebalance"));
        JSON_OUT.println(new JsonLine().put("bench", "rebalance").put("summary", "rebalance")
                .put("data_mb", dataMb).put("value_bytes", valueBytes).put("keys", keys.keyCount())
                .put("ranges", ranges).put("clients", clients).put("nodes_before", OmenDbTarget.NODES)
                .put("nodes_added", add).put("leader_balance_interval_s", balanceIntervalSeconds)
                .put("preload_s", preloadSeconds).put("join_s", joinSeconds).put("balanced", balanced != null)
                .put("balanced_s", balancedS).put("nodes_before_add", describe(first))
                .put("nodes_at_end", describe(last)).put("replica_bytes_before", replicaBytes)
                .put("min_bytes", minimum).put("copied_bytes", tracker.copiedBytes())
                .put("replica_copies", tracker.copies()).put("copied_over_min", copiedRatio)
                .put("new_nodes_hold_bytes", newHold).put("held_over_min", heldRatio)
                .put("windows_before", addWindow).put("windows_during", duringWindows)
                .put("windows_after", afterWindows)
                .put("writes_per_s_before", writesBefore).put("writes_per_s_during", writesDuring)
                .put("writes_per_s_after", writesAfter)
                .put("p50_before_ms", before.p50Ms()).put("p99_before_ms", before.p99Ms())
                .put("max_before_ms", before.maxMs()).put("p50_during_ms", during.p50Ms())
                .put("p99_during_ms", during.p99Ms()).put("max_during_ms", during.maxMs())
                .put("p50_after_ms", after.p50Ms()).put("p99_after_ms", after.p99Ms())
                .put("max_after_ms", after.maxMs()).put("p99_ratio", p99Ratio)
                .put("errors_before", before.errors()).put("errors_during", during.errors())
                .put("errors_after", after.errors()));
        JSON_OUT.flush();
        System.err.printf(Locale.ROOT, """

                Command: %s
                %s
                Data: %,d keys of %d + %d bytes (%d MiB) in %d ranges, RF 3; preload %.1f s; %d writers on n1..n3
                Placement: leader_balance_interval_s = %d (shortened from the default 60 s for this run)
                Add %d nodes: processes answering after %.1f s; %s after %.1f s (goal <= 600 s)
                  before the add: %s
                  at the end:     %s
                Bytes: replicas before the add %,d; minimum to copy (x %d/%d) %,d
                       copied onto new replicas %,d in %d copies (%.2f x minimum, goal <= 1.2)
                       held by the new nodes at the end %,d (%.2f x minimum)
                Writes  before (%d s): %,.0f writes/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors
                        during (%d s): %,.0f writes/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors
                        after  (%d s): %,.0f writes/s, p50 %.1f ms, p99 %.1f ms, max %.1f ms, %d errors
                p99 during / p99 before = %.2f (goal <= 2)
                %n""", command, ran.markdown(), keys.keyCount(), KeySpace.KEY_BYTES, valueBytes, dataMb, ranges,
                preloadSeconds, clients, balanceIntervalSeconds, add, joinSeconds,
                balanced != null ? "balanced" : "NOT balanced", balanced != null ? balancedS : last.tS(),
                describe(first), describe(last), replicaBytes, add, nodesTotal, minimum, tracker.copiedBytes(),
                tracker.copies(), copiedRatio, newHold, heldRatio, addWindow, writesBefore, before.p50Ms(),
                before.p99Ms(), before.maxMs(), before.errors(), duringWindows, writesDuring, during.p50Ms(),
                during.p99Ms(), during.maxMs(), during.errors(), afterWindows, writesAfter, after.p50Ms(),
                after.p99Ms(), after.maxMs(), after.errors(), p99Ratio);
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
