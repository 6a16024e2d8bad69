package io.omendb.raft;

import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcFactory;
import org.apache.ratis.grpc.server.GrpcLogAppender;
import org.apache.ratis.proto.RaftProtos.InstallSnapshotRequestProto;
import org.apache.ratis.rpc.RpcFactory;
import org.apache.ratis.rpc.RpcType;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.leader.FollowerInfo;
import org.apache.ratis.server.leader.LeaderState;
import org.apache.ratis.server.leader.LogAppender;
import org.apache.ratis.statemachine.SnapshotInfo;

/**
 * Ratis' gRPC transport, unchanged on the wire, whose leaders send snapshot chunks from memory-mapped files
 * ({@link MappedSnapshotRequests}) instead of heap copies that Ratis keeps reachable for tens of seconds. Ratis
 * instantiates an {@link RpcType} named by class in {@code raft.rpc.type} through its public no-argument constructor;
 * servers set it in {@link RatisSettings}, clients keep the plain gRPC type (same protocol).
 */
public final class OmenRpcType implements RpcType {
    @Override
    public String name() {
        return OmenRpcType.class.getName();
    }

    @Override
    public RpcFactory newFactory(Parameters parameters) {
        return new Factory(parameters);
    }

    private static final class Factory extends GrpcFactory {
        Factory(Parameters parameters) {
            super(parameters);
        }

        @Override
        public LogAppender newLogAppender(RaftServer.Division server, LeaderState state, FollowerInfo follower) {
            return new GrpcLogAppender(server, state, follower) {
                @Override
                public Iterable<InstallSnapshotRequestProto> newInstallSnapshotRequests(String requestId,
                                                                                        SnapshotInfo snapshot) {
                    return new MappedSnapshotRequests(super.newInstallSnapshotRequests(requestId, snapshot), snapshot);
                }
            };
        }
    }
}
