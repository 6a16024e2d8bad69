package io.omendb.chaos;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omendb.linearizability.FinalStateCheck;
import io.omendb.linearizability.LinearizabilityChecker;
import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.ChaosNetwork;
import io.omendb.chaos.cluster.ClusterSpec;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.chaos.cluster.RangeInfo;
import io.omendb.linearizability.History;
import io.omendb.linearizability.Op;
import io.omendb.chaos.nemesis.FaultRecord;
import io.omendb.chaos.nemesis.FaultSchedule;
import io.omendb.chaos.nemesis.FaultType;
import io.omendb.chaos.nemesis.LeaderMonitor;
import io.omendb.chaos.nemesis.Nemesis;
import io.omendb.chaos.report.ChaosReport;
import io.omendb.chaos.report.ContentDigest;
import io.omendb.chaos.workload.BulkData;
import io.omendb.chaos.workload.KeySpace;
import io.omendb.chaos.workload.KvClient;
import io.omendb.chaos.workload.RecoveryProbe;
import io.omendb.chaos.workload.Timeline;
import io.omendb.chaos.workload.Workload;

import java.io.IOException;
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
    private final BulkData bulk;
    private double bulkLoadSeconds;

    public ChaosRun(ChaosOptions options) {
        this.o = options;
        this.random = new Random(options.seed());
        this.keys = new KeySpace(options.ranges(), options.keysPerRange(), options.epochMs());
        this.bulk = new BulkData(keys, options.preloadBulkBytes(), options.seed());
    }

    public ChaosReport execute() throws IOException, InterruptedException {
        Files.createDirectories(o.outputDir());
        Path work = Files.createTempDirectory("omendb-chaos-");
        ClusterSpec spec = new ClusterSpec(o.nodes(), o.spareNodes(), keys.splitPoints(), 200, 64, QUERY_DEADLINE_MS,
                o.nodeHeapMb());
        ChaosNetwork network = ChaosNetwork.create(spec.slots(), random);
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
        loadBulk(cluster);
        if (probe.measure(System.nanoTime(), o.rtoBoundMs()).join() < 0) {
            throw new IllegalStateException("the healthy cluster did not accept a write on every range");
        }
        Nemesis nemesis = new Nemesis(cluster, probe, kv, keys, bulk, timeline, random, o.rtoBoundMs());
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

    /**
     * Batches of {@link #PRELOAD_BATCH} puts per range, each recorded as one PUT per key, from the first attempt's
     * invocation (a timed-out attempt may have committed) to the acknowledgement.
     */
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
                KvClient.postIdempotentBatch(cluster, node, body.toString());
                long done = System.nanoTime();
                History h = kv.history();
                batch.forEach((k, v) -> h.add(new Op(h.nextId(), "preload", Op.Type.PUT, k, v, null, invoked, done,
                        Op.Outcome.OK, null, false)));
            }
        }
        log("preloaded %d keys of %d bytes per range", o.preloadKeysPerRange(), o.preloadValueBytes());
    }

    /** {@code --preload-bytes}: the bulk values, and their expected digests computed now (not during a fault). */
    private void loadBulk(ChaosCluster cluster) throws IOException, InterruptedException {
        if (bulk.valuesPerRange() == 0) {
            return;
        }
        long start = System.nanoTime();
        bulk.load(cluster);
        bulkLoadSeconds = (System.nanoTime() - start) / 1e9;
        log("bulk: loaded %d MiB (%d values of %d KiB per range) in %.1f s", bulk.totalBytes() >> 20,
                bulk.valuesPerRange(), BulkData.VALUE_BYTES >> 10, bulkLoadSeconds);
        for (int r = 0; r < o.ranges(); r++) {
            bulk.expectedDigest(r);
        }
    }

    private ChaosReport check(ChaosCluster cluster, History history, Timeline timeline, List<FaultRecord> faults,
                              long leaderChanges, double workloadSeconds) throws IOException, InterruptedException {
        NodeProcess reader = cluster.serving().get(0);
        KvClient finalReader = new KvClient(cluster, history, timeline, CLIENT_TIMEOUT.multipliedBy(6));
        long invoked = System.nanoTime();
        Map<String, String> finalValues = new LinkedHashMap<>();
        for (BulkData.Piece p : bulk.split("", "")) {
            if (!p.bulk()) {
                finalValues.putAll(finalReader.scanAll(reader, p.start(), p.end(), SCAN_PAGE, false));
            }
        }
        long done = System.nanoTime();
        List<String> bulkMismatches = bulkMismatches(finalReader, reader);
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
        ChaosReport.Convergence convergence = convergence(cluster, finalReader);
        return ChaosReport.build(o, cluster.network(), history.snapshot(), timeline, faults, leaderChanges,
                workloadSeconds, byKey.size(), bad, lost, phantoms, convergence, finalValues.size(),
                bulk.totalBytes(), bulkLoadSeconds, bulkMismatches);
    }

    /** Each range's bulk interval, read linearizably, against the digest of what was written. */
    private List<String> bulkMismatches(KvClient kv, NodeProcess reader) throws IOException, InterruptedException {
        List<String> out = new ArrayList<>();
        for (int r = 0; r < o.ranges(); r++) {
            ContentDigest d = new ContentDigest();
            kv.digestInto(d, reader, keys.bulkStart(r), keys.bulkEnd(r), BulkData.SCAN_PAGE, false);
            String got = d.result();
            if (!got.equals(bulk.expectedDigest(r))) {
                out.add("bulk data of range index " + r + ": " + got + ", written " + bulk.expectedDigest(r));
            }
        }
        return out;
    }

    /**
     * The digest of one replica's {@code [start, end)}, read through its own node (stale scan of the local replica),
     * small keys in large pages and bulk keys in small ones; never more than a page in memory.
     */
    private String replicaDigest(KvClient kv, NodeProcess node, String start, String end)
            throws IOException, InterruptedException {
        ContentDigest d = new ContentDigest();
        for (BulkData.Piece p : bulk.split(start, end)) {
            kv.digestInto(d, node, p.start(), p.end(), p.bulk() ? BulkData.SCAN_PAGE : SCAN_PAGE, true);
        }
        return d.result();
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
                for (String peer : r.peers()) {
                    try {
                        perReplica.put(peer, replicaDigest(kv, cluster.node(peer), r.start(),
                                r.end() == null ? "" : r.end()));
                    } catch (IOException e) {
                        perReplica.put(peer, "unreadable: " + e.getMessage());
                        converged = false;
                    }
                }
                converged &= perReplica.values().stream().distinct().count() == 1;
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
        for (NodeProcess n : cluster.slots()) {
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
