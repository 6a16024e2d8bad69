package io.omendb.chaos.nemesis;

import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.ClusterSpec;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.chaos.cluster.RangeInfo;
import io.omendb.chaos.report.ContentDigest;
import io.omendb.chaos.workload.BulkData;
import io.omendb.chaos.workload.KeySpace;
import io.omendb.chaos.workload.KvClient;
import io.omendb.chaos.workload.RecoveryProbe;
import io.omendb.chaos.workload.Timeline;

import java.io.IOException;
import java.net.URLEncoder;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.time.Duration;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;

/**
 * Injects one fault at a time, holds it, heals it, and measures what it cost (RTO; for a wiped node, its
 * catch-up time). After healing it waits until every node is back, the cluster is ready and every replica has
 * caught up with its leader, so faults never pile up: each is bounded by {@code hold + rtoBoundMs + READY_TIMEOUT +
 * CATCH_UP_BOUND_MS}. {@link #healAll()} restores everything (used in finally paths). Single-threaded: one nemesis
 * drives one cluster.
 */
public final class Nemesis {
    static final Duration READY_TIMEOUT = Duration.ofMinutes(3);
    static final long CATCH_UP_POLL_MS = 250;
    static final long CATCH_UP_BOUND_MS = 300_000;
    /** {@link FaultType#SPLIT_KILL}, {@link FaultType#MERGE_KILL}: the kill comes up to this long after the request. */
    static final int SHAPE_KILL_DELAY_MS_MAX = 400;

    private final ChaosCluster cluster;
    private final RecoveryProbe probe;
    private final KvClient kv;
    private final KeySpace keys;
    private final BulkData bulk;
    private final Timeline timeline;
    private final Random random;
    private final long rtoBoundMs;
    private final MembershipFaults membership;

    public Nemesis(ChaosCluster cluster, RecoveryProbe probe, KvClient kv, KeySpace keys, BulkData bulk,
                   Timeline timeline, Random random, long rtoBoundMs) {
        this.cluster = cluster;
        this.probe = probe;
        this.kv = kv;
        this.keys = keys;
        this.bulk = bulk;
        this.timeline = timeline;
        this.random = random;
        this.rtoBoundMs = rtoBoundMs;
        this.membership = new MembershipFaults(cluster, random);
    }

    public FaultRecord run(FaultType type, long holdMs) throws IOException, InterruptedException {
        List<NodeProcess> nodes = cluster.nodes();
        List<NodeProcess> targets;
        String detail = "";
        NodeProcess changeVia = null;
        MembershipFaults.Plan plan = null;
        switch (type) {
            case KILL_RANDOM, WIPE_RESTART -> targets = List.of(nodes.get(random.nextInt(nodes.size())));
            case KILL_LEADER, PAUSE, PARTITION_LEADER_MINORITY, PARTITION_ONE_WAY -> targets = List.of(leaderOfRandomRange());
            case PARTITION_LEADER_MAJORITY -> {
                NodeProcess leader = leaderOfRandomRange();
                List<NodeProcess> others = new ArrayList<>(nodes);
                others.remove(leader);
                targets = List.of(others.get(random.nextInt(others.size())));
                detail = "leader " + leader.id() + " stays with the majority";
            }
            case KILL_ALL -> targets = nodes;
            case ZONE_LOSS -> {
                List<String> zones = nodes.stream().map(n -> ClusterSpec.zone(n.index())).distinct().sorted().toList();
                String zone = zones.get(random.nextInt(zones.size()));
                targets = nodes.stream().filter(n -> ClusterSpec.zone(n.index()).equals(zone)).toList();
                detail = "zone " + zone;
            }
            case SPLIT, MERGE -> targets = List.of(nodes.get(random.nextInt(nodes.size())));
            case SPLIT_KILL, MERGE_KILL -> {
                List<NodeProcess> shuffled = new ArrayList<>(nodes);
                java.util.Collections.shuffle(shuffled, random);
                targets = List.of(shuffled.get(0)); // killed
                changeVia = shuffled.get(1);
            }
            case ADD_NODE, DECOMMISSION, KILL_FOREVER -> {
                plan = membership.prepare(type);
                targets = plan.targets();
            }
            default -> throw new AssertionError(type);
        }
        if (type == FaultType.PARTITION_LEADER_MINORITY || type == FaultType.PARTITION_LEADER_MAJORITY) {
            targets = minorityAround(targets.get(0));
        }
        long start = System.nanoTime();
        CompletableFuture<String> changing = null;
        if (type == FaultType.SPLIT) {
            detail = split(targets.get(0), randomRange());
        } else if (type == FaultType.MERGE) {
            detail = merge(targets.get(0), randomRangeWithRightNeighbour());
        } else if (type == FaultType.SPLIT_KILL || type == FaultType.MERGE_KILL) {
            NodeProcess via = changeVia;
            boolean merge = type == FaultType.MERGE_KILL;
            RangeInfo range = merge ? randomRangeWithRightNeighbour() : randomRange();
            changing = CompletableFuture.supplyAsync(() -> {
                try {
                    return merge ? merge(via, range) : split(via, range);
                } catch (IOException | InterruptedException e) {
                    return (merge ? "merge" : "split") + " request failed: " + e;
                }
            });
            Thread.sleep(random.nextInt(SHAPE_KILL_DELAY_MS_MAX + 1));
            targets.get(0).kill9();
        } else if (plan != null) {
            membership.inject(plan);
            targets = plan.targets();
        } else {
            inject(type, targets);
        }
        CompletableFuture<Long> recovered = probe.measure(start, rtoBoundMs);
        Thread.sleep(holdMs);
        long healed = System.nanoTime();
        Map<Long, Long> catchUpTargets = plan != null ? Map.of() : heal(type, targets);
        if (plan != null) {
            detail = membership.heal(plan);
        }
        long catchUpMs = -1;
        int installs = 0;
        if (type == FaultType.WIPE_RESTART) {
            catchUpMs = awaitCatchUp(targets.get(0), catchUpTargets, healed);
            if (catchUpMs >= 0 && bulk.valuesPerRange() > 0) {
                long verifiedMs = awaitBulkDigests(targets.get(0), healed);
                detail = verifiedMs < 0 ? "bulk digests of the caught-up replicas differ from what was written"
                        : "bulk digests identical to what was written (checked by a scan that ended " + verifiedMs
                        + " ms after the restart)";
                catchUpMs = verifiedMs < 0 ? -1 : catchUpMs;
            }
            installs = snapshotInstallsSinceStart(targets.get(0));
        }
        if (changing != null) {
            detail = changing.join() + "; " + targets.get(0).id() + " killed meanwhile";
        }
        long recoveredAt = recovered.join();
        cluster.awaitReady(READY_TIMEOUT);
        long settledMs = awaitEveryReplicaCaughtUp();
        detail = (detail.isEmpty() ? "" : detail + "; ") + (settledMs < 0 ? "replicas NOT all caught up within "
                + CATCH_UP_BOUND_MS + " ms" : "all replicas caught up " + settledMs + " ms after the cluster was ready");
        long rtoMs = recoveredAt < 0 ? -1 : TimeUnit.NANOSECONDS.toMillis(recoveredAt - start);
        return new FaultRecord(type, targets.stream().map(NodeProcess::id).toList(), timeline.secondsAt(start),
                timeline.secondsAt(healed), rtoMs, catchUpMs, installs, detail);
    }

    private NodeProcess leaderOfRandomRange() throws InterruptedException {
        long deadline = System.nanoTime() + READY_TIMEOUT.toNanos();
        IllegalStateException last = null;
        while (System.nanoTime() < deadline) {
            try {
                List<RangeInfo> ranges = cluster.ranges();
                RangeInfo r = ranges.get(random.nextInt(ranges.size()));
                if (r.leader() != null) {
                    return cluster.node(r.leader());
                }
            } catch (IllegalStateException e) {
                last = e; // every node answered slowly (a loaded machine right after a restart): ask again
            }
            Thread.sleep(CATCH_UP_POLL_MS);
        }
        throw new IllegalStateException("no range reported a leader within " + READY_TIMEOUT, last);
    }

    private RangeInfo randomRange() throws InterruptedException {
        List<RangeInfo> ranges = cluster.awaitRanges(READY_TIMEOUT);
        return ranges.get(random.nextInt(ranges.size()));
    }

    /** A random range that is not the last one (a merge takes its right neighbour); any range when there is one. */
    private RangeInfo randomRangeWithRightNeighbour() throws InterruptedException {
        List<RangeInfo> ranges = cluster.awaitRanges(READY_TIMEOUT).stream().filter(r -> r.end() != null).toList();
        return ranges.isEmpty() ? randomRange() : ranges.get(random.nextInt(ranges.size()));
    }

    /**
     * Merges range {@code r} with its right neighbour through {@code via} ({@code POST /admin/merge}). Returns what
     * happened, for the report; a refusal (the last range, or a range changing shape) is reported, not failed.
     */
    private String merge(NodeProcess via, RangeInfo r) throws IOException, InterruptedException {
        HttpResponse<String> merge = cluster.post(via, "/admin/merge?range=" + r.id());
        return "range " + r.id() + " via " + via.id() + ": " + (merge.statusCode() == 200 ? "merged " + merge.body()
                : "not merged (" + merge.statusCode() + " " + merge.body() + ")");
    }

    /**
     * Splits range {@code r} through {@code via}: flushes it first ({@code retrain-index}: its keys into segments, where
     * the leader estimates the byte median), then {@code POST /admin/split} without a key. Returns what happened, for
     * the report; a refusal (a range too small to split, or changed meanwhile) is reported, not failed: the run's
     * verdict is the checker's.
     */
    private String split(NodeProcess via, RangeInfo r) throws IOException, InterruptedException {
        HttpResponse<String> flushed = cluster.post(via, "/admin/retrain-index?range=" + r.id());
        HttpResponse<String> split = cluster.post(via, "/admin/split?range=" + r.id());
        return "range " + r.id() + " via " + via.id() + ": " + (split.statusCode() == 200 ? "split " + split.body()
                : "not split (flush " + flushed.statusCode() + ", split " + split.statusCode() + " " + split.body() + ")");
    }

    /** {@code seed} plus random others, {@code (n - 1) / 2} nodes in all: a minority. */
    private List<NodeProcess> minorityAround(NodeProcess seed) {
        List<NodeProcess> others = new ArrayList<>(cluster.nodes());
        others.remove(seed);
        java.util.Collections.shuffle(others, random);
        List<NodeProcess> out = new ArrayList<>(List.of(seed));
        out.addAll(others.subList(0, (cluster.nodes().size() - 1) / 2 - 1));
        return out;
    }

    private void inject(FaultType type, List<NodeProcess> targets) throws IOException, InterruptedException {
        switch (type) {
            case KILL_RANDOM, KILL_LEADER, KILL_ALL, WIPE_RESTART, ZONE_LOSS -> {
                for (NodeProcess n : targets) {
                    n.kill9();
                }
                if (type == FaultType.WIPE_RESTART) {
                    targets.get(0).wipe();
                }
            }
            case PAUSE -> targets.get(0).pause();
            case PARTITION_LEADER_MINORITY, PARTITION_LEADER_MAJORITY -> {
                Set<Integer> minority = indexes(targets);
                Set<Integer> majority = complement(minority);
                cluster.network().cut(minority, majority);
                cluster.network().cut(majority, minority);
            }
            case PARTITION_ONE_WAY -> cluster.network().cut(complement(indexes(targets)), indexes(targets));
            default -> throw new AssertionError(type);
        }
    }

    /** Heals; for a wiped node, returns the applied index of each of its ranges at restart (its catch-up goal). */
    private Map<Long, Long> heal(FaultType type, List<NodeProcess> targets) throws IOException, InterruptedException {
        switch (type) {
            case SPLIT, MERGE -> {
                return Map.of();
            }
            case PAUSE -> targets.get(0).resume();
            case PARTITION_LEADER_MINORITY, PARTITION_LEADER_MAJORITY, PARTITION_ONE_WAY -> cluster.network().heal();
            default -> {
                Map<Long, Long> goal = new HashMap<>();
                if (type == FaultType.WIPE_RESTART) {
                    for (RangeInfo r : cluster.awaitRanges(READY_TIMEOUT)) {
                        if (r.peers().contains(targets.get(0).id())) {
                            goal.put(r.id(), r.appliedIndex());
                        }
                    }
                }
                for (NodeProcess n : targets) {
                    n.start();
                }
                return goal;
            }
        }
        return Map.of();
    }

    /**
     * Polls the wiped node's own replicas (a stale GET of each range's probe key through that node answers with
     * the replica's applied index in X-OmenDB-Revision) until each reached its goal.
     */
    private long awaitCatchUp(NodeProcess node, Map<Long, Long> goal, long restartedNs) throws InterruptedException {
        Set<Long> pending = new HashSet<>(goal.keySet());
        Map<Long, String> probeKeys = probeKeysByRange();
        long deadline = restartedNs + TimeUnit.MILLISECONDS.toNanos(CATCH_UP_BOUND_MS);
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (Long rangeId : List.copyOf(pending)) {
                String key = probeKeys.get(rangeId);
                if (key == null) {
                    pending.remove(rangeId);
                    continue;
                }
                try {
                    HttpResponse<String> r = cluster.http().send(HttpRequest.newBuilder(cluster.uri(node, "/v1/kv/"
                                    + key + "?consistency=stale")).timeout(Duration.ofSeconds(3)).GET().build(),
                            HttpResponse.BodyHandlers.ofString());
                    String rev = r.headers().firstValue("X-OmenDB-Revision").orElse(null);
                    if (r.statusCode() == 200 && rev != null && Long.parseLong(rev) >= goal.get(rangeId)) {
                        pending.remove(rangeId);
                    }
                } catch (IOException e) {
                    // still starting or installing: poll again
                }
            }
            if (!pending.isEmpty()) {
                Thread.sleep(CATCH_UP_POLL_MS);
            }
        }
        return pending.isEmpty() ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedNs) : -1;
    }

    /**
     * A preloaded key inside each range, percent-encoded for a path: a GET of it (200, with the replica's applied
     * index) reaches that range's replica whatever splits happened, and the workload never deletes it. Found by a
     * linearizable scan of the range's part of each preload interval; a range holding none is left out.
     */
    private Map<Long, String> probeKeysByRange() throws InterruptedException {
        Map<Long, String> out = new HashMap<>();
        for (RangeInfo r : cluster.awaitRanges(READY_TIMEOUT)) {
            String start = r.start() == null ? "" : r.start();
            for (int k = 0; k < keys.ranges() && !out.containsKey(r.id()); k++) {
                String lo = max(start, keys.preloadStart(k));
                String hi = r.end() == null ? keys.preloadEnd(k) : min(r.end(), keys.preloadEnd(k));
                if (lo.compareTo(hi) < 0) {
                    firstKey(lo, hi).ifPresent(key -> out.put(r.id(), encode(key)));
                }
            }
        }
        return out;
    }

    private Optional<String> firstKey(String start, String end) throws InterruptedException {
        String q = "/v1/scan?limit=1&start=" + encode(start) + "&end=" + encode(end);
        for (NodeProcess n : cluster.serving()) {
            try {
                HttpResponse<String> page = cluster.get(n, q);
                if (page.statusCode() == 200) {
                    return ChaosCluster.firstScannedKey(page.body());
                }
            } catch (IOException e) {
                // another node answers
            }
        }
        return Optional.empty();
    }

    private static String max(String a, String b) {
        return a.compareTo(b) >= 0 ? a : b;
    }

    private static String min(String a, String b) {
        return a.compareTo(b) <= 0 ? a : b;
    }

    private static String encode(String s) {
        return URLEncoder.encode(s, StandardCharsets.UTF_8).replace("+", "%20");
    }

    /**
     * Waits until every node's replica of every range reached the applied index its leader reports now, so the next
     * fault starts from a healthy cluster and not from one whose restarted node is still installing snapshots (a
     * leader kill then leaves a leader whose only other follower cannot answer: two faults, not one). Returns the
     * wait in ms, or -1 past the bound.
     */
    private long awaitEveryReplicaCaughtUp() throws InterruptedException {
        long start = System.nanoTime();
        Map<String, Map<Long, Long>> goals = new HashMap<>();
        for (RangeInfo r : cluster.awaitRanges(READY_TIMEOUT)) {
            for (String peer : r.peers()) {
                goals.computeIfAbsent(peer, k -> new HashMap<>()).put(r.id(), r.appliedIndex());
            }
        }
        for (Map.Entry<String, Map<Long, Long>> e : goals.entrySet()) {
            if (awaitCatchUp(cluster.node(e.getKey()), e.getValue(), start) < 0) {
                return -1;
            }
        }
        return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - start);
    }

    /**
     * Proves the catch-up measured by applied index: the bulk data is written before the faults and never again, so
     * a replica that applied every entry up to the goal held then exactly what it holds when read later; a digest
     * equal to what was written (the leader's) means it had caught up at that moment, not only when the (slow, 1 GB)
     * scan ends. Reads the bulk interval of each of the node's replicas through that node
     * (stale scans of the local replica, streamed) until each has the digest of what was written, i.e. the leader's.
     * Returns ms since the restart, or -1 past the bound.
     */
    private long awaitBulkDigests(NodeProcess node, long restartedNs) throws InterruptedException {
        Set<Integer> pending = new HashSet<>();
        for (RangeInfo r : cluster.awaitRanges(READY_TIMEOUT)) {
            if (r.peers().contains(node.id())) {
                bulk.split(r.start(), r.end() == null ? "" : r.end()).stream().filter(BulkData.Piece::bulk)
                        .forEach(p -> pending.add(p.bulkRange()));
            }
        }
        long deadline = restartedNs + TimeUnit.MILLISECONDS.toNanos(CATCH_UP_BOUND_MS);
        while (!pending.isEmpty() && System.nanoTime() < deadline) {
            for (Integer range : List.copyOf(pending)) {
                ContentDigest d = new ContentDigest();
                try {
                    kv.digestInto(d, node, keys.bulkStart(range), keys.bulkEnd(range), BulkData.SCAN_PAGE, true);
                    if (d.result().equals(bulk.expectedDigest(range))) {
                        pending.remove(range);
                    }
                } catch (IOException e) {
                    // a replica re-created or installing a snapshot: read again
                }
            }
            if (!pending.isEmpty()) {
                Thread.sleep(CATCH_UP_POLL_MS);
            }
        }
        return pending.isEmpty() ? TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - restartedNs) : -1;
    }

    private static int snapshotInstallsSinceStart(NodeProcess node) throws IOException {
        String log = Files.readString(node.log());
        String sinceStart = log.substring(log.lastIndexOf("=== chaos: start"));
        int count = 0;
        for (int at = sinceStart.indexOf("installed snapshot"); at >= 0;
             at = sinceStart.indexOf("installed snapshot", at + 1)) {
            count++;
        }
        return count;
    }

    /** Resumes, reconnects and restarts everything; safe at any time. */
    public void healAll() throws IOException {
        cluster.network().heal();
        for (NodeProcess n : cluster.nodes()) {
            if (n.paused()) {
                n.resume();
            }
            if (!n.alive()) {
                n.start();
            }
        }
    }

    private static Set<Integer> indexes(List<NodeProcess> nodes) {
        Set<Integer> out = new HashSet<>();
        nodes.forEach(n -> out.add(n.index()));
        return out;
    }

    private Set<Integer> complement(Set<Integer> of) {
        Set<Integer> out = new HashSet<>();
        for (NodeProcess n : cluster.nodes()) {
            if (!of.contains(n.index())) {
                out.add(n.index());
            }
        }
        return out;
    }
}
