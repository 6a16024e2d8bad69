package io.omendb.benchcluster;

import io.omendb.benchcommon.MachineInfo;

import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.OptionalLong;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.Callable;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.stream.Collectors;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/omendb-bench range-cost}: what a range replica costs a node process. For each range count it starts
 * {@value OmenDbTarget#NODES} {@code node} processes ({@link OmenDbTarget}: every node holds a replica of every
 * range, so range count = range replicas per node), times the start until every node's {@code GET /ready} (every
 * range has a leader), lets elections settle, then measures each node over an idle window and, with
 * {@code --load-rate}, over a window under a fixed-rate writer whose keys cycle through every range: threads and RSS
 * ({@link ProcStats}), CPU from utime + stime deltas, Raft traffic sent ({@link RaftTraffic}), then live heap after a
 * full GC, native memory ({@link JvmProbe}; the nodes run with {@code -XX:NativeMemoryTracking=summary}) and fsyncs
 * per second ({@link FsyncCount}, after the window so tracing does not perturb its CPU). After the idle window it
 * also prints each node's threads grouped by name ({@link JvmProbe#threadPrefix}).
 *
 * <p>Output: one JSON line per (range count, phase, node) and one per (range count, node) thread breakdown on
 * stdout; progress on stderr; a Markdown table in {@code range-cost-report.md}. A range count whose cluster fails
 * to become ready is reported (what was seen: threads and RSS at that moment, the nodes' last log lines) and the
 * run goes on with the next. Isolation as in {@link ClusterBenchMain}: one cluster at a time, its processes stopped
 * and its temporary directory deleted after each point (and by a shutdown hook). Bounded: each point takes at most
 * {@code --ready-timeout} + {@value #SETTLE_MS} ms + the windows + the jcmd/strace timeouts.
 */
@Command(name = "range-cost", mixinStandardHelpOptions = true,
        description = "What a range replica costs an OmenDB node: threads, memory, CPU, Raft traffic, fsyncs.")
public final class RangeCostMain implements Callable<Integer> {
    static final String PROGRAM = "bin/omendb-bench range-cost";
    /** After /ready, time for late elections and the first snapshots of state before a window starts. */
    static final long SETTLE_MS = 10_000;
    /** Writer threads: enough for a few hundred writes/s at 100 ms per write on a loaded machine. */
    private static final int WRITER_THREADS = 32;
    private static final int THREAD_PREFIXES_SHOWN = 25;
    /** Key space of the writer: at 1,024 ranges still 976 distinct keys per range. */
    private static final long KEYS = 1_000_000;
    private static final java.io.PrintStream JSON_OUT = System.out;

    @Spec
    CommandSpec spec;

    @Option(names = "--ranges", split = ",", defaultValue = "4,64,256,1024",
            description = "Range counts to measure, i.e. range replicas per node (default: ${DEFAULT-VALUE}).")
    List<Integer> rangeCounts;
    @Option(names = "--idle", defaultValue = "30", description = "Idle window seconds (default: ${DEFAULT-VALUE}).")
    int idleSeconds;
    @Option(names = "--load", defaultValue = "30", description = "Loaded window seconds (default: ${DEFAULT-VALUE}).")
    int loadSeconds;
    @Option(names = "--load-rate", defaultValue = "200", description = "Cluster-wide writes per second during the loaded"
            + " window, keys cycling through every range; 0: no loaded window (default: ${DEFAULT-VALUE}).")
    int loadRatePerSecond;
    @Option(names = "--strace", defaultValue = "5", description = "Seconds of strace per node and phase counting"
            + " fsync/fdatasync; 0: skip (default: ${DEFAULT-VALUE}).")
    int straceSeconds;
    @Option(names = "--ready-timeout", defaultValue = "600",
            description = "Seconds to wait for every range to have a leader (default: ${DEFAULT-VALUE}).")
    int readyTimeoutSeconds;
    @Option(names = "--node-jvm-opts", defaultValue = "-Xms256m -Xmx3g -XX:NativeMemoryTracking=summary",
            description = "JVM options of each node (default: ${DEFAULT-VALUE}: a small initial heap, so RSS shows"
                    + " what is used; NMT for the direct-memory and thread-stack figures).")
    String nodeJvmOptions;
    @Option(names = "--omendb-performance", split = ",",
            description = "Extra [performance] settings of the OmenDB nodes, e.g. election_timeout_min_ms=2000,"
                    + "election_timeout_max_ms=4000 (docs/CONFIG.md).")
    List<String> omendbPerformance = List.of();
    @Option(names = "--omendb-home", defaultValue = "${sys:omendb.home:-.}",
            description = "Repository root holding app/target (default: the launcher's).")
    Path omendbHome;
    @Option(names = "--report-dir", defaultValue = "${sys:omendb.home:-.}/bench-cluster/target",
            description = "Where range-cost-report.md goes.")
    Path reportDir;

    private final RunningCluster running = new RunningCluster();

    public static void main(String[] args) {
        System.setOut(System.err);
        System.exit(new CommandLine(new RangeCostMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        if (rangeCounts.stream().anyMatch(n -> n < 1) || idleSeconds < 1 || loadSeconds < 1 || loadRatePerSecond < 0
                || straceSeconds < 0 || readyTimeoutSeconds < 1) {
            System.err.println("omendb-bench range-cost: --ranges, --idle, --load, --ready-timeout must be >= 1;"
                    + " --load-rate, --strace >= 0");
            return 2;
        }
        CommandLine defaults = new CommandLine(new RangeCostMain());
        defaults.parseArgs();
        String command = ReproducingCommand.of(PROGRAM, spec, defaults.getCommandSpec());
        MachineInfo machine = MachineInfo.probe(Path.of(System.getProperty("java.io.tmpdir")));
        Runtime.getRuntime().addShutdownHook(new Thread(running::stop));
        StringBuilder table = new StringBuilder(RangeCostSample.tableHeader());
        List<String> notes = new ArrayList<>();
        for (int ranges : rangeCounts) {
            try {
                for (RangeCostSample s : measure(ranges, notes)) {
                    JSON_OUT.println(s.jsonLine());
                    table.append(s.tableRow());
                }
            } finally {
                running.stop();
            }
        }
        MachineInfo ran = machine.atEnd();
        JSON_OUT.println(ran.jsonLine("range-cost"));
        String md = "# What a range costs a node\n\nCommand: `" + command + "`\n\n" + ran.markdown() + table
                + (notes.isEmpty() ? "" : "\n" + String.join("\n", notes) + "\n");
        Files.createDirectories(reportDir);
        Files.writeString(reportDir.resolve("range-cost-report.md"), md);
        System.err.println(md);
        return 0;
    }

    private List<RangeCostSample> measure(int ranges, List<String> notes) throws Exception {
        KeySpace keys = new KeySpace(KEYS);
        OmenDbTarget target = new OmenDbTarget(omendbHome.resolve("app/target"), keys, ranges, nodeJvmOptions,
                Duration.ofSeconds(10), omendbPerformance, OmenDbTarget.Routing.ANY_NODE, readyTimeoutSeconds * 1000L);
        Path dir = Files.createTempDirectory("omendb-range-cost-");
        running.starting(target, dir);
        System.err.printf(Locale.ROOT, "[%d ranges] starting 3 node processes%n", ranges);
        long started = System.nanoTime();
        try {
            target.start(dir);
        } catch (Exception e) {
            String seen = target.pids().stream().map(this::describeProcess).collect(Collectors.joining("; "));
            String note = String.format(Locale.ROOT, "- %d ranges: not ready after %.0f s (%s). Processes then: %s",
                    ranges, seconds(started), e.getMessage().lines().findFirst().orElse(""), seen);
            JSON_OUT.printf(Locale.ROOT, "{\"bench\":\"range-cost\",\"ranges\":%d,\"phase\":\"start\",\"error\":\"%s\"}%n",
                    ranges, note.replace("\\", "\\\\").replace("\"", "'"));
            System.err.println(note + "\n" + e.getMessage());
            notes.add(note);
            return List.of();
        }
        double readySeconds = seconds(started);
        System.err.printf(Locale.ROOT, "[%d ranges] every range led after %.1f s; settling%n", ranges, readySeconds);
        Thread.sleep(SETTLE_MS);
        List<RangeCostSample> out = new ArrayList<>(window(target, ranges, "idle", readySeconds, idleSeconds, null));
        printThreadBreakdown(target, ranges);
        if (loadRatePerSecond > 0) {
            Writer writer = new Writer(target, keys, ranges, loadRatePerSecond);
            try {
                Thread.sleep(SETTLE_MS / 2);
                out.addAll(window(target, ranges, "load", readySeconds, loadSeconds, writer));
            } finally {
                writer.close();
            }
        }
        return out;
    }

    /** One window on every node: /proc and ss before and after, then jcmd and strace (outside the window). */
    private List<RangeCostSample> window(OmenDbTarget target, int ranges, String phase, double readySeconds,
                                         int seconds, Writer writer) throws Exception {
        List<Long> pids = target.pids();
        Set<Integer> raftPorts = Arrays.stream(target.raftPorts()).boxed().collect(Collectors.toSet());
        System.err.printf(Locale.ROOT, "[%d ranges] %s window, %d s%n", ranges, phase, seconds);
        Map<Long, ProcStats> before = new HashMap<>();
        for (long pid : pids) {
            before.put(pid, ProcStats.read(pid));
        }
        Map<Long, RaftTraffic.Sent> sentBefore = RaftTraffic.read(raftPorts);
        long writesBefore = writer == null ? 0 : writer.done.get();
        long errorsBefore = writer == null ? 0 : writer.errors.get();
        long t0 = System.nanoTime();
        Thread.sleep(seconds * 1000L);
        double elapsed = seconds(t0);
        Map<Long, ProcStats> after = new HashMap<>();
        for (long pid : pids) {
            after.put(pid, ProcStats.read(pid));
        }
        Map<Long, RaftTraffic.Sent> sentAfter = RaftTraffic.read(raftPorts);
        double writesPerSecond = writer == null ? 0 : (writer.done.get() - writesBefore) / elapsed;
        long writeErrors = writer == null ? 0 : writer.errors.get() - errorsBefore;
        long writesBeforeTrace = writer == null ? 0 : writer.done.get();
        long traceStarted = System.nanoTime();
        Map<Long, OptionalLong> fsyncs = straceAll(pids);
        double tracedWritesPerSecond = writer == null ? 0 : (writer.done.get() - writesBeforeTrace) / seconds(traceStarted);
        List<RangeCostSample> out = new ArrayList<>();
        for (int i = 0; i < pids.size(); i++) {
            long pid = pids.get(i);
            RaftTraffic.Sent s0 = sentBefore.getOrDefault(pid, RaftTraffic.Sent.NONE);
            RaftTraffic.Sent s1 = sentAfter.getOrDefault(pid, RaftTraffic.Sent.NONE);
            JvmProbe.Heap heap = liveHeap(pid);
            Map<String, Long> nmt = nativeMemory(pid);
            OptionalLong calls = fsyncs.get(pid);
            out.add(new RangeCostSample(ranges, phase, "n" + (i + 1), readySeconds, after.get(pid).threads(),
                    after.get(pid).rssBytes(), heap.usedBytes(), heap.committedBytes(),
                    nmt.getOrDefault("Other", -1L), nmt.getOrDefault("Thread", -1L),
                    ProcStats.cpuPercentOfCore(before.get(pid), after.get(pid), elapsed),
                    (s1.bytes() - s0.bytes()) / elapsed, (s1.dataSegments() - s0.dataSegments()) / elapsed,
                    calls.isPresent() ? calls.getAsLong() / (double) straceSeconds : -1, writesPerSecond,
                    writeErrors, elapsed, tracedWritesPerSecond));
        }
        return out;
    }

    /** strace on every node at once, so the nodes are traced over the same seconds. */
    private Map<Long, OptionalLong> straceAll(List<Long> pids) throws Exception {
        Map<Long, OptionalLong> out = new HashMap<>();
        if (straceSeconds == 0) {
            pids.forEach(pid -> out.put(pid, OptionalLong.empty()));
            return out;
        }
        ExecutorService pool = Executors.newFixedThreadPool(pids.size());
        try {
            Map<Long, Future<OptionalLong>> futures = new LinkedHashMap<>();
            for (long pid : pids) {
                futures.put(pid, pool.submit(() -> FsyncCount.count(pid, straceSeconds)));
            }
            for (Map.Entry<Long, Future<OptionalLong>> f : futures.entrySet()) {
                out.put(f.getKey(), f.getValue().get());
            }
        } finally {
            pool.shutdownNow();
        }
        return out;
    }

    private static JvmProbe.Heap liveHeap(long pid) {
        try {
            JvmProbe.jcmd(pid, "GC.run");
            return JvmProbe.heap(JvmProbe.jcmd(pid, "GC.heap_info"));
        } catch (Exception e) {
            System.err.println("jcmd GC.heap_info on " + pid + " failed: " + e.getMessage());
            return new JvmProbe.Heap(-1, -1);
        }
    }

    private static Map<String, Long> nativeMemory(long pid) {
        try {
            return JvmProbe.nativeCommittedBytes(JvmProbe.jcmd(pid, "VM.native_memory", "summary"));
        } catch (Exception e) {
            System.err.println("jcmd VM.native_memory on " + pid + " failed: " + e.getMessage());
            return Map.of();
        }
    }

    /** One JSON line per node: its threads by name prefix, largest first (the rest summed as "(other)"). */
    private static void printThreadBreakdown(OmenDbTarget target, int ranges) {
        List<Long> pids = target.pids();
        for (int i = 0; i < pids.size(); i++) {
            try {
                Map<String, Integer> byPrefix = JvmProbe.threadsByPrefix(JvmProbe.jcmd(pids.get(i), "Thread.print"));
                List<Map.Entry<String, Integer>> sorted = byPrefix.entrySet().stream()
                        .sorted(Map.Entry.<String, Integer>comparingByValue().reversed()).toList();
                StringBuilder json = new StringBuilder(String.format(Locale.ROOT,
                        "{\"bench\":\"range-cost\",\"ranges\":%d,\"node\":\"n%d\",\"java_threads\":%d,\"threads_by_prefix\":{",
                        ranges, i + 1, byPrefix.values().stream().mapToInt(Integer::intValue).sum()));
                int other = 0;
                for (int k = 0; k < sorted.size(); k++) {
                    if (k < THREAD_PREFIXES_SHOWN) {
                        json.append(k == 0 ? "" : ",").append('"').append(sorted.get(k).getKey().replace("\"", "'"))
                                .append("\":").append(sorted.get(k).getValue());
                    } else {
                        other += sorted.get(k).getValue();
                    }
                }
                JSON_OUT.println(json.append(other > 0 ? ",\"(other)\":" + other : "").append("}}"));
            } catch (Exception e) {
                System.err.println("jcmd Thread.print on n" + (i + 1) + " failed: " + e.getMessage());
            }
        }
    }

    private String describeProcess(long pid) {
        try {
            ProcStats s = ProcStats.read(pid);
            return String.format(Locale.ROOT, "pid %d: %d threads, RSS %.0f MiB", pid, s.threads(),
                    s.rssBytes() / 1048576.0);
        } catch (Exception e) {
            return "pid " + pid + ": gone";
        }
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }

    /**
     * A fixed-rate writer: write j is due at start + j / rate and goes to range j mod ranges (the first key of
     * that range's slice of the key space, then the next, ...), so every range gets writes at rate / ranges.
     * {@value #WRITER_THREADS} threads take the next due write in turn; when the cluster is slower than the rate
     * they fall behind and the achieved rate (what the report gives) is lower. Errors are counted, not retried.
     */
    private static final class Writer implements AutoCloseable {
        final AtomicLong done = new AtomicLong();
        final AtomicLong errors = new AtomicLong();
        private final AtomicLong next = new AtomicLong();
        private final ExecutorService pool = Executors.newFixedThreadPool(WRITER_THREADS);
        private volatile boolean stopped;

        Writer(KvTarget target, KeySpace keys, int ranges, int ratePerSecond) {
            long slice = keys.keyCount() / ranges;
            long start = System.nanoTime();
            for (int t = 0; t < WRITER_THREADS; t++) {
                Random random = new Random(t);
                pool.submit(() -> {
                    while (!stopped) {
                        long j = next.getAndIncrement();
                        long dueNanos = start + j * 1_000_000_000L / ratePerSecond;
                        long waitNanos = dueNanos - System.nanoTime();
                        if (waitNanos > 0) {
                            TimeUnit.NANOSECONDS.sleep(waitNanos);
                        }
                        long index = (j % ranges) * slice + (j / ranges) % slice;
                        try {
                            target.put(keys.key(index), KeySpace.value(random));
                            done.incrementAndGet();
                        } catch (Exception e) {
                            errors.incrementAndGet();
                        }
                    }
                    return null;
                });
            }
        }

        @Override
        public void close() throws InterruptedException {
            stopped = true;
            pool.shutdownNow();
            pool.awaitTermination(30, TimeUnit.SECONDS);
        }
    }
}
