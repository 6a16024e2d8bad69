package io.omendb.raft.statemachine;

import org.apache.ratis.protocol.RaftGroupId;

import java.util.List;

/**
 * Lifecycle events of the range replicas on this node, for the node metadata store. Called on Ratis threads;
 * implementations must be thread-safe and must not block for long. A failure to record is logged by the
 * implementation, never propagated into Raft.
 */
public interface ReplicaListener {
    void replicaOpened(RaftGroupId group, long appliedIndex, long durableIndex);

    void snapshotTaken(RaftGroupId group, long term, long index, long durableIndex);

    void peersChanged(RaftGroupId group, List<String> peerIds);

    void replicaRemoved(RaftGroupId group);

    ReplicaListener NONE = new ReplicaListener() {
        @Override
        public void replicaOpened(RaftGroupId group, long appliedIndex, long durableIndex) {
        }

        @Override
        public void snapshotTaken(RaftGroupId group, long term, long index, long durableIndex) {
        }

        @Override
        public void peersChanged(RaftGroupId group, List<String> peerIds) {
        }

        @Override
        public void replicaRemoved(RaftGroupId group) {
        }
    };
}
