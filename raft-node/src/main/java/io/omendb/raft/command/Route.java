package io.omendb.raft.command;

/**
 * What a sender routed a command or query by: the id and epoch of the range its cached range table named. Sent in
 * front of the request ({@link CommandCodec#encode(Route, Command)}, {@link QueryCodec#encode(Route, Query)}) and
 * stored in the log entry, so the replica decides at apply time, on the descriptor it has at that index, whether the
 * sender's table was current enough ({@code io.omendb.raft.statemachine.EpochCheck}).
 */
public record Route(long rangeId, long epoch) {
    public Route {
        if (epoch < 0) {
            throw new IllegalArgumentException("epoch must be >= 0, got " + epoch);
        }
    }
}
