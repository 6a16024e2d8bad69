package io.omendb.raft.client;

import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.wire.CorruptFrameException;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.StateMachineException;

import java.util.function.Function;

/**
 * Turns one group's Raft replies into results or {@link ClientException}s: a reply that carries a failure, or a
 * future that failed, becomes REFUSED (the state machine raised it: definite) or UNAVAILABLE (anything else); a reply
 * whose payload fails to decode becomes CORRUPT_REPLY. Every message names the group. A replica's range refusal
 * ({@link CommandResult.Refused}, {@link QueryResult.Refused}) is a decoded result (a group's members are refused
 * one by one); {@link #admitted} turns it into RANGE_MOVED, carrying the replica's descriptor, once the result is
 * the caller's own. Stateless and thread-safe.
 */
final class ReplyDecoder {
    private final String groupName;

    /** @param groupName how failures name the group (its id) */
    ReplyDecoder(String groupName) {
        this.groupName = groupName;
    }

    /** "group ID", the prefix of every failure about this group. */
    String group() {
        return "group " + groupName;
    }

    /** The payload of a successful reply, decoded by {@code decoder}; else the failure as a ClientException. */
    <T> T decode(RaftClientReply reply, Throwable error, Function<byte[], T> decoder) {
        byte[] bytes = payload(reply, error);
        try {
            return decoder.apply(bytes);
        } catch (CorruptFrameException e) {
            throw new ClientException(ErrorCode.CORRUPT_REPLY, group() + ": " + e.getMessage(), e);
        }
    }

    /** {@code r}, or RANGE_MOVED when the replica refused it. */
    CommandResult admitted(CommandResult r) {
        if (r instanceof CommandResult.Refused f) {
            throw ClientException.rangeMoved(group(), f.refusal());
        }
        return r;
    }

    /** {@code r}, or RANGE_MOVED when the replica refused it. */
    QueryResult admitted(QueryResult r) {
        if (r instanceof QueryResult.Refused f) {
            throw ClientException.rangeMoved(group(), f.refusal());
        }
        return r;
    }

    private byte[] payload(RaftClientReply reply, Throwable error) {
        if (error != null || !reply.isSuccess()) {
            throw failure(failureOf(reply, error));
        }
        return reply.getMessage().getContent().toByteArray();
    }

    /** {@code t} as the ClientException a caller sees. */
    ClientException failure(Throwable t) {
        if (t instanceof ClientException ce) {
            return ce;
        }
        if (t instanceof StateMachineException sme) {
            return new ClientException(ErrorCode.REFUSED, group() + ": "
                    + (sme.getCause() != null ? sme.getCause().getMessage() : sme.getMessage()), sme);
        }
        return new ClientException(ErrorCode.UNAVAILABLE, group() + ": " + t, t);
    }

    /** What failed: the future's error (unwrapped), the reply's exception, or null for a successful reply. */
    static Throwable failureOf(RaftClientReply reply, Throwable error) {
        return error != null ? Failures.unwrap(error) : reply.isSuccess() ? null : reply.getException();
    }

    /** Whether {@code t} or any exception in its cause chain is a {@code type}. */
    static boolean causedBy(Throwable t, Class<? extends Throwable> type) {
        for (Throwable c = t; c != null; c = c.getCause()) {
            if (type.isInstance(c)) {
                return true;
            }
        }
        return false;
    }
}
