package io.omendb.raft.meta;

import io.omendb.config.OmenConfig;
import org.apache.ratis.protocol.RaftGroupId;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The cluster's initial layout, derived only from {@code [database] name} and {@code [cluster]}, so every node
 * computes the same groups without talking to the others.
 *
 * <ul>
 *   <li>Group ids are name-based UUIDs of {@code "omendb/<database>/meta"} and {@code "omendb/<database>/range/<id>"}.</li>
 *   <li>Split points {@code s0 < s1 < ...} give ranges {@code [empty, s0), [s0, s1), ..., [sN, +inf)} with ids 1..N+1.</li>
 *   <li>Range {@code i} is placed on {@code replication_factor} consecutive members starting at member {@code i mod N}
 *       (in configuration order), spreading leaders and load round-robin ({@link #placement}; restore places the
 *       ranges of a backup the same way, by ordinal = range id - 1, so the initial ranges keep this placement).</li>
 *   <li>The meta group lives on the first {@code min(N, max(3, replication_factor))} members.</li>
 * </ul>
 */
public final class ClusterLayout {
    private ClusterLayout() {
    }

    public static RaftGroupId metaGroupId(String database) {
        return RaftGroupId.valueOf(nameUuid("omendb/" + database + "/meta"));
    }

    public static UUID rangeGroupUuid(String database, long rangeId) {
        return nameUuid("omendb/" + database + "/range/" + rangeId);
    }

    public static List<String> metaPeers(OmenConfig.Cluster cluster) {
        return cluster.metaPeers().stream().map(OmenConfig.Member::id).toList();
    }

    public static List<RangeDescriptor> initialRanges(String database, OmenConfig.Cluster cluster) {
        List<byte[]> splits = cluster.initialSplitPoints();
        List<RangeDescriptor> out = new ArrayList<>();
        for (int i = 0; i <= splits.size(); i++) {
            long rangeId = i + 1L;
            byte[] start = i == 0 ? new byte[0] : splits.get(i - 1);
            byte[] end = i == splits.size() ? null : splits.get(i);
            out.add(new RangeDescriptor(rangeId, start, end, rangeGroupUuid(database, rangeId),
                    placement(cluster, i), 1));
        }
        return out;
    }

    /**
     * The members range number {@code ordinal} (0-based; the initial range with id {@code i} is ordinal {@code i - 1})
     * is placed on: {@code replication_factor} consecutive members starting at member {@code ordinal mod N}.
     */
    public static List<String> placement(OmenConfig.Cluster cluster, long ordinal) {
        if (ordinal < 0) {
            throw new IllegalArgumentException("negative range ordinal " + ordinal);
        }
        List<OmenConfig.Member> members = cluster.members();
        List<String> peers = new ArrayList<>();
        for (int j = 0; j < cluster.replicationFactor(); j++) {
            peers.add(members.get((int) ((ordinal + j) % members.size())).id());
        }
        return peers;
    }

    private static UUID nameUuid(String name) {
        return UUID.nameUUIDFromBytes(name.getBytes(StandardCharsets.UTF_8));
    }
}
