package io.omendb.benchcluster;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a rebalance run follows, read from {@code GET /admin/nodes} and {@code GET /admin/ranges} answers (docs/API.md):
 * whether the members are balanced ({@link #balanced}: every node's replica and leader counts within one of the mean,
 * the placement driver's own goal), and the bytes replicas were copied with. A copy is counted when a node appears in a
 * range's {@code peers} that was not there in the previous answer, at that range's {@code data_bytes} (the keys and
 * values its leader's engine stores: what a snapshot of it carries, give or take file overhead); the first answer is
 * the baseline. {@link #minimumBytes} is what an even spread needs to copy at least.
 *
 * <p>Invariant: {@link #copiedBytes} and {@link #copies} only grow. Thread-safe: {@link #record} is synchronized (one
 * sampler calls it; the report reads at the end). Parsing and arithmetic are pure and unit-tested.
 */
final class RebalanceTracker {
    /** One member of a {@code GET /admin/nodes} answer. */
    record NodeRow(String id, String state, int replicas, int leaders) {
        private static final Pattern NODE = Pattern.compile(
                "\\{\"id\":\"([^\"]*)\".*?\"state\":\"([^\"]*)\".*?\"replicas\":(\\d+),\"leaders\":(\\d+)");

        static List<NodeRow> parse(String adminNodesJson) {
            List<NodeRow> rows = new ArrayList<>();
            Matcher m = NODE.matcher(adminNodesJson);
            while (m.find()) {
                rows.add(new NodeRow(m.group(1), m.group(2), Integer.parseInt(m.group(3)),
                        Integer.parseInt(m.group(4))));
            }
            return rows;
        }
    }

    /** One range of a {@code GET /admin/ranges} answer: its id, peers and {@code data_bytes} (-1: leader silent). */
    record RangePeers(long id, List<String> peers, long dataBytes) {
        private static final Pattern RANGE = Pattern.compile(
                "\\{\"id\":(\\d+),.*?\"peers\":\\[([^\\]]*)\\].*?\"data_bytes\":(-?\\d+)");
        private static final Pattern PEER = Pattern.compile("\"([^\"]*)\"");

        static List<RangePeers> parse(String adminRangesJson) {
            List<RangePeers> rows = new ArrayList<>();
            Matcher m = RANGE.matcher(adminRangesJson);
            while (m.find()) {
                List<String> peers = new ArrayList<>();
                Matcher p = PEER.matcher(m.group(2));
                while (p.find()) {
                    peers.add(p.group(1));
                }
                rows.add(new RangePeers(Long.parseLong(m.group(1)), List.copyOf(peers), Long.parseLong(m.group(3))));
            }
            return rows;
        }
    }

    private final Map<Long, Set<String>> peersOf = new HashMap<>();
    private final Map<Long, Long> dataBytesOf = new HashMap<>();
    private long copiedBytes;
    private int copies;
    private boolean baseline = true;

    /**
     * True when {@code nodesExpected} members are listed {@code live} and each one's replicas and leaders are within
     * one of the mean over them (a node that is not live, e.g. still suspect, leaves the cluster unbalanced).
     */
    static boolean balanced(List<NodeRow> nodes, int nodesExpected) {
        if (nodes.size() != nodesExpected || nodesExpected == 0
                || !nodes.stream().allMatch(n -> n.state().equals("live"))) {
            return false;
        }
        double replicasMean = nodes.stream().mapToInt(NodeRow::replicas).sum() / (double) nodesExpected;
        double leadersMean = nodes.stream().mapToInt(NodeRow::leaders).sum() / (double) nodesExpected;
        return nodes.stream().allMatch(n -> Math.abs(n.replicas() - replicasMean) <= 1
                && Math.abs(n.leaders() - leadersMean) <= 1);
    }

    /** The replica bytes of the cluster: every range's {@code data_bytes} once per peer (silent leaders count 0). */
    static long replicaBytes(List<RangePeers> ranges) {
        return ranges.stream().mapToLong(r -> Math.max(0, r.dataBytes()) * r.peers().size()).sum();
    }

    /**
     * The least an even spread copies onto {@code added} new nodes out of {@code nodesTotal}: their share of the
     * replica bytes, {@code replicaBytes * added / nodesTotal} (each new node must end with its 1/nodesTotal).
     */
    static long minimumBytes(long replicaBytes, int added, int nodesTotal) {
        if (added < 0 || nodesTotal < 1 || added > nodesTotal || replicaBytes < 0) {
            throw new IllegalArgumentException("want 0 <= added <= nodesTotal, nodesTotal >= 1, replicaBytes >= 0; got "
                    + added + ", " + nodesTotal + ", " + replicaBytes);
        }
        return Math.round(replicaBytes * (double) added / nodesTotal);
    }

    /** The bytes the nodes {@code ids} hold: {@code data_bytes} of every range they are a peer of, once per node. */
    static long bytesHeldBy(List<RangePeers> ranges, Set<String> ids) {
        return ranges.stream().mapToLong(r -> Math.max(0, r.dataBytes())
                * r.peers().stream().filter(ids::contains).count()).sum();
    }

    /**
     * Takes one {@code /admin/ranges} answer: counts a copy for each peer new to its range since the last answer, at
     * the range's {@code data_bytes} (its last known one when the leader was silent); the first answer only sets the
     * baseline, and a range not seen before (a split's new half, made without copying) adds none.
     */
    synchronized void record(List<RangePeers> ranges) {
        for (RangePeers r : ranges) {
            if (r.dataBytes() >= 0) {
                dataBytesOf.put(r.id(), r.dataBytes());
            }
            Set<String> before = peersOf.put(r.id(), new HashSet<>(r.peers()));
            if (baseline) {
                continue;
            }
            for (String peer : r.peers()) {
                if (before != null && !before.contains(peer)) {
                    copies++;
                    copiedBytes += dataBytesOf.getOrDefault(r.id(), 0L);
                }
            }
        }
        baseline = false;
    }

    synchronized long copiedBytes() {
        return copiedBytes;
    }

    synchronized int copies() {
        return copies;
    }
}
