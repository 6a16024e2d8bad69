package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.wire.CorruptFrameException;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.StateMachineException;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;

import java.io.IOException;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;

/**
 * The connection to one Raft group: a Ratis {@link RaftClient} (which follows the leader and retries per its
 * retry policy) plus encoding of commands and queries and decoding of replies into results or
 * {@link ClientException}s. Thread-safe (RaftClient is); closed when the group's membership changes.
 */
final class GroupChannel implements AutoCloseable {
    private final RaftGroup group;
    private final RaftClient raft;
    private final int commandBytesMax;

    GroupChannel(RaftGroup group, RaftProperties properties, RetryPolicy retryPolicy, int commandBytesMax) {
        this.group = group;
        this.commandBytesMax = commandBytesMax;
        this.raft = RaftClient.newBuilder().setRaftGroup(group).setProperties(properties)
                .setRetryPolicy(retryPolicy).build();
    }

    RaftGroup group() {
        return group;
    }

    RaftClient raft() {
        return raft;
    }

    CompletableFuture<CommandResult> write(Command command) {
        byte[] encoded = CommandCodec.encode(command);
        if (encoded.length > commandBytesMax) {
            return CompletableFuture.failedFuture(new ClientException(ErrorCode.COMMAND_TOO_LARGE, "the command encodes to "
                    + encoded.length + " bytes; one Raft entry holds at most " + commandBytesMax + "; split it"));
        }
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(encoded));
        return raft.async().send(m).handle((reply, error) -> decode(reply, error, CommandCodec::decodeResult));
    }

    CompletableFuture<QueryResult> read(Query query, ReadOptions options, RaftPeerId replica) {
        Message m = Message.valueOf(UnsafeByteOperations.unsafeWrap(QueryCodec.encode(query)));
        CompletableFuture<RaftClientReply> f;
        if (options.consistency() == ReadOptions.Consistency.LINEARIZABLE) {
            f = replica == null ? raft.async().sendReadOnly(m) : raft.async().sendReadOnly(m, replica);
        } else {
            f = raft.async().sendStaleRead(m, options.minIndex(), replica);
        }
        return f.handle((reply, error) -> decode(reply, error, QueryCodec::decodeResult));
    }

    private <T> T decode(RaftClientReply reply, Throwable error, Function<byte[], T> decoder) {
        byte[] bytes = payload(reply, error);
        try {
            return decoder.apply(bytes);
        } catch (CorruptFrameException e) {
            throw new ClientException(ErrorCode.CORRUPT_REPLY, "group " + group.getGroupId() + ": " + e.getMessage(), e);
        }
    }

    private byte[] payload(RaftClientReply reply, Throwable error) {
        if (error != null) {
            throw failure(error instanceof CompletionException && error.getCause() != null ? error.getCause() : error);
        }
        if (!reply.isSuccess()) {
            throw failure(reply.getException());
        }
        return reply.getMessage().getContent().toByteArray();
    }

    private ClientException failure(Throwable t) {
        if (t instanceof ClientException ce) {
            return ce;
        }
        if (t instanceof StateMachineException sme) {
            return new ClientException(ErrorCode.REFUSED, "group " + group.getGroupId() + ": "
                    + (sme.getCause() != null ? sme.getCause().getMessage() : sme.getMessage()), sme);
        }
        return new ClientException(ErrorCode.UNAVAILABLE, "group " + group.getGroupId() + ": " + t, t);
    }

    @Override
    public void close() throws IOException {
        raft.close();
    }
}
