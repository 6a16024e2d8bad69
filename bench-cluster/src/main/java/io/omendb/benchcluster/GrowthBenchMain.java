package io.omendb.benchcluster;

import io.omendb.benchcommon.JsonLine;
import io.omendb.benchcommon.MachineInfo;

import java.io.PrintStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/omendb-bench growth}: ranges growing on their own under a long ingest. Starts {@value OmenDbTarget#NODES}
 * {@code node} processes of the packaged jar ({@link OmenDbTarget}) with {@code --initial-ranges} ranges and automatic
 * size splits on ({@code [ranges] split_size_mb = --split-size-mb}, checked every
 * {@value #SPLIT_CHECK_INTERVAL_S} s, cool-down {@value #SPLIT_COOLDOWN_S} s; load splits and merges off), then
 * {@code --clients} closed-loop writers put {@code --ingest-mb} MiB of 16-byte keys and {@code --value-bytes} values,
 * every key once, in the order of a {@link KeyPermutation} (so every part of the key space grows at the same pace).
 * A failed write is retried up to {@value #WRITE_ATTEMPTS_MAX} times in all, then counted as lost.
 *
 * <p>Every {@code --sample-ms} ms a sampler reads {@code GET /admin/ranges} from n1 into a {@link GrowthTracker}
 * (range count, sizes, when each new range id first appeared), from before the ingest until {@code --settle-s} s after
 * it, so the last splits land.
 *
 * <p>Output: JSON lines on stdout (the machine with its load average at start and end, one line per sample, one per
 * split, a summary), progress and a human summary on stderr, a PNG ({@link GrowthChart}) at {@code --chart}. Isolation
 * as in {@link SplitBenchMain}: the cluster is stopped and its temporary directory deleted at the end (and by a
 * shutdown hook). Bounded: the ingest is a fixed key count, each write at most {@value #WRITE_ATTEMPTS_MAX} attempts of
 * at most {@code --op-timeout-s} s each.
 */
@Command(name = "growth", mixinStandardHelpOptions = true,
        description = "Ranges splitting on their own under a long ingest on a 3-node OmenDB cluster: range count,"
                + " sizes and split times.")
public final class GrowthBenchMain implements Callable<Integer> {
    static final String PROGRAM = "bin/omendb-bench growth";
    static final int SPLIT_CHECK_INTERVAL_S = 2;
    static final int SPLIT_COOLDOWN_S = 10;
    static final int WRITE_ATTEMPTS_MAX = 5;
    private static final long MIB = 1L << 20;
    private static final int ERRORS_PRINTED_MAX = 5;
    private static final long PROGRESS_EVERY_MS = 10_000;
    private static final PrintStream JSON_OUT = System.out;

    @Spec
    CommandSpec spec;

    @Option(names = "--ingest-mb", defaultValue = "1024",
            description = "MiB of keys and values to write, every key once (default: ${DEFAULT-VALUE}).")
    int ingestMb;
    @Option(names = "--split-size-mb", defaultValue = "16",
            description = "The nodes' [ranges] split_size_mb (default: ${DEFAULT-VALUE}).")
    int splitSizeMb;
    @Option(names = "--initial-ranges", defaultValue = "4",
            description = "Ranges at start, split evenly over the key space (default: ${DEFAULT-VALUE}).")
    int initialRanges;
    @Option(names = "--value-bytes", defaultValue = "4096",
            description = "Bytes per value; keys are 16 bytes (default: ${DEFAULT-VALUE}).")
    int valueBytes;
    @Option(names = "--clients", defaultValue = "32", description = "Closed-loop writers (default: ${DEFAULT-VALUE}).")
    int clients;
    @Option(names = "--sample-ms", defaultValue = "1000",
            description = "Time between two reads of GET /admin/ranges, ms (default: ${DEFAULT-VALUE}).")
    int sampleMs;
    @Option(names = "--settle-s", defaultValue = "30",
            description = "Seconds of sampling after the ingest (default: ${DEFAULT-VALUE}).")
    int settleSeconds;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of the values (default: ${DEFAULT-VALUE}).")
    long seed;
    @Mixin
    ClusterNodeOptions cluster = new ClusterNodeOptions();
    @Option(names = "--chart", defaultValue = "growth.png",
            description = "PNG to write the charts to (default: ${DEFAULT-VALUE}).")
    Path chart;

    private final RunningCluster running = new RunningCluster();

    public static void main(String[] args) {
        System.setOut(System.err);
        System.exit(new CommandLine(new GrowthBenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (ingestMb < 1 || splitSizeMb < 1 || initialRanges < 1 || initialRanges > 1024 || valueBytes < 1
                || valueBytes > 65536 || clients < 1 || clients > 4096 || sampleMs < 100 || settleSeconds < 0
                || !cluster.valid()) {
            System.err.println("omendb-bench growth: --ingest-mb, --split-size-mb, --op-timeout-s, --ready-timeout-s"
                    + " must be >= 1; --initial-ranges in 1..1024; --value-bytes in 1..65536; --clients in 1..4096;"
                    + " --sample-ms >= 100; --settle-s >= 0");
            return 2;
        }
        running.runOnce(PROGRAM, spec, new GrowthBenchMain(), this::run);
        return 0;
    }

    /** The nodes' {@code [ranges]} section: size splits at {@code splitSizeMb}, no load splits, no merges. */
    static List<String> rangesSection(int splitSizeMb) {
        return List.of("split_size_mb=" + splitSizeMb, "split_load_ops_per_s=0",
                "split_check_interval_s=" + SPLIT_CHECK_INTERVAL_S, "split_cooldown_s=" + SPLIT_COOLDOWN_S,
                "merge_size_mb=0");
    }

    private void run(String command, MachineInfo machine) throws Exception {
        KeySpace keys = new KeySpace(ingestMb * MIB / (KeySpace.KEY_BYTES + valueBytes));
        OmenDbTarget target = cluster.target(keys, initialRanges, rangesSection(splitSizeMb));
        Path dir = Files.createTempDirectory("omendb-growth-bench-");
        running.starting(target, dir);
        long t0 = System.nanoTime();
        System.err.printf(Locale.ROOT, "starting 3 node processes, %d ranges, split_size_mb %d, in %s%n",
                initialRanges, splitSizeMb, dir);
        target.start(dir);
        System.err.printf(Locale.ROOT, "serving after %.1f s; ingesting %,d keys of %d + %d bytes (%d MiB)"
                + " with %d writers%n", seconds(t0), keys.keyCount(), KeySpace.KEY_BYTES, valueBytes, ingestMb, clients);
        GrowthTracker tracker = new GrowthTracker();
        Ingest ingest = new Ingest(keys, KeySpace.KEY_BYTES + valueBytes);
        long ingestStart = System.nanoTime();
        ScheduledSampler sampler = new ScheduledSampler(target, tracker, ingest, ingestStart);
        sampler.sampleNow();
        sampler.start(sampleMs);
        double ingestSeconds;
        try {
            ingest.run(target, clients, KeySpace.value(new Random(seed), valueBytes));
            ingestSeconds = seconds(ingestStart);
            System.err.printf(Locale.ROOT, "ingest done after %.1f s; sampling %d s more%n", ingestSeconds,
                    settleSeconds);
            Thread.sleep(settleSeconds * 1000L);
        } finally {
            sampler.close();
        }
        sampler.sampleNow();
        report(command, machine.atEnd(), keys, tracker, ingest, ingestSeconds);
    }

    /**
     * The writers' shared work: positions {@code 0..keyCount-1} of a {@link KeyPermutation}, handed out in order, and
     * the bytes (key + value) acknowledged so far.
     */
    private static final class Ingest {
        private final KeySpace keys;
        private final KeyPermutation order;
        private final int recordBytes;
        private final AtomicLong nextPosition = new AtomicLong();
        private final AtomicLong acknowledged = new AtomicLong();
        private final AtomicLong retries = new AtomicLong();
        private final AtomicLong lost = new AtomicLong();
        private final AtomicInteger errorsPrinted = new AtomicInteger();

        Ingest(KeySpace keys, int recordBytes) {
            this.keys = keys;
            this.order = new KeyPermutation(keys.keyCount());
            this.recordBytes = recordBytes;
        }

        long acknowledgedBytes() {
            return acknowledged.get() * recordBytes;
        }

        void run(KvTarget target, int clients, byte[] value) throws Exception {
            ExecutorService pool = Executors.newFixedThreadPool(clients, DaemonThreads.named("growth-bench-writer"));
            try {
                List<Future<?>> writers = new ArrayList<>();
                for (int c = 0; c < clients; c++) {
                    writers.add(pool.submit(() -> write(target, value)));
                }
                for (Future<?> w : writers) {
                    w.get();
                }
            } finally {
                pool.shutdownNow();
            }
        }

        private Void write(KvTarget target, byte[] value) throws InterruptedException {
            for (long p = nextPosition.getAndIncrement(); p < keys.keyCount(); p = nextPosition.getAndIncrement()) {
                byte[] key = keys.key(order.index(p));
                if (putWithRetries(target, key, value)) {
                    acknowledged.incrementAndGet();
                } else {
                    lost.incrementAndGet();
                }
            }
            return null;
        }

        private boolean putWithRetries(KvTarget target, byte[] key, byte[] value) throws InterruptedException {
            for (int attempt = 1; attempt <= WRITE_ATTEMPTS_MAX; attempt++) {
                try {
                    target.put(key, value);
                    return true;
                } catch (Exception e) {
                    retries.incrementAndGet();
                    if (errorsPrinted.getAndIncrement() < ERRORS_PRINTED_MAX) {
                        System.err.println("write error (attempt " + attempt + "): " + e);
                    }
                    Thread.sleep(100L * attempt);
                }
            }
            return false;
        }
    }

    /** Reads {@code /admin/ranges} into the tracker on its own thread, and prints each sample as a JSON line. */
    private static final class ScheduledSampler implements AutoCloseable {
        private final OmenDbTarget target;
        private final GrowthTracker tracker;
        private final Ingest ingest;
        private final long startNanos;
        private final ScheduledExecutorService timer = Executors.newSingleThreadScheduledExecutor(
                DaemonThreads.named("growth-bench-sampler"));
        private long lastProgressNanos;

        ScheduledSampler(OmenDbTarget target, GrowthTracker tracker, Ingest ingest, long startNanos) {
            this.target = target;
            this.tracker = tracker;
            this.ingest = ingest;
            this.startNanos = startNanos;
        }

        void start(int periodMs) {
            // Fixed delay: a sample the busy cluster answers late is not followed by a burst of catching-up ones.
            timer.scheduleWithFixedDelay(this::sampleNow, periodMs, periodMs, TimeUnit.MILLISECONDS);
        }

        /** One sample; a failed read is recorded as such (the next one comes a period later). */
        synchronized void sampleNow() {
            double elapsed = seconds(startNanos);
            long ingested = ingest.acknowledgedBytes();
            String failure;
            GrowthTracker.Sample s = null;
            try {
                OmenDbTarget.Reply reply = target.adminGet("/admin/ranges");
                failure = reply.status() == 200 ? null : "HTTP " + reply.status();
                if (failure == null) {
                    s = tracker.record(elapsed, ingested, RangeRow.parse(reply.text()));
                }
            } catch (Exception e) {
                failure = e.getClass().getSimpleName();
            }
            if (s != null) {
                JSON_OUT.println(s.jsonLine());
            } else {
                tracker.recordUnanswered(elapsed, ingested);
                JSON_OUT.println(new JsonLine().put("bench", "growth").put("t_s", elapsed)
                        .put("ingested_mib", ingested / (double) MIB).put("sample_error", failure));
            }
            long now = System.nanoTime();
            if (now - lastProgressNanos >= TimeUnit.MILLISECONDS.toNanos(PROGRESS_EVERY_MS)) {
                lastProgressNanos = now;
                System.err.printf(Locale.ROOT, "%6.1f s: %7.1f MiB ingested, %s%n", elapsed, ingested / (double) MIB,
                        s == null ? "/admin/ranges: " + failure : String.format(Locale.ROOT,
                                "%3d ranges, largest %.1f MiB", s.rangeCount(), s.maxDataBytes() / (double) MIB));
            }
        }

        @Override
        public void close() throws InterruptedException {
            timer.shutdownNow();
            timer.awaitTermination(60, TimeUnit.SECONDS);
        }
    }

    private void report(String command, MachineInfo ran, KeySpace keys, GrowthTracker tracker, Ingest ingest,
                        double ingestSeconds) throws Exception {
        JSON_OUT.println(ran.jsonLine("growth"));
        List<GrowthTracker.Split> splits = tracker.splits();
        for (GrowthTracker.Split s : splits) {
            JSON_OUT.println(new JsonLine().put("bench", "growth").put("split_range", s.id())
                    .put("first_seen_s", s.firstSeenS()));
        }
        long[] sizes = tracker.latestSizesSorted();
        double minMib = sizes.length == 0 ? -1 : sizes[0] / (double) MIB;
        double medianMib = sizes.length == 0 ? -1 : sizes[sizes.length / 2] / (double) MIB;
        double maxMib = sizes.length == 0 ? -1 : sizes[sizes.length - 1] / (double) MIB;
        int finalRanges = tracker.latest().size();
        double lastSplitS = splits.isEmpty() ? -1 : splits.get(splits.size() - 1).firstSeenS();
        long ingestedBytes = ingest.acknowledgedBytes();
        double mibPerS = ingestedBytes / (double) MIB / ingestSeconds;
        double writesPerS = ingest.acknowledged.get() / ingestSeconds;
        String leaders = tracker.leadersPerNode().entrySet().stream().map(e -> e.getKey() + ":" + e.getValue())
                .collect(Collectors.joining(" "));
        JSON_OUT.println(new JsonLine().put("bench", "growth").put("summary", "growth")
                .put("initial_ranges", initialRanges).put("split_size_mb", splitSizeMb).put("ingest_mb", ingestMb)
                .put("value_bytes", valueBytes).put("keys", keys.keyCount()).put("clients", clients)
                .put("final_ranges", finalRanges).put("splits", splits.size()).put("last_split_s", lastSplitS)
                .put("ingest_s", ingestSeconds).put("ingest_mib_per_s", mibPerS).put("writes_per_s", writesPerS)
                .put("write_retries", ingest.retries.get()).put("writes_lost", ingest.lost.get())
                .put("range_mib_min", minMib).put("range_mib_median", medianMib).put("range_mib_max", maxMib)
                .put("peak_range_mib", tracker.peakRangeBytes() / (double) MIB).put("leaders_per_node", leaders)
                .put("samples_answered", tracker.samples().size()).put("samples_unanswered", tracker.unanswered())
                .put("longest_gap_s", tracker.longestGapS()));
        JSON_OUT.flush();
        String title = String.format(Locale.ROOT, "%d MiB ingest, split_size_mb %d, %d writers", ingestMb,
                splitSizeMb, clients);
        GrowthChart.write(tracker, title, chart);
        System.err.printf(Locale.ROOT, """

                Command: %s
                %s
                Ingest: %,d keys of %d + %d bytes in %.1f s: %.1f MiB/s, %,.0f writes/s, %d retries, %d lost
                Ranges: %d at start, %d at the end, %d splits, the last seen at %.1f s (ingest ended at %.1f s)
                Range sizes at the end (data_bytes): min %.1f MiB, median %.1f MiB, max %.1f MiB; largest ever %.1f MiB \
                (split_size_mb %d)
                Leaders per node at the end: %s (every node holds a replica of every range)
                Samples of /admin/ranges: %d answered, %d not (timed out on the busy cluster); longest gap %.1f s
                Chart: %s
                %n""", command, ran.markdown(), keys.keyCount(), KeySpace.KEY_BYTES, valueBytes, ingestSeconds,
                mibPerS, writesPerS, ingest.retries.get(), ingest.lost.get(), initialRanges, finalRanges,
                splits.size(), lastSplitS, ingestSeconds, minMib, medianMib, maxMib,
                tracker.peakRangeBytes() / (double) MIB, splitSizeMb, leaders, tracker.samples().size(),
                tracker.unanswered(), tracker.longestGapS(), chart.toAbsolutePath());
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
