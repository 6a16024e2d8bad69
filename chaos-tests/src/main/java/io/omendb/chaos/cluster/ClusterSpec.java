package io.omendb.chaos.cluster;

import java.util.List;

/**
 * The shape of the cluster under test.
 *
 * @param nodes                    node processes (3 or 5 make sense for partitions)
 * @param splitPoints              initial range boundaries: {@code splitPoints.size() + 1} ranges
 * @param snapshotThresholdEntries {@code [wal] snapshot_threshold_entries}: small, so snapshots (and the purge that
 *                                 forces a wiped node to install one) happen within a short run
 * @param purgeGapEntries          {@code [wal] purge_gap_entries}
 * @param queryDeadlineMs          {@code [limits] max_query_duration_ms}: the router's deadline per request
 * @param nodeHeapMb               -Xmx of each node JVM; also {@code [limits] memory_limit_mb} when above its 2048 MiB
 *                                 default (the operations guide: heap at least the limit)
 */
public record ClusterSpec(int nodes, List<String> splitPoints, int snapshotThresholdEntries, int purgeGapEntries,
                          int queryDeadlineMs, int nodeHeapMb) {
    static final int MEMORY_LIMIT_MB_DEFAULT = 2048;

    public static final int HTTP_PORT = 3000;
    public static final int RAFT_PORT = 7000;

    public ClusterSpec {
        if (nodes < 1 || nodes > 9) {
            throw new IllegalArgumentException("nodes must be 1..9, got " + nodes);
        }
        splitPoints = List.copyOf(splitPoints);
    }

    public int ranges() {
        return splitPoints.size() + 1;
    }

    public int replicationFactor() {
        return Math.min(3, nodes);
    }

    /** The TOML of node {@code i}: one [cluster] listing every member, in this order. */
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
        b.append("[cluster]\nnode_id = \"n").append(i + 1).append("\"\nreplication_factor = ")
                .append(replicationFactor()).append("\ninitial_split_points = [");
        for (int s = 0; s < splitPoints.size(); s++) {
            b.append(s == 0 ? "" : ", ").append('"').append(splitPoints.get(s)).append('"');
        }
        b.append("]\n");
        for (int m = 0; m < nodes; m++) {
            b.append("[[cluster.members]]\nid = \"n").append(m + 1).append("\"\nraft_address = \"")
                    .append(addresses.get(m)).append(':').append(RAFT_PORT).append("\"\nhttp_address = \"")
                    .append(addresses.get(m)).append(':').append(HTTP_PORT).append("\"\n");
        }
        return b.toString();
    }
}
