package io.omendb.chaos.nemesis;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.chaos.cluster.RangeInfo;

import java.io.IOException;
import java.net.http.HttpResponse;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The faults that change who is in the cluster, as an operator does it: {@link FaultType#ADD_NODE} (a node joins with
 * {@code join = true}), {@link FaultType#DECOMMISSION} ({@code POST /admin/decommission}, the node drained, then
 * stopped) and {@link FaultType#KILL_FOREVER} (kill -9 and never restarted: the placement driver declares it dead
 * after {@code node_dead_after_s} and re-creates its replicas; then a replacement joins). Only joined nodes leave: the
 * configured members hold the meta group, whose membership does not move yet. A fault that needs a joined node when
 * there is none first joins one and waits until it holds replicas, before the fault's clock starts.
 *
 * <p>Each phase is bounded by {@link #CHANGE_BOUND_MS}; a phase that does not finish in time is reported in the
 * fault's detail (the run's verdict stays the checker's and the convergence check's). Single-threaded, driven by the
 * {@link Nemesis}.
 */
final class MembershipFaults {
    static final long CHANGE_BOUND_MS = 180_000;
    static final long POLL_MS = 500;
    private static final ObjectMapper JSON = new ObjectMapper();

    /**
     * One membership fault: {@code target} is the node it acts on (null until an ADD_NODE's node joined, and when
     * the fault is skipped); {@code prepared} says what was done before it (a node joined first), or why it is skipped.
     */
    static final class Plan {
        final FaultType type;
        NodeProcess target;
        final String prepared;
        final boolean skipped;
        /** When the fault was injected ({@link System#nanoTime}). */
        long injectedNs;
        /** Why the change was not made (a decommission refused), for the report; null when it was. */
        String refused;

        Plan(FaultType type, NodeProcess target, String prepared, boolean skipped) {
            this.type = type;
            this.target = target;
            this.prepared = prepared;
            this.skipped = skipped;
        }

        List<NodeProcess> targets() {
            return target == null ? List.of() : List.of(target);
        }
    }

    private final ChaosCluster cluster;
    private final Random random;

    MembershipFaults(ChaosCluster cluster, Random random) {
        this.cluster = cluster;
        this.random = random;
    }

    /** Before the fault's clock starts: picks the node to act on, joining one first when the fault needs it. */
    Plan prepare(FaultType type) throws IOException, InterruptedException {
        if (type == FaultType.ADD_NODE) {
            return new Plan(type, null, "", false);
        }
        List<NodeProcess> joined = cluster.nodes().stream().filter(cluster::joined).toList();
        if (!joined.isEmpty()) {
            return new Plan(type, joined.get(random.nextInt(joined.size())), "", false);
        }
        Optional<NodeProcess> n = cluster.join();
        if (n.isEmpty()) {
            return new Plan(type, null, "skipped: no joined node to act on and no spare slot left", true);
        }
        long ms = awaitHoldsReplicas(n.get(), System.nanoTime());
        return new Plan(type, n.get(), n.get().id() + " joined first (" + (ms < 0 ? "holds NO replica after "
                + CHANGE_BOUND_MS + " ms" : "holds replicas " + ms + " ms after its start") + ")", false);
    }

    /** The fault itself: a node joins, a decommission is requested, or a node is killed for good. */
    void inject(Plan plan) throws IOException, InterruptedException {
        if (plan.skipped) {
            return;
        }
        plan.injectedNs = System.nanoTime();
        switch (plan.type) {
            case ADD_NODE -> plan.target = cluster.join().orElse(null);
            case DECOMMISSION -> {
                try {
                    HttpResponse<String> r = cluster.post(configuredMember(), "/admin/decommission?node="
                            + plan.target.id());
                    if (r.statusCode() / 100 != 2) { // 202: draining (the drain is the placement driver's)
                        plan.refused = "decommission of " + plan.target.id() + " answered " + r.statusCode() + " "
                                + r.body();
                    }
                } catch (IOException e) {
                    plan.refused = "decommission of " + plan.target.id() + " not answered: " + e;
                }
            }
            case KILL_FOREVER -> {
                plan.target.kill9();
                cluster.retire(plan.target, true);
            }
            default -> throw new AssertionError(plan.type);
        }
    }

    /**
     * Waits for what the fault sets in motion: the joined node to hold replicas; the decommissioned node to be
     * drained and removed (then it is stopped); the dead node's replicas re-created on the others (then a replacement
     * joins and must hold replicas). Returns what happened, for the report.
     */
    String heal(Plan plan) throws IOException, InterruptedException {
        StringBuilder out = new StringBuilder(plan.prepared);
        if (plan.skipped) {
            return out.toString();
        }
        if (plan.refused != null) {
            return sentence(out, "NOT done: " + plan.refused);
        }
        if (plan.type == FaultType.ADD_NODE && plan.target == null) {
            return sentence(out, "no spare slot left: nothing joined");
        }
        String id = plan.target.id();
        switch (plan.type) {
            case ADD_NODE -> sentence(out, id + " joined: " + holding(awaitHoldsReplicas(plan.target,
                    plan.injectedNs)));
            case DECOMMISSION -> {
                long ms = awaitCondition(() -> "removed".equals(states().get(id)), plan.injectedNs);
                plan.target.kill9();
                cluster.retire(plan.target, false);
                sentence(out, id + (ms < 0 ? " NOT removed within " + CHANGE_BOUND_MS + " ms"
                        : " drained and removed " + ms + " ms after the request") + ", then stopped");
            }
            case KILL_FOREVER -> {
                long ms = awaitCondition(() -> "dead".equals(states().get(id)) && fullyReplicatedWithout(id),
                        plan.injectedNs);
                sentence(out, id + (ms < 0 ? " NOT declared dead with every range re-replicated within "
                        + CHANGE_BOUND_MS + " ms" : " declared dead and every range back at "
                        + cluster.spec().replicationFactor() + " replicas " + ms + " ms after the kill"));
                Optional<NodeProcess> replacement = cluster.join();
                sentence(out, replacement.isEmpty() ? "no spare slot left for a replacement"
                        : "replacement " + replacement.get().id() + " joined: "
                        + holding(awaitHoldsReplicas(replacement.get(), System.nanoTime())));
            }
            default -> throw new AssertionError(plan.type);
        }
        return out.toString();
    }

    private static String sentence(StringBuilder out, String s) {
        return out.append(out.isEmpty() ? "" : "; ").append(s).toString();
    }

    private static String holding(long ms) {
        return ms < 0 ? "holds NO replica within " + CHANGE_BOUND_MS + " ms" : "holds replicas " + ms + " ms after its start";
    }

    /** Ms from {@code startedNs} (the node's start) until a range lists {@code node} as a replica; -1: not in time. */
    private long awaitHoldsReplicas(NodeProcess node, long startedNs) throws InterruptedException {
        return awaitCondition(() -> cluster.ranges().stream().anyMatch(r -> r.peers().contains(node.id())), startedNs);
    }

    /** Whether every range has its full replica count and none on {@code id}. */
    private boolean fullyReplicatedWithout(String id) throws InterruptedException {
        int rf = cluster.spec().replicationFactor();
        for (RangeInfo r : cluster.ranges()) {
            if (r.peers().contains(id) || r.peers().size() < rf) {
                return false;
            }
        }
        return true;
    }

    /** Each node's state in {@code GET /admin/nodes} (live, suspect, dead, draining, removed), from a configured member. */
    private Map<String, String> states() throws InterruptedException {
        Map<String, String> out = new HashMap<>();
        try {
            HttpResponse<String> r = cluster.get(configuredMember(), "/admin/nodes");
            if (r.statusCode() == 200) {
                for (JsonNode n : JSON.readTree(r.body()).get("nodes")) {
                    out.put(n.get("id").asText(), n.get("state").asText());
                }
            }
        } catch (IOException e) {
            // asked again at the next poll
        }
        return out;
    }

    private NodeProcess configuredMember() {
        List<NodeProcess> configured = cluster.serving().stream().filter(n -> !cluster.joined(n)).toList();
        return configured.get(random.nextInt(configured.size()));
    }

    private interface Condition {
        boolean holds() throws InterruptedException;
    }

    /**
     * Polls {@code c} until it holds, for at most {@link #CHANGE_BOUND_MS} from {@code sinceNs}; returns the ms since
     * {@code sinceNs}, or -1.
     */
    private static long awaitCondition(Condition c, long sinceNs) throws InterruptedException {
        long deadline = sinceNs + TimeUnit.MILLISECONDS.toNanos(CHANGE_BOUND_MS);
        while (System.nanoTime() < deadline) {
            try {
                if (c.holds()) {
                    return TimeUnit.NANOSECONDS.toMillis(System.nanoTime() - sinceNs);
                }
            } catch (IllegalStateException noAnswer) {
                // no node answered the admin view this time (a loaded machine): ask again
            }
            Thread.sleep(POLL_MS);
        }
        return -1;
    }
}
