package io.omendb.chaos.cluster;

import java.util.List;
import java.util.stream.IntStream;

/**
 * The shape of the cluster under test.
 *
 * @param nodes                    node processes started with the cluster, its configured members (3 or 5 make sense
 *                                 for partitions); the first {@code max(3, replication factor)} hold the meta group
 * @param spares                   further node slots (address, network namespace, directory) for nodes that join the
 *                                 running cluster ({@code [cluster] join = true}; the membership faults)
 * @param splitPoints              initial range boundaries: {@code splitPoints.size() + 1} ranges
 * @param snapshotThresholdEntries {@code [wal] snapshot_threshold_entries}: small, so snapshots (and the purge that
 *                                 forces a wiped node to install one) happen within a short run
 * @param purgeGapEntries          {@code [wal] purge_gap_entries}
 * @param queryDeadlineMs          {@code [limits] max_query_duration_ms}: the router's deadline per request
 * @param nodeHeapMb               -Xmx of each node JVM; also {@code [limits] memory_limit_mb} when above its 2048 MiB
 *                                 default (the operations guide: heap at least the limit)
 */
public record ClusterSpec(int nodes, int spares, List<String> splitPoints, int snapshotThresholdEntries,
                          int purgeGapEntries, int queryDeadlineMs, int nodeHeapMb) {
    static final int MEMORY_LIMIT_MB_DEFAULT = 2048;

    /**
     * {@code [placement] node_dead_after_s}: short, so a node killed for good is declared dead, and its replicas
     * re-created elsewhere, within a fault's time; but longer than any other fault keeps a node away (a 30-s pause, a
     * restart on a loaded machine after a 20-s hold). At 15 s (the least allowed) a node killed and restarted by an
     * ordinary fault was declared dead while it started.
     */
    static final int NODE_DEAD_AFTER_S = 60;
    /** {@code [placement] leader_balance_interval_s}: a joined node gets replicas within seconds, not a minute. */
    static final int BALANCE_INTERVAL_S = 5;
    /**
     * Zones the slots are spread over ({@code [cluster] zone}), slot {@code i} in {@link #zone zone(i)}: as many as the
     * replication factor, so the placement driver keeps one replica of every range in each zone and the loss of a
     * whole zone (the ZONE_LOSS fault) leaves every range a quorum.
     */
    public static final int ZONES = 3;

    public static final int HTTP_PORT = 3000;
    public static final int RAFT_PORT = 7000;

    public ClusterSpec {
        if (nodes < 1 || spares < 0 || nodes + spares > 9) {
            throw new IllegalArgumentException("nodes must be 1..9 with their spares, got " + nodes + " + " + spares);
        }
        splitPoints = List.copyOf(splitPoints);
    }

    public int ranges() {
        return splitPoints.size() + 1;
    }

    public int replicationFactor() {
        return Math.min(3, nodes);
    }

    public int slots() {
        return nodes + spares;
    }

    /** The zone of node slot {@code i}: {@code z0}, {@code z1}, {@code z2}, {@code z0}, ... */
    public static String zone(int i) {
        return "z" + (i % ZONES);
    }

    /**
     * The TOML of node slot {@code i}: [cluster] lists the configured members in order, each with its zone; a spare slot ({@code i >=
     * nodes}) lists them followed by itself and joins ({@code join = true}), as docs/OPERATIONS.md "Adding a node" says.
     */
    public String toml(int i, String dataDir, List<String> addresses, String bindAddress) {
        StringBuilder b = new StringBuilder();
        b.append("[database]\nname = \"chaos\"\ndata_dir = \"").append(dataDir).append("\"\n");
        b.append("[wal]\nsync_on_write = true\nsegment_size_mb = 1\n");
        b.append("snapshot_threshold_entries = ").append(snapshotThresholdEntries).append('\n');
        b.append("purge_gap_entries = ").append(purgeGapEntries).append('\n');
        b.append("[http]\nbind_address = \"").append(bindAddress).append("\"\nport = ").append(HTTP_PORT).append('\n');
        b.append("[security]\nauth_enabled = false\n");
        b.append("[monitoring]\nmetrics_enabled = false\n");
        b.append("[limits]\nmax_query_duration_ms = ").append(queryDeadlineMs).append('\n');
        if (nodeHeapMb > MEMORY_LIMIT_MB_DEFAULT) {
            b.append("memory_limit_mb = ").append(nodeHeapMb).append('\n');
        }
        b.append("[placement]\nnode_dead_after_s = ").append(NODE_DEAD_AFTER_S)
                .append("\nleader_balance_interval_s = ").append(BALANCE_INTERVAL_S).append('\n');
        b.append("[cluster]\nnode_id = \"n").append(i + 1).append("\"\nzone = \"").append(zone(i)).append("\"\n")
                .append(i >= nodes ? "join = true\n" : "")
                .append("replication_factor = ")
                .append(replicationFactor()).append("\ninitial_split_points = [");
        for (int s = 0; s < splitPoints.size(); s++) {
            b.append(s == 0 ? "" : ", ").append('"').append(splitPoints.get(s)).append('"');
        }
        b.append("]\n");
        for (int m : membersSeenBy(i)) {
            b.append("[[cluster.members]]\nid = \"n").append(m + 1).append("\"\nraft_address = \"")
                    .append(addresses.get(m)).append(':').append(RAFT_PORT).append("\"\nhttp_address = \"")
                    .append(addresses.get(m)).append(':').append(HTTP_PORT).append("\"\nzone = \"").append(zone(m))
                    .append("\"\n");
        }
        return b.toString();
    }

    /** The slots slot {@code i}'s file lists as members: the configured ones, and itself when it is a spare. */
    private int[] membersSeenBy(int i) {
        IntStream configured = IntStream.range(0, nodes);
        return (i >= nodes ? IntStream.concat(configured, IntStream.of(i)) : configured).toArray();
    }
}
