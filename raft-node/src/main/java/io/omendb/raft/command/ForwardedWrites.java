package io.omendb.raft.command;

import org.apache.ratis.protocol.RaftGroupId;

import java.util.concurrent.CompletableFuture;

/**
 * Where a node takes single-key writes that other routers forward to it as the leader of their range
 * ({@link Query.Forward}): its own router, which proposes them in its entries (leader-side group commit).
 * Implementations must not block the calling thread (a Ratis RPC thread).
 */
@FunctionalInterface
public interface ForwardedWrites {
    /** Refuses every forward: the sender proposes its writes itself. */
    ForwardedWrites NONE = (group, entry) -> CompletableFuture.completedFuture(null);

    /**
     * Proposes {@code entry}'s writes to {@code group} and completes with their outcome as one entry would answer
     * it ({@link CommandResult.Grouped} for a group), or with null when this node takes no forwards (nothing was
     * proposed).
     */
    CompletableFuture<CommandResult> propose(RaftGroupId group, Command entry);
}
