package io.omendb.raft;

import java.util.UUID;

/**
 * One point-in-time reading of a Raft group replica hosted by this node, for Prometheus. {@code leaderChanges}
 * and {@code snapshotInstalls} count since this replica was opened in this process (counters reset on restart,
 * which Prometheus' {@code rate()} handles).
 *
 * @param groupId          the Ratis group (meta group or a range's group)
 * @param nodeId           the node hosting this replica
 * @param role             LEADER, FOLLOWER, CANDIDATE, LISTENER
 * @param term             current Raft term
 * @param commitIndex      highest log index known committed
 * @param appliedIndex     highest log index applied to the state machine
 * @param leaderChanges    leader changes this replica observed (elections and transfers)
 * @param snapshotInstalls snapshots installed from a leader
 */
public record ReplicaMetrics(UUID groupId, String nodeId, String role, long term, long commitIndex,
                             long appliedIndex, long leaderChanges, long snapshotInstalls) {
}
