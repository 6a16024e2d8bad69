package io.omendb.router.backend;

import java.util.List;

/**
 * One entry of the range table as seen by the router: keys {@code [start, endOrNull)} (null end: unbounded),
 * the current leader's peer id (null when none is known), every peer id, the leader's applied Raft index, and
 * the range's live keys and on-disk bytes (approximate).
 */
public record RangeInfo(long id, byte[] start, byte[] endOrNull, long epoch, String leaderOrNull, List<String> peers,
                        long appliedIndex, long keys, long bytes) {
    public RangeInfo {
        peers = List.copyOf(peers);
    }
}
