package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.ForwardedWrites;
import io.omendb.raft.meta.RangeDescriptor;
import org.apache.ratis.protocol.RaftGroupId;

import java.util.concurrent.CompletableFuture;

/**
 * Takes the single-key writes other routers forward to this node's leading replicas (leader-side group commit) and
 * proposes them through this client's channels, with this router's own writes ({@link WritePath#writeForwarded}).
 * A forward for a group this client does not know (not in its cached range table) is not taken: the sender then
 * proposes it itself. The writes are proposed with this router's route, so when the range refuses them (this router's
 * table is out of date) this router refreshes its table: the sender re-routes and forwards again, and must not meet
 * the same old table. Registered with the node's Raft server while open; never blocks (Ratis RPC threads call it).
 */
final class ForwardAcceptor implements ForwardedWrites, AutoCloseable {
    private final LocalRaftServer localServer;
    private final ChannelPool channels;
    private final RangeRouter routing;
    private final Runnable refreshTable;

    /**
     * Registers with {@code localServer} at once.
     *
     * @param refreshTable starts a refresh of this client's range table (after a range refused forwarded writes)
     */
    ForwardAcceptor(LocalRaftServer localServer, ChannelPool channels, RangeRouter routing, Runnable refreshTable) {
        this.localServer = localServer;
        this.channels = channels;
        this.routing = routing;
        this.refreshTable = refreshTable;
        localServer.acceptForwards(this);
    }

    /** The forwarded writes' outcome; null (not taken) for a group missing from the cached range table. */
    @Override
    public CompletableFuture<CommandResult> propose(RaftGroupId groupId, Command entry) {
        GroupChannel c = channels.cachedOrNull(groupId);
        if (c == null) {
            RangeDescriptor r = routing.rangeOfGroupOrNull(groupId.getUuid());
            c = r == null ? null : channels.channel(r);
        }
        return c == null ? CompletableFuture.completedFuture(null) : c.writeForwarded(entry).whenComplete((r, e) -> {
            if (refused(r)) {
                refreshTable.run();
            }
        });
    }

    private static boolean refused(CommandResult r) {
        return r instanceof CommandResult.Refused || r instanceof CommandResult.Grouped g
                && g.results().stream().anyMatch(m -> m instanceof CommandResult.Refused);
    }

    /** Stops taking forwards: the senders propose their writes themselves. */
    @Override
    public void close() {
        localServer.acceptForwards(ForwardedWrites.NONE);
    }
}
