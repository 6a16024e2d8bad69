package io.omendb.raft.client;

import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.io.Closeable;
import java.util.concurrent.CompletableFuture;

/**
 * How a {@link GroupChannel} reaches one Raft group's servers: "send this to the leader / to replica X, give me a
 * future of the reply". Production implements it over Ratis clients ({@link RatisGroupClients}); tests and the
 * simulation implement it with scripted peers.
 *
 * <p>A reply future either completes with the server's {@link RaftClientReply} (which may carry a Raft failure:
 * not the leader, state machine refusal, ...) or fails with the transport's failure (timeout, connection refused,
 * client closed). Retrying is the caller's business except where a method says otherwise.
 */
public interface GroupTransport extends Closeable {
    /** A linearizable read served by the group's leader; the transport follows the leader and retries (its policy). */
    CompletableFuture<RaftClientReply> readFromLeader(Message query);

    /** A linearizable read served by {@code replica} (ReadIndex through the leader); few, short retries. */
    CompletableFuture<RaftClientReply> readFromReplica(Message query, RaftPeerId replica);

    /** A read of whatever {@code replica} applied, once it applied at least {@code minIndex}; few, short retries. */
    CompletableFuture<RaftClientReply> staleRead(Message query, long minIndex, RaftPeerId replica);

    /**
     * Sends {@code request} as it is (its server id, client id and call id), once: {@link LeaderPath}'s log entries
     * and forwards, which it resends itself as the same invocation, and {@link ReadPath}'s fail-fast reads. A failure
     * the transport knows happened before a byte left is reported as {@link RequestNotSentException}.
     */
    CompletableFuture<RaftClientReply> send(RaftClientRequest request);

    /** An encoded command or query as a message (wrapped, not copied: the caller must not change it after). */
    static Message message(byte[] encoded) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(encoded));
    }
}
