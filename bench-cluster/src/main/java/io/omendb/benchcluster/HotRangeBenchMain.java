package io.omendb.benchcluster;

import io.omendb.benchcommon.JsonLine;
import io.omendb.benchcommon.MachineInfo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.Locale;
import java.util.concurrent.Callable;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/omendb-bench hot}: one hot range, split by load. Starts {@value OmenDbTarget#NODES} {@code node}
 * processes of the packaged jar ({@link OmenDbTarget}) with ONE range, load splits on ({@code [ranges]
 * split_load_ops_per_s = --split-load-ops} over {@code split_load_window_s = --split-load-window-s}, checked every
 * {@value GrowthBenchMain#SPLIT_CHECK_INTERVAL_S} s, cool-down {@value GrowthBenchMain#SPLIT_COOLDOWN_S} s; size
 * splits and merges off) and the placement driver balancing leaders every {@code --leader-balance-s} s; then
 * {@code --clients} closed-loop writers put {@code --value-bytes} values on uniformly chosen keys of
 * {@code --keys} keys, all in that one range at first, for {@code --warmup-s} + {@code --duration-s} s.
 * {@code --split-load-ops 0} runs the same load with load splits off: the control, whose "settled" and "before" differ
 * only by drift.
 *
 * <p>Measured from the end of the warm-up, per 1-s window of completion ({@link LatencyWindows}): writes and p99.
 * A sampler reads {@code GET /admin/ranges} every second ({@link GrowthTracker}): when each new range first appeared,
 * and the leaders per node at the end. <b>Before</b>: the windows before the first new range was seen (no load split
 * can come before a whole load window has passed, so choose {@code --split-load-window-s} longer than the warm-up);
 * <b>settled</b>: the last {@code --settled-s} windows. The question it answers is the issue's: does splitting a hot
 * range by load raise what the cluster serves, on this machine?
 *
 * <p>Output: JSON lines on stdout (the machine with its load average at start and end, one line per window with the
 * ranges seen then, one per split, a summary), progress and a human summary on stderr. Isolation as in
 * {@link SplitBenchMain}: the cluster is stopped and its temporary directory deleted at the end (and by a shutdown
 * hook). Bounded: the writers run for warm-up + duration.
 */
@Command(name = "hot", mixinStandardHelpOptions = true,
        description = "One hot range on a 3-node OmenDB cluster, split by load: writes/s and p99 before the first "
                + "split and once the splits settled.")
public final class HotRangeBenchMain implements Callable<Integer> {
    static final String PROGRAM = "bin/omendb-bench hot";
    private static final PrintStream JSON_OUT = System.out;
    private static final int SAMPLE_MS = 1000;

    @Spec
    CommandSpec spec;

    @Option(names = "--clients", defaultValue = "64", description = "Closed-loop writers (default: ${DEFAULT-VALUE}).")
    int clients;
    @Option(names = "--keys", defaultValue = "1000000",
            description = "Keys the writers choose from, uniformly (default: ${DEFAULT-VALUE}).")
    long keyCount;
    @Option(names = "--value-bytes", defaultValue = "1024",
            description = "Bytes per value; keys are 16 bytes (default: ${DEFAULT-VALUE}).")
    int valueBytes;
    @Option(names = "--split-load-ops", defaultValue = "500",
            description = "The nodes' [ranges] split_load_ops_per_s; 0: load splits off, the control run (default:"
                    + " ${DEFAULT-VALUE}, under what this machine's 64 writers reach, so that the range splits).")
    long splitLoadOps;
    @Option(names = "--split-load-window-s", defaultValue = "30",
            description = "The nodes' [ranges] split_load_window_s (default: ${DEFAULT-VALUE}).")
    int splitLoadWindowSeconds;
    @Option(names = "--leader-balance-s", defaultValue = "10",
            description = "The nodes' [placement] leader_balance_interval_s (default: ${DEFAULT-VALUE}).")
    int leaderBalanceSeconds;
    @Option(names = "--warmup-s", defaultValue = "10",
            description = "Seconds of load before the measurement starts (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;
    @Option(names = "--duration-s", defaultValue = "150",
            description = "Seconds of load measured (default: ${DEFAULT-VALUE}).")
    int durationSeconds;
    @Option(names = "--settled-s", defaultValue = "30",
            description = "The last seconds of the run that count as settled (default: ${DEFAULT-VALUE}).")
    int settledSeconds;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of values and writers' keys (default: ${DEFAULT-VALUE}).")
    long seed;
    @Option(names = "--keep-logs", description = "Directory to copy the nodes' logs into before the cluster's"
            + " directory is deleted, also after a failure (default: not kept).")
    Path keepLogs;
    @Mixin
    ClusterNodeOptions cluster = new ClusterNodeOptions();

    private final RunningCluster running = new RunningCluster();

    public static void main(String[] args) {
        System.setOut(System.err);
        System.exit(new CommandLine(new HotRangeBenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (clients < 1 || clients > 4096 || keyCount < 2 || valueBytes < 1 || valueBytes > 65536 || splitLoadOps < 0
                || splitLoadWindowSeconds < 1 || leaderBalanceSeconds < 1 || warmupSeconds < 0 || durationSeconds < 2
                || settledSeconds < 1 || settledSeconds >= durationSeconds || !cluster.valid()) {
            System.err.println("omendb-bench hot: --clients in 1..4096; --keys >= 2; --value-bytes in 1..65536;"
                    + " --split-load-ops >= 0; --split-load-window-s, --leader-balance-s, --op-timeout-s,"
                    + " --ready-timeout-s >= 1; --warmup-s >= 0; --settled-s >= 1 and under --duration-s");
            return 2;
        }
        running.runOnce(PROGRAM, spec, new HotRangeBenchMain(), this::run);
        return 0;
    }

    /** The nodes' {@code [ranges]} section: load splits as asked, no size splits, no merges. */
    private List<String> rangesSection() {
        return List.of("split_size_mb=0", "split_load_ops_per_s=" + splitLoadOps,
                "split_load_window_s=" + splitLoadWindowSeconds,
                "split_check_interval_s=" + GrowthBenchMain.SPLIT_CHECK_INTERVAL_S,
                "split_cooldown_s=" + GrowthBenchMain.SPLIT_COOLDOWN_S, "merge_size_mb=0");
    }

    private void run(String command, MachineInfo machine) throws Exception {
        KeySpace keys = new KeySpace(keyCount);
        OmenDbTarget target = cluster.target(keys, 1, rangesSection(), leaderBalanceSeconds);
        Path dir = Files.createTempDirectory("omendb-hot-bench-");
        running.starting(target, dir);
        try {
            measure(command, machine, keys, target, dir);
        } finally {
            if (keepLogs != null) {
                SplitBenchMain.copyLogs(dir, keepLogs);
            }
        }
    }

    private void measure(String command, MachineInfo machine, KeySpace keys, OmenDbTarget target, Path dir)
            throws Exception {
        long t0 = System.nanoTime();
        System.err.printf(Locale.ROOT, "starting 3 node processes, one range, split_load_ops_per_s %d, in %s%n",
                splitLoadOps, dir);
        target.start(dir);
        System.err.printf(Locale.ROOT, "serving after %.1f s; %d writers of %d + %d bytes, %d s warm-up, %d s"
                + " measured%n", seconds(t0), clients, KeySpace.KEY_BYTES, valueBytes, warmupSeconds, durationSeconds);
        GrowthTracker ranges = new GrowthTracker();
        AtomicLong writtenBytes = new AtomicLong();
        LatencyWindows windows;
        long loadStart = System.nanoTime();
        try (ClosedLoopWriters writers = new ClosedLoopWriters(target, keys, valueBytes, clients, seed,
                "hot-bench-writer"); Sampler sampler = new Sampler(target, ranges, writtenBytes, loadStart)) {
            sampler.start();
            Thread.sleep(warmupSeconds * 1000L);
            long measureStart = System.nanoTime();
            windows = new LatencyWindows(measureStart, durationSeconds);
            int recordBytes = KeySpace.KEY_BYTES + valueBytes;
            writers.recordInto((key, start, end, ok) -> {
                windows.record(end, end - start, ok);
                if (ok) {
                    writtenBytes.addAndGet(recordBytes);
                }
            });
            Thread.sleep(durationSeconds * 1000L);
            sampler.sampleNow();
            report(command, machine.atEnd(), ranges, windows,
                    (measureStart - loadStart) / 1e9);
        }
    }

    private void report(String command, MachineInfo ran, GrowthTracker ranges, LatencyWindows windows,
                        double measureStartS) {
        JSON_OUT.println(ran.jsonLine("hot"));
        List<GrowthTracker.Split> splits = ranges.splits();
        List<GrowthTracker.Sample> samples = ranges.samples();
        for (int i = 0; i < windows.windowCount(); i++) {
            LatencyWindows.Stats s = windows.stats(i, i + 1);
            double atS = measureStartS + i + 1;
            JSON_OUT.println(new JsonLine().put("bench", "hot").put("window", i).put("ops", s.ops())
                    .put("errors", s.errors()).put("p99_ms", s.p99Ms()).put("max_ms", s.maxMs())
                    .put("ranges", rangesAt(samples, atS)));
        }
        for (GrowthTracker.Split s : splits) {
            JSON_OUT.println(new JsonLine().put("bench", "hot").put("split_range", s.id())
                    .put("first_seen_s", s.firstSeenS() - measureStartS));
        }
        int firstSplitWindow = splits.isEmpty() ? windows.windowCount()
                : Math.max(0, Math.min(windows.windowCount(), (int) Math.floor(splits.get(0).firstSeenS()
                - measureStartS)));
        int settledFrom = windows.windowCount() - settledSeconds;
        LatencyWindows.Stats before = windows.stats(0, firstSplitWindow);
        LatencyWindows.Stats settled = windows.stats(settledFrom, windows.windowCount());
        double beforePerS = firstSplitWindow == 0 ? -1 : before.ops() / (double) firstSplitWindow;
        double settledPerS = settled.ops() / (double) settledSeconds;
        double lastSplitS = splits.isEmpty() ? -1 : splits.get(splits.size() - 1).firstSeenS() - measureStartS;
        String leaders = ranges.leadersPerNode().entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(" "));
        LatencyWindows.Stats all = windows.stats(0, windows.windowCount());
        JSON_OUT.println(new JsonLine().put("bench", "hot").put("summary", "hot").put("clients", clients)
                .put("keys", keyCount).put("value_bytes", valueBytes).put("split_load_ops_per_s", splitLoadOps)
                .put("split_load_window_s", splitLoadWindowSeconds).put("duration_s", durationSeconds)
                .put("final_ranges", ranges.latest().size()).put("splits", splits.size())
                .put("first_split_s", splits.isEmpty() ? -1 : firstSplitWindow).put("last_split_s", lastSplitS)
                .put("windows_before", firstSplitWindow).put("writes_per_s_before", beforePerS)
                .put("p99_before_ms", before.p99Ms()).put("settled_s", settledSeconds)
                .put("writes_per_s_settled", settledPerS).put("p99_settled_ms", settled.p99Ms())
                .put("throughput_ratio", beforePerS > 0 ? settledPerS / beforePerS : -1)
                .put("errors", all.errors()).put("max_ms", all.maxMs()).put("leaders_per_node", leaders)
                .put("samples_unanswered", ranges.unanswered()));
        JSON_OUT.flush();
        System.err.printf(Locale.ROOT, """

                Command: %s
                %s
                Load: %d writers, %d + %d bytes, uniform over %,d keys; split_load_ops_per_s %d over %d s
                Ranges: 1 at start, %d at the end, %d splits (first seen at %s s, last at %.0f s of the measurement)
                Before the first split (%d s): %,.0f writes/s, p99 %.1f ms
                Settled (last %d s):        %,.0f writes/s, p99 %.1f ms; settled / before = %.2f
                Errors %d, max latency %.1f ms; leaders per node at the end: %s
                %n""", command, ran.markdown(), clients, KeySpace.KEY_BYTES, valueBytes, keyCount, splitLoadOps,
                splitLoadWindowSeconds, ranges.latest().size(), splits.size(),
                splits.isEmpty() ? "-" : String.valueOf(firstSplitWindow), lastSplitS, firstSplitWindow, beforePerS,
                before.p99Ms(), settledSeconds, settledPerS, settled.p99Ms(),
                beforePerS > 0 ? settledPerS / beforePerS : -1, all.errors(), all.maxMs(), leaders);
    }

    /** The range count of the last sample at or before {@code atS} (seconds since the load started); 1 before any. */
    static int rangesAt(List<GrowthTracker.Sample> samples, double atS) {
        int count = 1;
        for (GrowthTracker.Sample s : samples) {
            if (s.elapsedS() > atS) {
                break;
            }
            count = s.rangeCount();
        }
        return count;
    }

    /** Reads {@code /admin/ranges} into the tracker every second on its own thread. */
    private static final class Sampler implements AutoCloseable {
        private final OmenDbTarget target;
        private final GrowthTracker tracker;
        private final AtomicLong writtenBytes;
        private final long startNanos;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                DaemonThreads.named("hot-bench-sampler"));

        Sampler(OmenDbTarget target, GrowthTracker tracker, AtomicLong writtenBytes, long startNanos) {
            this.target = target;
            this.tracker = tracker;
            this.writtenBytes = writtenBytes;
            this.startNanos = startNanos;
        }

        void start() {
            timer.scheduleWithFixedDelay(this::sampleNow, 0, SAMPLE_MS, TimeUnit.MILLISECONDS);
        }

        synchronized void sampleNow() {
            double elapsed = seconds(startNanos);
            try {
                OmenDbTarget.Reply reply = target.adminGet("/admin/ranges");
                if (reply.status() == 200) {
                    tracker.record(elapsed, writtenBytes.get(), RangeRow.parse(reply.text()));
                    return;
                }
            } catch (Exception e) {
                // a busy cluster may time the read out: counted below, the next sample comes a second later
            }
            tracker.recordUnanswered(elapsed, writtenBytes.get());
        }

        @Override
        public void close() throws InterruptedException {
            timer.shutdownNow();
            timer.awaitTermination(60, TimeUnit.SECONDS);
        }
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
