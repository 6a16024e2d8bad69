package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.command.Route;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.exceptions.StateMachineException;

import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One group's writes: commands are grouped into log entries ({@link Coalescer}, group commit) and each entry reaches
 * the leader through {@link LeaderPath}, which resends the same invocation until a definite answer (so an entry is
 * applied at most once however often it is resent). Single-key writes of this router to a range led elsewhere may
 * instead be forwarded to the leader's node to share its entries (leader-side group commit).
 *
 * <p><b>Outcomes.</b> A write completes with its {@link CommandResult} once committed and applied; with REFUSED when
 * the state machine refused it; with UNAVAILABLE when it certainly did not commit; with OUTCOME_UNKNOWN when a
 * forward failed after it may have run; with COMMAND_TOO_LARGE before anything is sent when it cannot fit one entry.
 *
 * <p>Thread-safe; state lives in the coalescer and the leader path.
 */
final class WritePath {
    private final LeaderPath leaderPath;
    private final ReplyDecoder replies;
    private final int commandBytesMax;
    private final boolean forwardToLeader;
    private final CoalescingTally forwards;
    private final Coalescer<Coalescer.Proposal, CommandResult> writes;
    private final Supplier<Route> routes;

    /**
     * @param commandBytesMax encoded bytes of one log entry at most
     * @param tallies         where grouping and forwards are counted (shared by every channel of the client)
     * @param lingerTime      where group commit's linger timers run
     * @param routes          the route each entry is sent with (taken when it is proposed; null: none)
     */
    WritePath(LeaderPath leaderPath, ReplyDecoder replies, int commandBytesMax, GroupCommitSettings groupCommit,
              CoalescingTallies tallies, ClientTime lingerTime, Supplier<Route> routes) {
        this.routes = routes;
        this.leaderPath = leaderPath;
        this.replies = replies;
        this.commandBytesMax = commandBytesMax;
        this.forwardToLeader = groupCommit.forwardToLeader();
        this.forwards = tallies.forwards();
        this.writes = Coalescer.writes(this::propose, groupCommit, commandBytesMax, tallies.writes(), lingerTime);
    }

    /** Proposes {@code command}; single-key writes may share an entry with others ({@link Coalescer}). */
    CompletableFuture<CommandResult> write(Command command) {
        Coalescer.Proposal proposal = Coalescer.Proposal.of(command);
        int encodedBytes = proposal.frame().length;
        if (encodedBytes > commandBytesMax) {
            return CompletableFuture.failedFuture(new ClientException(ErrorCode.COMMAND_TOO_LARGE, "the command encodes to "
                    + encodedBytes + " bytes; one Raft entry holds at most " + commandBytesMax + "; split it"));
        }
        return writes.submit(proposal, encodedBytes);
    }

    /**
     * Writes another router forwarded to this one ({@code Query.Forward}): proposed here with this router's own, in one
     * entry when the limits allow, and answered as that router's entry would have been.
     */
    CompletableFuture<CommandResult> writeForwarded(Command entry) {
        List<Command> members = entry instanceof Command.Group g ? g.commands() : List.of(entry);
        List<CompletableFuture<CommandResult>> answers = writes.submitAll(
                members.stream().map(c -> Coalescer.Proposal.of(c, true)).toList(), p -> p.frame().length);
        if (answers.size() == 1 && !(entry instanceof Command.Group)) {
            return answers.get(0);
        }
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<CommandResult> results = answers.stream().map(CompletableFuture::join).toList();
            return new CommandResult.Grouped(results.stream().mapToLong(CommandResult::revision).max().orElseThrow(),
                    results);
        });
    }

    /**
     * Sends one log entry to the leader: single-key writes of this router to a range led elsewhere are forwarded to
     * the leader's node (leader-side group commit, {@link LeaderPath#forward}) when that is on, and proposed by this
     * router ({@link LeaderPath#write}) when the leader is here, when they were forwarded here, or when the leader's
     * node takes no forwards.
     */
    private CompletableFuture<CommandResult> propose(Coalescer.Proposal entry) {
        boolean singleKeyWrites = entry.command() instanceof Command.Group || Command.singleKeyOf(entry.command()) != null;
        if (!forwardToLeader || entry.forwarded() || !singleKeyWrites || leaderPath.leadsLocally()) {
            return proposeHere(entry);
        }
        return leaderPath.forward(GroupTransport.message(QueryCodec.forward(entry.frame()))).handle((reply, error) -> {
            CommandResult result = forwardedResult(reply, error);
            if (result == null) {
                return proposeHere(entry);
            }
            forwards.record(entry.command() instanceof Command.Group g ? g.commands().size() : 1);
            return CompletableFuture.completedFuture(result);
        }).thenCompose(Function.identity());
    }

    /**
     * Proposes the entry with the route of the group's range in the client's table now: a key routed here by an older
     * table is still checked against the replica's bounds, so a later epoch never lets a misrouted key through.
     * Forwards carry no route: the leader's router routes them by its own table.
     */
    private CompletableFuture<CommandResult> proposeHere(Coalescer.Proposal entry) {
        Route route = routes.get();
        byte[] frame = route == null ? entry.frame() : CommandCodec.route(route, entry.frame());
        return leaderPath.write(GroupTransport.message(frame))
                .handle((reply, error) -> replies.decode(reply, error, CommandCodec::decodeResult));
    }

    /**
     * The outcome of forwarded writes, or null when they were not forwarded (the leader is this process's server) or
     * the leader's node did not take them. A failure is UNAVAILABLE (did not commit) when every attempt certainly never
     * ran ({@link LeaderPath#certainlyNotRun}: only those are resent), else OUTCOME_UNKNOWN: the leader's node may have
     * proposed them.
     */
    private CommandResult forwardedResult(RaftClientReply reply, Throwable error) {
        if (error == null && reply == null) {
            return null;
        }
        Throwable t = ReplyDecoder.failureOf(reply, error);
        if (t != null) {
            Throwable reason = t instanceof StateMachineException && t.getCause() != null ? t.getCause() : t;
            if (LeaderPath.certainlyNotRun(t)) {
                throw new ClientException(ErrorCode.UNAVAILABLE, replies.group() + ": no leader took "
                        + "the forwarded writes (they did not commit): " + reason.getMessage(), t);
            }
            throw new ClientException(ErrorCode.OUTCOME_UNKNOWN, replies.group() + ": writes forwarded "
                    + "to the leader's node failed there or on the way back, so they may have committed; read the keys "
                    + "to learn their outcome: " + reason.getMessage(), t);
        }
        QueryResult answer = replies.decode(reply, null, QueryCodec::decodeResult);
        if (answer instanceof QueryResult.Forwarded f) {
            return f.result();
        }
        throw new ClientException(ErrorCode.CORRUPT_REPLY, replies.group() + ": forwarded writes were "
                + "answered with " + answer);
    }
}
