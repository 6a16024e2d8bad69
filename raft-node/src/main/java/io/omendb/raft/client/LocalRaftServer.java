package io.omendb.raft.client;

import io.omendb.raft.command.ForwardedWrites;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;

import java.util.concurrent.CompletableFuture;

/**
 * The Raft server running in the same process as a {@link ClusterClient} (a router inside a node). Requests for a
 * group whose leader is this server are handed to it directly, not sent through gRPC to itself
 * ({@link LeaderPath}).
 */
public interface LocalRaftServer {
    /** The server's peer id. */
    RaftPeerId peerId();

    /** Whether this server's replica of {@code group} leads now: a hint for choosing the path; submission decides. */
    boolean leads(RaftGroupId group);

    /**
     * Hands {@code request} to the server, as its gRPC service would. The answer completes off the server's own
     * threads (already complete on return when the server answered at once, so what callers chain on it runs on
     * their own thread), so callers may hand the next request over from what they chain on it.
     */
    CompletableFuture<RaftClientReply> submit(RaftClientRequest request);

    /**
     * Makes {@code writes} take the single-key writes other routers forward to this server's leading replicas
     * (replacing whatever took them before; {@link ForwardedWrites#NONE}: refuse them, the senders propose them
     * themselves).
     */
    void acceptForwards(ForwardedWrites writes);
}
