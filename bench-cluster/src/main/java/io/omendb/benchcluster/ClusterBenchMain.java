package io.omendb.benchcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;
import io.omendb.benchcommon.MachineInfo;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/omendb-bench cluster}: starts each target cluster in turn (OmenDB, etcd, RheaKV), loads the key
 * space, runs every requested workload (a warm-up until throughput is steady, see {@link WarmupRule}, then a
 * measured period), stops the target, and prints one JSON line per (target, workload) on stdout; progress goes
 * to stderr. With {@code --rounds N} it does all of that N times, targets interleaved (A B C, A B C, ...), so slow
 * drift of the machine falls on every target alike; the report gives each cell's median and the ratios per round.
 * At the end it prints a {@code machine} record ({@link MachineInfo}: probed at the start in the temporary directory
 * the targets' data go to, load average read again at the end) and writes {@code cluster-report.md} (under the same
 * machine header) and {@code cluster-report.png} into the report directory.
 *
 * <p>Isolation: one target runs at a time; each gets a fresh temporary directory, deleted afterwards, and its
 * processes are killed in {@code finally} (and by a shutdown hook if this JVM is interrupted).
 */
@Command(name = "cluster", mixinStandardHelpOptions = true,
        description = "Replicated KV benchmark: OmenDB vs etcd vs RheaKV, 3 replicas each on this machine.")
public final class ClusterBenchMain implements java.util.concurrent.Callable<Integer> {
    private static final int PRELOAD_BATCH_KEYS = 100;
    private static final int PRELOAD_THREADS = 4;
    /** Attempts per preload batch: a batch put is idempotent, so one that timed out on a loaded machine is resent. */
    private static final int PRELOAD_ATTEMPTS_MAX = 5;
    /** How long to wait, after the measured period, for JFR to finish writing the recording. */
    private static final long JFR_WRITE_WAIT_MS = 60_000;
    static final String PROGRAM = "bin/omendb-bench cluster";
    /** The launcher's environment variable holding this JVM's own options. */
    static final String ENV_JVM_OPTS = "OMENDB_BENCH_CLUSTER_JVM_OPTS";

    @Spec
    CommandSpec spec;

    @Option(names = "--workload", split = ",", defaultValue = "write,read,mixed",
            description = "Comma list of write, read, mixed, scan (default: ${DEFAULT-VALUE}).")
    List<String> workloads;
    @Option(names = "--clients", defaultValue = "64", description = "Closed-loop clients (default: ${DEFAULT-VALUE}).")
    int clients;
    @Option(names = "--duration", defaultValue = "20", description = "Measured seconds per workload.")
    int durationSeconds;
    @Option(names = "--rounds", defaultValue = "1", description = "Rounds: every target in turn, then again; the"
            + " report gives each cell's median and the ratios per round (default: ${DEFAULT-VALUE}).")
    int rounds;
    @Option(names = "--warmup", defaultValue = "150",
            description = "Minimum warm-up seconds before each measurement (default: ${DEFAULT-VALUE}: on 2 shared cores"
                    + " the JVM targets' JIT takes a third of the CPU for about two minutes, while 10-s windows can"
                    + " already look steady; docs/BENCHMARKS.md).")
    int warmupSeconds;
    @Option(names = "--warmup-window", defaultValue = "10", description =
            "Warm-up window seconds; throughput is compared window to window (default: ${DEFAULT-VALUE}).")
    int warmupWindowSeconds;
    @Option(names = "--warmup-tolerance", defaultValue = "5",
            description = "Warm-up ends when the mean ops/s of the last three windows differs from that of the three"
                    + " before them by less than this percentage (default: ${DEFAULT-VALUE}).")
    double warmupTolerancePercent;
    @Option(names = "--warmup-max", defaultValue = "300",
            description = "Maximum warm-up seconds; ending here without a steady mean is reported \"steady\":false"
                    + " (default: ${DEFAULT-VALUE}; 0 with --warmup 0: no warm-up).")
    int warmupMaxSeconds;
    @Option(names = "--targets", split = ",", defaultValue = "omendb,etcd,rheakv",
            description = "Comma list of omendb (clients spread over the nodes), omendb-leader (range-aware clients), etcd, rheakv.")
    List<String> targets;
    @Option(names = "--dist", defaultValue = "uniform", description = "Key choice: uniform or zipfian.")
    String distribution;
    @Option(names = "--keys", defaultValue = "1000000", description = "Key space size.")
    long keyCount;
    @Option(names = "--preload", defaultValue = "-1",
            description = "Keys written before measuring (default: the whole key space).")
    long preloadCount;
    @Option(names = "--ranges", defaultValue = "4", description = "OmenDB ranges and RheaKV regions.")
    int ranges;
    @Option(names = "--seed", defaultValue = "42", description = "Seed of key choice and values.")
    long seed;
    @Option(names = "--op-timeout-ms", defaultValue = "10000", description = "Per-operation timeout (an error).")
    long opTimeoutMs;
    @Option(names = "--omendb-home", defaultValue = "${sys:omendb.home:-.}",
            description = "Repository root holding app/target (default: the launcher's).")
    Path omendbHome;
    @Option(names = "--etcd-binary", description = "etcd executable (default: etcd on PATH).")
    String etcdBinary;
    @Option(names = "--omendb-performance", split = ",",
            description = "Extra [performance] settings of the OmenDB nodes, e.g. leader_lease_enabled=true,"
                    + "group_commit_entries_in_flight_max=2 (docs/CONFIG.md).")
    List<String> omendbPerformance = List.of();
    @Option(names = "--node-jvm-opts", defaultValue = "-Xms2g -Xmx2g -XX:+AlwaysPreTouch",
            description = "JVM options of each OmenDB node (default: ${DEFAULT-VALUE}: a fixed, pre-touched heap, as"
                    + " docs/OPERATIONS.md recommends; RheaKV's JVM gets the same policy).")
    String nodeJvmOptions;
    @Option(names = "--rheakv-jvm-opts", defaultValue = "-Xms6g -Xmx6g -XX:+AlwaysPreTouch",
            description = "JVM options of the RheaKV store JVM holding all 3 stores (default: ${DEFAULT-VALUE}).")
    String rheaJvmOptions;
    @Option(names = "--report-dir", defaultValue = "${sys:omendb.home:-.}/bench-cluster/target",
            description = "Where cluster-report.md and cluster-report.png go.")
    Path reportDir;
    @Option(names = "--jfr-dir", description = "Record JFR on OmenDB node n1 during the measured write period.")
    Path jfrDir;

    private final AtomicReference<KvTarget> running = new AtomicReference<>();
    private final AtomicReference<Path> runningDir = new AtomicReference<>();

    /** stdout carries only the JSON lines: libraries that print to System.out (sofa-common) are sent to stderr. */
    private static final java.io.PrintStream JSON_OUT = System.out;

    public static void main(String[] args) {
        System.setOut(System.err);
        System.exit(new CommandLine(new ClusterBenchMain()).execute(args));
    }

    @Override
    public Integer call() throws Exception {
        List<Workload> parsed = workloads.stream().map(Workload::parse).toList();
        KeySpace keys = new KeySpace(keyCount);
        long preload = preloadCount < 0 ? keyCount : Math.min(preloadCount, keyCount);
        KeyChooser.of(distribution, keyCount, seed);
        WarmupRule warmup;
        try {
            warmup = new WarmupRule(warmupSeconds * 1000L, warmupWindowSeconds * 1000L, warmupMaxSeconds * 1000L,
                    warmupTolerancePercent / 100);
        } catch (IllegalArgumentException e) {
            System.err.println("omendb-bench cluster: " + e.getMessage()
                    + " (--warmup, --warmup-window, --warmup-max are seconds, --warmup-tolerance a percentage)");
            return 2;
        }
        if (rounds < 1 || rounds > 100) {
            System.err.println("omendb-bench cluster: --rounds must be in 1..100, got " + rounds);
            return 2;
        }
        if (targets.contains("etcd")) {
            try {
                etcdBinary = EtcdTarget.locate(etcdBinary);
            } catch (IllegalStateException e) {
                System.err.println("omendb-bench cluster: " + e.getMessage());
                return 2;
            }
        }
        MachineInfo machine = MachineInfo.probe(Path.of(System.getProperty("java.io.tmpdir")));
        String command = command(System.getenv());
        Runtime.getRuntime().addShutdownHook(new Thread(() -> {
            KvTarget t = running.getAndSet(null);
            if (t != null) {
                t.close();
            }
            Path dir = runningDir.getAndSet(null);
            if (dir != null) {
                try {
                    deleteTree(dir);
                } catch (IOException e) {
                    System.err.println("cannot delete " + dir + ": " + e);
                }
            }
        }));
        List<Result> results = new ArrayList<>();
        List<String> failed = new ArrayList<>();
        for (int round = 1; round <= rounds; round++) {
            if (rounds > 1) {
                System.err.printf("round %d of %d%n", round, rounds);
            }
            for (String name : targets) {
                KvTarget target = create(name, keys);
                try {
                    results.addAll(runTarget(target, keys, preload, parsed, warmup, round));
                } catch (Exception e) {
                    // One target failing (e.g. timeouts on an overloaded machine) must not hide the others' numbers.
                    failed.add(name + (rounds > 1 ? " (round " + round + ")" : ""));
                    System.err.println("[" + name + "] FAILED, no numbers for this target: " + e);
                }
            }
        }
        machine = machine.atEnd();
        JSON_OUT.println(machine.jsonLine("cluster"));
        JSON_OUT.flush();
        Files.createDirectories(reportDir);
        Files.writeString(reportDir.resolve("cluster-report.md"), Report.markdown(results, command, machine.markdown()));
        Report.writeChart(results, reportDir.resolve("cluster-report.png"));
        System.err.println("report: " + reportDir.resolve("cluster-report.md") + ", chart: "
                + reportDir.resolve("cluster-report.png"));
        if (!failed.isEmpty()) {
            System.err.println("omendb-bench cluster: targets failed: " + String.join(",", failed));
            return 1;
        }
        return 0;
    }

    /**
     * The command that reproduces this run, as the report states it: every option given or differing from its
     * default ({@link ReproducingCommand}; call after the options are final, e.g. the etcd binary located), preceded
     * by the launcher's JVM options when they were set in {@code env}.
     */
    String command(Map<String, String> env) {
        CommandLine defaults = new CommandLine(new ClusterBenchMain());
        defaults.parseArgs();
        String jvmOpts = env.get(ENV_JVM_OPTS);
        return (jvmOpts == null ? "" : ENV_JVM_OPTS + "=" + ReproducingCommand.quote(jvmOpts) + " ")
                + ReproducingCommand.of(PROGRAM, spec, defaults.getCommandSpec());
    }

    private KvTarget create(String name, KeySpace keys) {
        Duration timeout = Duration.ofMillis(opTimeoutMs);
        return switch (name.trim()) {
            case "omendb" -> new OmenDbTarget(omendbHome.resolve("app/target"), keys, ranges, nodeJvmOptions,
                    timeout, omendbPerformance, OmenDbTarget.Routing.ANY_NODE, OmenDbTarget.READY_TIMEOUT_MS);
            case "omendb-leader" -> new OmenDbTarget(omendbHome.resolve("app/target"), keys, ranges,
                    nodeJvmOptions, timeout, omendbPerformance, OmenDbTarget.Routing.RANGE_LEADER,
                    OmenDbTarget.READY_TIMEOUT_MS);
            case "etcd" -> new EtcdTarget(etcdBinary, timeout);
            case "rheakv" -> new RheaKvTarget(keys, ranges, rheaJvmOptions, opTimeoutMs);
            default -> throw new CommandLine.ParameterException(new CommandLine(this),
                    "unknown target '" + name + "' (use omendb, omendb-leader, etcd, rheakv)");
        };
    }

    private List<Result> runTarget(KvTarget target, KeySpace keys, long preload, List<Workload> list,
                                   WarmupRule warmup, int round) throws Exception {
        Path workDir = Files.createTempDirectory("omendb-bench-" + target.name() + "-");
        running.set(target);
        runningDir.set(workDir);
        List<Result> results = new ArrayList<>();
        try {
            long t0 = System.nanoTime();
            System.err.printf("[%s] starting 3 replicas in %s%n", target.name(), workDir);
            target.start(workDir);
            System.err.printf("[%s] serving after %.1f s; preloading %,d keys%n", target.name(),
                    (System.nanoTime() - t0) / 1e9, preload);
            preload(target, keys, preload, ranges, KeySpace.value(new Random(seed)));
            for (Workload w : list) {
                LoadGenerator.Settings settings = new LoadGenerator.Settings(clients, warmup,
                        durationSeconds * 1000L, distribution, seed);
                ExecutorService profiler = maybeProfiler(target, w);
                Result r = LoadGenerator.run(target, w, keys, settings, () -> {
                    target.layout().ifPresent(l -> System.err.printf("[%s] %s measured with %s%n", target.name(),
                            w.label(), l));
                    startProfile(profiler, target);
                }).inRound(round);
                JSON_OUT.println(r.jsonLine());
                JSON_OUT.flush();
                results.add(r);
                if (profiler != null) {
                    finishProfile(profiler, w);
                }
            }
        } finally {
            target.close();
            running.set(null);
            deleteTree(workDir);
            runningDir.set(null);
        }
        return results;
    }

    /**
     * Writes keys 0 .. {@code count - 1}, all with {@code value}, in batches of {@value #PRELOAD_BATCH_KEYS} keys
     * that never cross one of the {@code ranges} initial ranges' bounds, {@value #PRELOAD_THREADS} batches at a
     * time, each resent up to {@value #PRELOAD_ATTEMPTS_MAX} times; prints how long it took.
     */
    static void preload(KvTarget target, KeySpace keys, long count, int ranges, byte[] value) throws Exception {
        long t0 = System.nanoTime();
        List<Long> splits = new ArrayList<>();
        for (int i = 1; i < ranges; i++) {
            splits.add(keys.keyCount() * i / ranges);
        }
        AtomicLong done = new AtomicLong();
        ExecutorService pool = Executors.newFixedThreadPool(PRELOAD_THREADS);
        try {
            List<Future<?>> futures = new ArrayList<>();
            long from = 0;
            while (from < count) {
                long to = Math.min(count, from + PRELOAD_BATCH_KEYS);
                for (long s : splits) {
                    if (s > from && s < to) {
                        to = s;
                    }
                }
                long a = from;
                long b = to;
                futures.add(pool.submit(() -> {
                    List<byte[]> batch = new ArrayList<>();
                    for (long i = a; i < b; i++) {
                        batch.add(keys.key(i));
                    }
                    putAllWithRetry(target, batch, value);
                    done.addAndGet(b - a);
                    return null;
                }));
                from = to;
            }
            for (Future<?> f : futures) {
                f.get();
            }
        } finally {
            pool.shutdownNow();
        }
        double s = (System.nanoTime() - t0) / 1e9;
        System.err.printf(Locale.ROOT, "[%s] preloaded %,d keys in %.1f s (%,.0f keys/s)%n", target.name(),
                done.get(), s, done.get() / s);
    }

    private static void putAllWithRetry(KvTarget target, List<byte[]> batch, byte[] value) throws Exception {
        for (int attempt = 1; ; attempt++) {
            try {
                target.putAll(batch, value);
                return;
            } catch (Exception e) {
                if (attempt >= PRELOAD_ATTEMPTS_MAX) {
                    throw e;
                }
                System.err.printf("[%s] preload batch failed (attempt %d of %d), resending: %s%n", target.name(),
                        attempt, PRELOAD_ATTEMPTS_MAX, e);
            }
        }
    }

    /** A thread to start JFR on OmenDB node n1 for the measured write period, or null when not profiling. */
    private ExecutorService maybeProfiler(KvTarget target, Workload w) throws IOException {
        if (jfrDir == null || !target.name().equals("omendb") || w != Workload.WRITE) {
            return null;
        }
        Files.createDirectories(jfrDir);
        return Executors.newSingleThreadExecutor();
    }

    /** Starts the recording when the measured period starts, off the load generator's thread (jcmd takes ~1 s). */
    private void startProfile(ExecutorService profiler, KvTarget target) {
        if (profiler == null) {
            return;
        }
        long pid = target.pids().get(0);
        Path file = jfrDir.toAbsolutePath().resolve("omendb-n1-write.jfr");
        profiler.execute(() -> {
            ProcessBuilder jcmd = new ProcessBuilder(Path.of(System.getProperty("java.home"), "bin", "jcmd")
                    .toString(), String.valueOf(pid), "JFR.start", "settings=profile",
                    "duration=" + durationSeconds + "s", "filename=" + file).redirectErrorStream(true);
            try {
                Process p = jcmd.start();
                String out = new String(p.getInputStream().readAllBytes());
                p.waitFor();
                System.err.print("[omendb] jcmd " + pid + " JFR.start: " + out);
            } catch (IOException | InterruptedException e) {
                System.err.println("[omendb] JFR.start failed: " + e);
            }
        });
    }

    /**
     * Waits for the recording to be written (JFR writes the file when its duration ends) and prints its hot spots.
     * A profiling problem is reported and never fails the measurement.
     */
    private void finishProfile(ExecutorService timer, Workload w) throws InterruptedException {
        timer.shutdown();
        timer.awaitTermination(30, TimeUnit.SECONDS);
        Path file = jfrDir.toAbsolutePath().resolve("omendb-n1-write.jfr");
        long deadline = System.currentTimeMillis() + JFR_WRITE_WAIT_MS;
        long lastSize = -1;
        while (System.currentTimeMillis() < deadline) {
            long size = file.toFile().length();
            if (size > 0 && size == lastSize) {
                break;
            }
            lastSize = size;
            Thread.sleep(1000);
        }
        try {
            String summary = JfrHotspots.summarize(file, 25);
            Files.writeString(jfrDir.resolve("omendb-n1-" + w.label() + "-hotspots.txt"), summary);
            System.err.print(summary);
        } catch (IOException e) {
            System.err.println("[omendb] no usable JFR recording at " + file + ": " + e);
        }
    }

    static void deleteTree(Path root) throws IOException {
        if (!Files.exists(root)) {
            return;
        }
        try (Stream<Path> paths = Files.walk(root)) {
            for (Path p : (Iterable<Path>) paths.sorted(Comparator.reverseOrder())::iterator) {
                Files.deleteIfExists(p);
            }
        }
    }
}
