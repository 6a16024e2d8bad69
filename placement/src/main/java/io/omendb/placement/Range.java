package io.omendb.placement;

import java.util.List;

/**
 * A range's placement as recorded in the meta group.
 *
 * @param id            the range id
 * @param replicas      the voters of its Raft group, at most one per node
 * @param leaderNodeId  the node of its current leader, or null while it has none
 * @param sizeBytes     the range's data size (what a new replica's snapshot copies)
 * @param loadOpsPerSec the requests per second its leader serves
 */
public record Range(long id, List<Replica> replicas, String leaderNodeId, long sizeBytes, double loadOpsPerSec) {
    public Range {
        replicas = List.copyOf(replicas);
        if (sizeBytes < 0 || loadOpsPerSec < 0) {
            throw new IllegalArgumentException("range " + id + ": negative size or load");
        }
        for (int i = 0; i < replicas.size(); i++) {
            for (int j = i + 1; j < replicas.size(); j++) {
                if (replicas.get(i).nodeId().equals(replicas.get(j).nodeId())) {
                    throw new IllegalArgumentException("range " + id + " has two replicas on "
                            + replicas.get(i).nodeId());
                }
            }
        }
    }

    public boolean hasReplicaOn(String nodeId) {
        for (Replica r : replicas) {
            if (r.nodeId().equals(nodeId)) {
                return true;
            }
        }
        return false;
    }

    public Range withReplicas(List<Replica> newReplicas, String newLeaderNodeId) {
        return new Range(id, newReplicas, newLeaderNodeId, sizeBytes, loadOpsPerSec);
    }
}
