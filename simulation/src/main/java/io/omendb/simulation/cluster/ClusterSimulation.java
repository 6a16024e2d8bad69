package io.omendb.simulation.cluster;

import io.omendb.linearizability.FinalStateCheck;
import io.omendb.linearizability.History;
import io.omendb.linearizability.LinearizabilityChecker;
import io.omendb.linearizability.Op;
import io.omendb.raft.client.GroupCommitSettings;
import io.omendb.raft.client.SimulatedGroupClient;
import io.omendb.raft.client.SimulatedRouter;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.simulation.kernel.Network;
import io.omendb.simulation.kernel.Simulation;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.KeyValue;
import io.omendb.storage.MaintenancePool;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import java.io.IOException;
import java.lang.management.ManagementFactory;
import java.lang.management.ThreadMXBean;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Map;
import java.util.TreeMap;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.stream.Stream;

/**
 * One seeded run of OmenDB's logic over simulated range groups: builds {@code ranges} groups of three replicas
 * (each with a real engine under {@code baseDir}), a range table over a small key space, {@code routers} routers
 * with their own coalescers and leader paths, and {@code processes} client processes; runs the workload under
 * drawn network faults, crashes and elections; heals; lets every group settle; then checks:
 * <ol>
 *   <li>replicas of a group hold identical engine contents (they applied the same log);</li>
 *   <li>the final contents (a {@link TreeMap} of every group's engine) against the history: no acknowledged write
 *       lost, no value or key nobody wrote ({@link FinalStateCheck});</li>
 *   <li>every key's history is linearizable ({@link LinearizabilityChecker}, the chaos suite's checker);</li>
 *   <li>no replica holds a key outside its range's bounds.</li>
 * </ol>
 * <b>Ranges and epochs.</b> Every group's replicas record its descriptor, with an epoch drawn from 1 to
 * {@value #EPOCH_MAX}. Each router starts, by seed, with the current table or an out-of-date one: split points moved
 * by one key and/or epochs one lower ({@link #staleTable}). Requests it routes by that table are refused by the
 * replicas (key outside the range, stale epoch) and re-routed by the real {@code Rerouter} after a meta read that
 * takes a drawn time; the checks above then prove a refused write was never applied to the wrong range.
 * Everything a run decides comes from its seed, so {@link Outcome#traceHash} is equal for equal seeds.
 */
public final class ClusterSimulation {
    /** The shape of a run. Times are simulated; they are about a tenth of production's so a seed stays short. */
    public record Settings(int ranges, int keys, int routers, int processes, int opsPerProcess, long eventsMax) {
        public static Settings defaults() {
            return new Settings(3, 6, 2, 4, 15, 400_000);
        }
    }

    /**
     * What a run found; {@code failures} is empty when every check passed. {@code reroutes}: requests the routers
     * sent again after a replica refused their route. {@code cpuNs} is the run's thread CPU time (the one number here
     * that is not a function of the seed).
     */
    public record Outcome(long seed, long traceHash, long events, long simulatedUs, int ops, long acknowledged,
                          long reroutes, List<String> failures, String traceTail, long cpuNs) {
        public boolean ok() {
            return failures.isEmpty();
        }
    }

    private static final List<String> PEERS = List.of("n1", "n2", "n3");
    private static final long REQUEST_TIMEOUT_MS = 30;
    private static final long RETRY_BASE_MS = 10;
    private static final long RETRY_MAX_MS = 200;
    private static final int RETRY_ATTEMPTS_MAX = 10;
    private static final long HEARTBEAT_US = 20_000;
    private static final long ELECTION_TIMEOUT_US = 20_000;
    private static final long DISRUPTION_GAP_MAX_US = 200_000;
    private static final long DOWN_MAX_US = 50_000;
    private static final long THINK_MAX_US = 2_000;
    private static final long EPOCH_MAX = 3;
    /** How long a router's read of the range table from the meta group takes (simulated). */
    private static final long META_READ_MAX_US = 3_000;
    private static final long CHECKER_STATES_MAX = 1_000_000;
    /** Engines of every run share one small pool: a run never fills a memtable, so it stays idle. */
    private static final MaintenancePool POOL = MaintenancePool.create(1, "omendb-sim-maintenance");

    private static final ThreadMXBean CPU = ManagementFactory.getThreadMXBean();

    private ClusterSimulation() {
    }

    public static Outcome run(long seed, Settings settings, Path baseDir) throws IOException {
        long cpuStartNs = CPU.getCurrentThreadCpuTime();
        Simulation sim = new Simulation(seed);
        Network net = new Network(sim, Network.Faults.drawn(sim, 0.15, 0.1, 3_000));
        sim.record("faults " + net.faults());
        Path dir = Files.createTempDirectory(baseDir, "seed-" + seed + "-");
        List<SimRangeGroup> groups = new ArrayList<>();
        try {
            List<String> keys = new ArrayList<>();
            for (int i = 0; i < settings.keys(); i++) {
                keys.add("k" + i);
            }
            RangeTable table = rangeTable(keys, settings.ranges(), sim);
            for (RangeDescriptor d : table.ranges()) {
                groups.add(group(sim, net, d, dir));
            }
            GroupCommitSettings groupCommit = new GroupCommitSettings(1 + sim.random().nextInt(2),
                    1 + sim.random().nextInt(8), sim.chance(0.5) ? 0 : sim.delayUs(50, 1_000), false);
            sim.record("group commit " + groupCommit);
            History history = new History();
            SimWorkload workload = new SimWorkload(sim, history, keys, settings.processes(), settings.opsPerProcess(),
                    THINK_MAX_US);
            List<SimulatedRouter> routers = new ArrayList<>();
            for (int r = 0; r < settings.routers(); r++) {
                routers.add(router(sim, "router" + r, table, groups, groupCommit, keys));
            }
            for (SimRangeGroup g : groups) {
                g.electionTimeout();
                g.disruptFrom(DISRUPTION_GAP_MAX_US, DOWN_MAX_US);
            }
            for (int p = 0; p < settings.processes(); p++) {
                workload.start(p, routers.get(p % routers.size()));
            }
            List<String> failures = new ArrayList<>();
            try {
                runAndCheck(sim, net, settings, groups, workload, history, failures);
            } catch (AssertionError | RuntimeException e) {
                failures.add("the run broke an invariant: " + e);
            }
            long acknowledged = history.snapshot().stream().filter(o -> o.outcome() == Op.Outcome.OK).count();
            return new Outcome(seed, sim.traceHash(), sim.eventsRun(), sim.nowUs(), history.size(), acknowledged,
                    routers.stream().mapToLong(SimulatedRouter::reroutes).sum(),
                    List.copyOf(failures), sim.traceTail(), CPU.getCurrentThreadCpuTime() - cpuStartNs);
        } finally {
            for (SimRangeGroup g : groups) {
                g.close();
            }
            deleteRecursively(dir);
        }
    }

    private static void runAndCheck(Simulation sim, Network net, Settings settings, List<SimRangeGroup> groups,
                                    SimWorkload workload, History history, List<String> failures) {
        if (!sim.runUntil(workload::done, settings.eventsMax())) {
            failures.add("the workload did not finish within " + settings.eventsMax() + " events");
            return;
        }
        net.heal();
        groups.forEach(SimRangeGroup::heal);
        if (!sim.runUntil(() -> groups.stream().allMatch(SimRangeGroup::settled), settings.eventsMax())) {
            failures.add("the groups did not settle after healing");
            return;
        }
        Map<String, String> finalValues = new TreeMap<>();
        for (SimRangeGroup g : groups) {
            checkReplicasAgree(g, finalValues, failures);
        }
        Map<String, List<Op>> byKey = history.byKey();
        FinalStateCheck.lostAcknowledgedWrites(byKey, finalValues).forEach(p -> failures.add(p.toString()));
        FinalStateCheck.phantoms(byKey, finalValues).forEach(p -> failures.add(p.toString()));
        LinearizabilityChecker checker = new LinearizabilityChecker(CHECKER_STATES_MAX);
        byKey.forEach((key, ops) -> {
            LinearizabilityChecker.Result result = checker.check(key, ops);
            if (!result.ok()) {
                failures.add("key " + key + ": " + result.verdict() + " over " + result.ops() + " ops; witness:\n    "
                        + String.join("\n    ", result.witness().stream().map(Op::toString).toList()));
            }
        });
        sim.record("checked " + history.size() + " ops, " + failures.size() + " failures");
    }

    private static void checkReplicasAgree(SimRangeGroup g, Map<String, String> finalValues, List<String> failures) {
        Map<String, String> first = null;
        for (SimReplica r : g.replicas()) {
            Map<String, String> contents = new TreeMap<>();
            for (KeyValue kv : r.engine.scan(new byte[0], null, Integer.MAX_VALUE)) {
                contents.put(SimWorkload.string(kv.key()), SimWorkload.string(kv.value()));
            }
            if (first == null) {
                first = contents;
                finalValues.putAll(contents);
            } else if (!first.equals(contents)) {
                failures.add("range " + g.descriptor().rangeId() + ": replicas diverge: " + first + " vs " + r.id + " "
                        + contents);
            }
        }
    }

    /**
     * {@code ranges} ranges over the key space, split at evenly spaced keys of {@code keys}, each with an epoch drawn
     * from 1 to {@link #EPOCH_MAX}.
     */
    private static RangeTable rangeTable(List<String> keys, int ranges, Simulation sim) {
        int[] splits = new int[ranges - 1];
        long[] epochs = new long[ranges];
        for (int i = 0; i < ranges; i++) {
            if (i < ranges - 1) {
                splits[i] = (i + 1) * keys.size() / ranges;
            }
            epochs[i] = 1 + sim.random().nextInt((int) EPOCH_MAX);
        }
        RangeTable t = table(keys, splits, epochs);
        sim.record("range table " + t.ranges());
        return t;
    }

    /** Ranges {@code 1..n} split at {@code keys[splits[i]]}, with {@code epochs[i]}. */
    private static RangeTable table(List<String> keys, int[] splits, long[] epochs) {
        List<RangeDescriptor> descriptors = new ArrayList<>();
        byte[] start = new byte[0];
        for (int i = 0; i < epochs.length; i++) {
            byte[] end = i == epochs.length - 1 ? null : SimWorkload.bytes(keys.get(splits[i]));
            descriptors.add(new RangeDescriptor(i + 1, start, end, new UUID(0, i + 1), PEERS, epochs[i]));
            start = end;
        }
        return new RangeTable(descriptors);
    }

    /**
     * A router's first table, drawn: half the time the current one, else an out-of-date one in which each split
     * point may have moved by one key (as if the router had not seen a split or merge move it) and each range's epoch
     * may be one lower. Same range ids and groups: the stale table names the groups that exist.
     */
    private static RangeTable staleTable(Simulation sim, RangeTable current, List<String> keys) {
        if (sim.chance(0.5)) {
            return current;
        }
        List<RangeDescriptor> ranges = current.ranges();
        int[] splits = new int[ranges.size() - 1];
        long[] epochs = new long[ranges.size()];
        for (int i = 0; i < ranges.size(); i++) {
            RangeDescriptor r = ranges.get(i);
            epochs[i] = sim.chance(0.5) ? r.epoch() - 1 : r.epoch();
            if (i < splits.length) {
                int at = keys.indexOf(SimWorkload.string(r.end()));
                int moved = at + sim.random().nextInt(3) - 1;
                int low = i == 0 ? 1 : splits[i - 1] + 1;
                int high = keys.size() - (splits.length - i);
                splits[i] = Math.max(low, Math.min(high, moved));
            }
        }
        return table(keys, splits, epochs);
    }

    private static SimRangeGroup group(Simulation sim, Network net, RangeDescriptor d, Path dir) throws IOException {
        RaftGroup raftGroup = RaftGroup.valueOf(RaftGroupId.valueOf(d.groupId()), d.peerIds().stream()
                .map(id -> RaftPeer.newBuilder().setId(id).setAddress("sim:" + id).build()).toList());
        List<SimReplica> replicas = new ArrayList<>();
        for (String peer : d.peerIds()) {
            Path replicaDir = dir.resolve("r" + d.rangeId() + "-" + peer);
            replicas.add(new SimReplica(RaftPeerId.valueOf(peer), replicaDir, EngineOptions.defaults(), POOL,
                    d.bounds()));
        }
        return new SimRangeGroup(sim, net, d, raftGroup, replicas, HEARTBEAT_US, ELECTION_TIMEOUT_US,
                REQUEST_TIMEOUT_MS);
    }

    private static SimulatedRouter router(Simulation sim, String name, RangeTable table, List<SimRangeGroup> groups,
                                          GroupCommitSettings groupCommit, List<String> keys) {
        RangeTable first = staleTable(sim, table, keys);
        sim.record(name + " starts with " + (first == table ? "the current table" : "an old table " + first.ranges()));
        SimClientTime time = new SimClientTime(sim, name);
        SimulatedRouter router = new SimulatedRouter(first, () -> {
            CompletableFuture<RangeTable> read = new CompletableFuture<>();
            sim.schedule(sim.delayUs(0, META_READ_MAX_US), name + " reads the range table", () -> read.complete(table));
            return read;
        }, time);
        for (SimRangeGroup g : groups) {
            UUID id = g.descriptor().groupId();
            router.add(id, new SimulatedGroupClient(g.raftGroup(), r -> g.send(name, r),
                    new SeededBackoffRetry(sim.random(), RETRY_BASE_MS, RETRY_MAX_MS, RETRY_ATTEMPTS_MAX),
                    time, groupCommit, router.routesOf(id)));
        }
        return router;
    }

    private static void deleteRecursively(Path dir) throws IOException {
        try (Stream<Path> paths = Files.walk(dir)) {
            for (Path p : paths.sorted(Comparator.reverseOrder()).toList()) {
                Files.delete(p);
            }
        }
    }
}
