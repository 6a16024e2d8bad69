package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.command.Route;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.RetryPolicy;

import java.io.IOException;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;
import java.util.stream.Collectors;

/**
 * The connection to one Raft group, composed of its roles: the {@link GroupTransport} (Ratis clients in
 * production), the {@link WritePath} (group commit, forwards, {@link LeaderPath}'s resends of the same invocation),
 * the {@link ReadPath} (read folding, in-process reads, the transient-refusal retry window) and the
 * {@link ReplyDecoder} both share. Time and scheduling come from {@link Settings}, so the whole channel runs on
 * scripted peers and a virtual clock in tests.
 *
 * <p>Thread-safe; closed (its transport with it) when the group's membership changes.
 */
final class GroupChannel implements AutoCloseable {
    private final RaftGroup group;
    /** The ids of {@link #group}'s peers, for {@link #hasPeers}. */
    private final Set<String> peerIds;
    private final GroupTransport transport;
    private final WritePath writes;
    private final ReadPath reads;
    private final ReplyDecoder replies;

    /**
     * What every channel of a client shares.
     *
     * @param commandBytesMax   encoded bytes of one log entry at most
     * @param groupCommit       how single-key writes are grouped into entries
     * @param tallies           where grouping is counted (shared by every channel of the client)
     * @param localServerOrNull this process's Raft server, or null outside a node
     * @param entryRetryPolicy  whether and after how long a log entry is resent ({@link LeaderPath})
     * @param attemptTimeoutMs  timeout of one in-process attempt of a log entry
     * @param lingerTime        where group commit's linger timers run
     * @param retryTime         the clock of the read retry window, and where resends sleep
     */
    record Settings(int commandBytesMax, GroupCommitSettings groupCommit, CoalescingTallies tallies,
                    LocalRaftServer localServerOrNull, RetryPolicy entryRetryPolicy, long attemptTimeoutMs,
                    ClientTime lingerTime, ClientTime retryTime) {
        /** These settings without the in-process server (a channel that must talk to the other peers only). */
        Settings withoutLocalServer() {
            return new Settings(commandBytesMax, groupCommit, tallies, null, entryRetryPolicy, attemptTimeoutMs,
                    lingerTime, retryTime);
        }

        /** These settings with another entry size limit. */
        Settings withCommandBytesMax(int bytesMax) {
            return new Settings(bytesMax, groupCommit, tallies, localServerOrNull, entryRetryPolicy, attemptTimeoutMs,
                    lingerTime, retryTime);
        }
    }

    /**
     * @param routes what this group's requests are routed by when sent: the range id and epoch of the group's range in
     *               the client's table at that moment (null: the meta group, or a group the table does not name)
     */
    GroupChannel(RaftGroup group, GroupTransport transport, Settings settings, Supplier<Route> routes) {
        this.group = group;
        this.peerIds = group.getPeers().stream().map(p -> p.getId().toString()).collect(Collectors.toUnmodifiableSet());
        this.transport = transport;
        ReplyDecoder replies = new ReplyDecoder(group.getGroupId().toString());
        LeaderPath leaderPath = new LeaderPath(group, settings.localServerOrNull(), transport::send,
                settings.entryRetryPolicy(), settings.attemptTimeoutMs(), settings.retryTime());
        this.replies = replies;
        this.writes = new WritePath(leaderPath, replies, settings.commandBytesMax(), settings.groupCommit(),
                settings.tallies(), settings.lingerTime(), routes);
        this.reads = new ReadPath(group.getGroupId(), transport, leaderPath, replies, settings.retryTime(),
                settings.groupCommit(), settings.commandBytesMax(), settings.tallies().reads(), routes);
    }

    RaftGroup group() {
        return group;
    }

    /** Whether this channel's group has exactly these peers (node ids, each once), in any order. */
    boolean hasPeers(List<String> nodeIds) {
        return nodeIds.size() == peerIds.size() && peerIds.containsAll(nodeIds);
    }

    /** The leader-addressed Ratis client, for admin calls. */
    RaftClient raft() {
        return ratis().leader();
    }

    private RatisGroupClients ratis() {
        if (transport instanceof RatisGroupClients r) {
            return r;
        }
        throw new IllegalStateException("admin calls need a channel over Ratis, not " + transport);
    }

    /** See {@link WritePath#write}; a range refusal fails it with RANGE_MOVED. */
    CompletableFuture<CommandResult> write(Command command) {
        return writes.write(command).thenApply(replies::admitted);
    }

    /** See {@link WritePath#writeForwarded}. */
    CompletableFuture<CommandResult> writeForwarded(Command entry) {
        return writes.writeForwarded(entry);
    }

    /** See {@link ReadPath#read}; a range refusal fails it with RANGE_MOVED. */
    CompletableFuture<QueryResult> read(Query query, ReadOptions options, RaftPeerId replica) {
        return reads.read(query, options, replica).thenApply(replies::admitted);
    }

    @Override
    public void close() throws IOException {
        transport.close();
    }
}
