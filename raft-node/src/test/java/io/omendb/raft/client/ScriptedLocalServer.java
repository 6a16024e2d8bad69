package io.omendb.raft.client;

import io.omendb.raft.command.ForwardedWrites;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;

import java.util.concurrent.CompletableFuture;
import java.util.function.Function;

/**
 * This process's Raft server, scripted: it is {@code peerId}, believes it leads every group, and answers what it is
 * handed with {@code answer}. Never asked to take forwards (only a ClusterClient registers for them).
 */
final class ScriptedLocalServer implements LocalRaftServer {
    private final RaftPeerId peerId;
    private final Function<RaftClientRequest, CompletableFuture<RaftClientReply>> answer;

    ScriptedLocalServer(RaftPeerId peerId, Function<RaftClientRequest, CompletableFuture<RaftClientReply>> answer) {
        this.peerId = peerId;
        this.answer = answer;
    }

    @Override
    public RaftPeerId peerId() {
        return peerId;
    }

    @Override
    public boolean leads(RaftGroupId group) {
        return true;
    }

    @Override
    public CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
        return answer.apply(request);
    }

    @Override
    public void acceptForwards(ForwardedWrites writes) {
        throw new AssertionError("only a ClusterClient registers for forwards");
    }
}
