package io.omendb.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omendb.chaos.check.FinalStateCheck;
import io.omendb.chaos.check.LinearizabilityChecker;
import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.ChaosNetwork;
import io.omendb.chaos.cluster.ClusterSpec;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.chaos.cluster.RangeInfo;
import io.omendb.chaos.history.History;
import io.omendb.chaos.history.Op;
import io.omendb.chaos.nemesis.FaultRecord;
import io.omendb.chaos.nemesis.FaultSchedule;
import io.omendb.chaos.nemesis.FaultType;
import io.omendb.chaos.nemesis.LeaderMonitor;
import io.omendb.chaos.nemesis.Nemesis;
import io.omendb.chaos.report.ChaosReport;
import io.omendb.chaos.workload.KeySpace;
import io.omendb.chaos.workload.KvClient;
import io.omendb.chaos.workload.RecoveryProbe;
import io.omendb.chaos.workload.Timeline;
import io.omendb.chaos.workload.Workload;

import java.io.IOException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Random;
import java.util.TreeSet;

/**
 * One chaos run, start to finish: network and cluster up, preload, workload, faults (each healed and measured),
 * heal everything, stop the workload, final scan, checks (linearizability per key, lost acknowledged writes,
 * phantoms, replica convergence), report. The cluster and network are torn down in every case.
 *
 * <p>Everything random (fault order and targets, holds, client choices) comes from the seed, so a run's fault
 * plan can be replayed; timing on a loaded machine still differs between runs.
 */
public final class ChaosRun {
    static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    static final Duration CLIENT_TIMEOUT = Duration.ofSeconds(5);
    static final int QUERY_DEADLINE_MS = 3_000;
    static final int PRELOAD_BATCH = 500;
    static final int SCAN_PAGE = 5_000;
    static final long CONVERGENCE_BOUND_MS = 120_000;
    static final long SETTLE_MS = 5_000;
    static final long EXPLORED_STATES_MAX = 2_000_000;
    /** The fault schedule draws from its own generator, so its plan does not shift with the number of targets drawn. */
    static final long SCHEDULE_SEED_SALT = 0x5C4ED;

    private static final ObjectMapper JSON = new ObjectMapper();

    private final ChaosOptions o;
    private final Random random;
    private final KeySpace keys;

    public ChaosRun(ChaosOptions options) {
        this.o = options;
        this.random = new Random(options.seed());
        this.keys = new KeySpace(options.ranges(), options.keysPerRange(), options.epochMs());
    }

    public ChaosReport execute() throws IOException, InterruptedException {
        Files.createDirectories(o.outputDir());
        Path work = Files.createTempDirectory("omendb-chaos-");
        ClusterSpec spec = new ClusterSpec(o.nodes(), keys.splitPoints(), 200, 64, QUERY_DEADLINE_MS, 384);
        ChaosNetwork network = ChaosNetwork.create(o.nodes(), random);
        if (network.mode() == ChaosNetwork.Mode.LOOPBACK) {
            System.err.println("chaos: WARNING falling back to 127.0.77.x addresses: " + network.fallbackReason());
        }
        List<FaultType> faults = o.faults().stream().filter(f -> network.canPartition() || !f.needsPartitions()).toList();
        ChaosCluster cluster = ChaosCluster.start(spec, network, o.projectRoot(), work);
        try {
            return run(cluster, faults, work);
        } finally {
            cluster.close();
            keepNodeLogs(cluster, o.outputDir().resolve("chaos-logs"));
            deleteTree(work);
        }
    }

    private ChaosReport run(ChaosCluster cluster, List<FaultType> faults, Path work)
            throws IOException, InterruptedException {
        long origin = System.nanoTime();
        cluster.awaitReady(READY_TIMEOUT);
        log("cluster of %d nodes ready in %.1f s (%s)", o.nodes(), (System.nanoTime() - origin) / 1e9,
                cluster.network().mode());
        History history = new History();
        Timeline timeline = new Timeline(origin);
        KvClient kv = new KvClient(cluster, history, timeline, CLIENT_TIMEOUT);
        RecoveryProbe probe = new RecoveryProbe(cluster, kv, keys);
        preload(cluster, kv);
        if (probe.measure(System.nanoTime(), o.rtoBoundMs()).join() < 0) {
            throw new IllegalStateException("the healthy cluster did not accept a write on every range");
        }
        Nemesis nemesis = new Nemesis(cluster, probe, keys, timeline, random, o.rtoBoundMs());
        List<FaultRecord> records = new ArrayList<>();
        Workload workload = new Workload(cluster, kv, keys, o.clients(), o.seed(), origin);
        long leaderChanges;
        long workloadStart = System.nanoTime();
        try (LeaderMonitor monitor = new LeaderMonitor(cluster)) {
            workload.start();
            try {
                injectFaults(nemesis, faults, records);
            } finally {
                nemesis.healAll();
            }
            cluster.awaitReady(READY_TIMEOUT);
            Thread.sleep(o.quietMs());
            workload.stop();
            leaderChanges = monitor.changes();
        }
        long workloadEnd = System.nanoTime();
        Thread.sleep(SETTLE_MS);
        log("workload stopped: %d operations recorded; checking", history.size());
        return check(cluster, history, timeline, records, leaderChanges, (workloadEnd - workloadStart) / 1e9);
    }

    private void injectFaults(Nemesis nemesis, List<FaultType> faults, List<FaultRecord> records)
            throws IOException, InterruptedException {
        long start = System.nanoTime();
        FaultSchedule schedule = new FaultSchedule(faults, o.randomOrder(), o.faultsMax(),
                new Random(o.seed() ^ SCHEDULE_SEED_SALT));
        while (schedule.hasNext(System.nanoTime() - start >= o.durationMs() * 1_000_000)) {
            Thread.sleep(o.quietMs());
            FaultType type = schedule.next();
            long hold = type == FaultType.PAUSE ? between(o.pauseMinMs(), o.pauseMaxMs())
                    : type == FaultType.KILL_ALL ? 0 : between(o.holdMinMs(), o.holdMaxMs());
            FaultRecord r = nemesis.run(type, hold);
            records.add(r);
            log("fault %d %s on %s at %.1f s held %d ms: RTO %d ms%s", records.size(), type, r.targets(), r.startS(),
                    hold, r.rtoMs(), type == FaultType.WIPE_RESTART ? ", catch-up " + r.catchUpMs()
                            + " ms, snapshot installs " + r.snapshotInstalls() : "");
        }
    }

    private long between(long min, long max) {
        return min + (max > min ? (long) (random.nextDouble() * (max - min)) : 0);
    }

    /** Batches of {@link #PRELOAD_BATCH} puts per range, each recorded as one PUT per key. */
    private void preload(ChaosCluster cluster, KvClient kv) throws IOException, InterruptedException {
        String pad = "x".repeat(Math.max(0, o.preloadValueBytes() - 24));
        NodeProcess node = cluster.nodes().get(0);
        for (int r = 0; r < o.ranges(); r++) {
            for (int from = 0; from < o.preloadKeysPerRange(); from += PRELOAD_BATCH) {
                ArrayNode ops = JSON.createArrayNode();
                Map<String, String> batch = new LinkedHashMap<>();
                for (int i = from; i < Math.min(o.preloadKeysPerRange(), from + PRELOAD_BATCH); i++) {
                    String key = keys.preloadKey(r, i);
                    String value = "pre-" + r + "-" + i + "-" + pad;
                    batch.put(key, value);
                    ops.addObject().put("op", "put").put("key", key).put("value", value);
                }
                ObjectNode body = JSON.createObjectNode();
                body.set("ops", ops);
                long invoked = System.nanoTime();
                HttpResponse<String> resp = cluster.http().send(HttpRequest.newBuilder(cluster.uri(node, "/v1/batch"))
                        .timeout(CLIENT_TIMEOUT.multipliedBy(4)).header("Content-Type", "application/json")
                        .POST(HttpRequest.BodyPublishers.ofString(body.toString())).build(),
                        HttpResponse.BodyHandlers.ofString());
                if (resp.statusCode() != 200) {
                    throw new IllegalStateException("preload batch refused by the healthy cluster: "
                            + resp.statusCode() + " " + resp.body());
                }
                long done = System.nanoTime();
                History h = kv.history();
                batch.forEach((k, v) -> h.add(new Op(h.nextId(), "preload", Op.Type.PUT, k, v, null, invoked, done,
                        Op.Outcome.OK, null, false)));
            }
        }
        log("preloaded %d keys of %d bytes per range", o.preloadKeysPerRange(), o.preloadValueBytes());
    }

    private ChaosReport check(ChaosCluster cluster, History history, Timeline timeline, List<FaultRecord> faults,
                              long leaderChanges, double workloadSeconds) throws IOException, InterruptedException {
        NodeProcess reader = cluster.serving().get(0);
        long invoked = System.nanoTime();
        Map<String, String> finalValues = new KvClient(cluster, history, timeline, CLIENT_TIMEOUT.multipliedBy(6))
                .scanAll(reader, "", "", SCAN_PAGE, false);
        long done = System.nanoTime();
        TreeSet<String> allKeys = new TreeSet<>(history.byKey().keySet());
        allKeys.addAll(finalValues.keySet());
        for (String k : allKeys) {
            history.add(new Op(history.nextId(), "final-scan", Op.Type.GET, k, null, null, invoked, done,
                    Op.Outcome.OK, finalValues.get(k), false));
        }
        Map<String, List<Op>> byKey = history.byKey();
        List<LinearizabilityChecker.Result> bad = new ArrayList<>();
        long checkStart = System.nanoTime();
        for (Map.Entry<String, List<Op>> e : byKey.entrySet()) {
            LinearizabilityChecker.Result r = new LinearizabilityChecker(EXPLORED_STATES_MAX).check(e.getKey(), e.getValue());
            if (!r.ok()) {
                bad.add(r);
            }
        }
        log("linearizability: %d keys checked in %.1f s, %d not linearizable", byKey.size(),
                (System.nanoTime() - checkStart) / 1e9, bad.size());
        List<FinalStateCheck.Problem> lost = FinalStateCheck.lostAcknowledgedWrites(byKey, finalValues);
        List<FinalStateCheck.Problem> phantoms = FinalStateCheck.phantoms(byKey, finalValues);
        ChaosReport.Convergence convergence = convergence(cluster, new KvClient(cluster, history, timeline,
                CLIENT_TIMEOUT.multipliedBy(6)));
        return ChaosReport.build(o, cluster.network(), history.snapshot(), timeline, faults, leaderChanges,
                workloadSeconds, byKey.size(), bad, lost, phantoms, convergence, finalValues.size());
    }

    /** Every replica of every range, read through its own node (stale scan), until they agree or the bound. */
    private ChaosReport.Convergence convergence(ChaosCluster cluster, KvClient kv) throws InterruptedException {
        long start = System.nanoTime();
        long deadline = start + CONVERGENCE_BOUND_MS * 1_000_000;
        Map<Long, Map<String, String>> digests = new LinkedHashMap<>();
        boolean converged = false;
        while (!converged && System.nanoTime() < deadline) {
            converged = true;
            digests.clear();
            for (RangeInfo r : cluster.awaitRanges(READY_TIMEOUT)) {
                Map<String, String> perReplica = new LinkedHashMap<>();
                Map<String, String> first = null;
                for (String peer : r.peers()) {
                    try {
                        Map<String, String> items = kv.scanAll(cluster.node(peer), r.start(),
                                r.end() == null ? "" : r.end(), SCAN_PAGE, true);
                        perReplica.put(peer, ChaosReport.digest(items));
                        converged &= first == null || first.equals(items);
                        first = first == null ? items : first;
                    } catch (IOException e) {
                        perReplica.put(peer, "unreadable: " + e.getMessage());
                        converged = false;
                    }
                }
                digests.put(r.id(), perReplica);
            }
            if (!converged) {
                Thread.sleep(1_000);
            }
        }
        long waited = (System.nanoTime() - start) / 1_000_000;
        log("replica convergence: %s after %d ms", converged ? "identical" : "DIFFERENT", waited);
        return new ChaosReport.Convergence(converged, waited, digests);
    }

    static void log(String format, Object... args) {
        System.out.println("chaos: " + String.format(format, args));
        System.out.flush();
    }

    /** The nodes' logs outlive the run's temp directory: they are what a failure is diagnosed from. */
    private static void keepNodeLogs(ChaosCluster cluster, Path dir) throws IOException {
        Files.createDirectories(dir);
        for (NodeProcess n : cluster.nodes()) {
            if (Files.exists(n.log())) {
                Files.copy(n.log(), dir.resolve(n.id() + ".log"), java.nio.file.StandardCopyOption.REPLACE_EXISTING);
            }
        }
    }

    private static void deleteTree(Path dir) throws IOException {
        try (var files = Files.walk(dir)) {
            for (Path p : files.sorted(java.util.Comparator.reverseOrder()).toList()) {
                Files.deleteIfExists(p);
            }
        }
    }
}
