package io.omendb.raft.statemachine;

import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;

/**
 * A node's answer to {@link Query.HostedReplicas}: the status of every range replica its server hosts now, read from
 * each replica's state machine and Raft division without a call of its own, so a view of every range costs one call
 * per node. A group removed while the report is made is left out. Stateless; safe on any thread (each replica takes
 * only its own read lock, one at a time).
 */
final class HostedReplicaReport {
    private HostedReplicaReport() {
    }

    /** Every range replica {@code server} hosts; {@code appliedIndex} is the answering replica's. */
    static QueryResult.HostedReplicas of(RaftServer server, long appliedIndex) {
        List<QueryResult.HostedReplica> replicas = new ArrayList<>();
        for (RaftGroupId group : server.getGroupIds()) {
            try {
                RaftServer.Division d = server.getDivision(group);
                if (d.getStateMachine() instanceof RangeStateMachine sm) {
                    replicas.add(sm.report(d.getInfo().getCurrentRole().name()));
                }
            } catch (IOException removedMeanwhile) {
                // the group left this node between listing and looking it up
            }
        }
        return new QueryResult.HostedReplicas(replicas, appliedIndex);
    }
}
