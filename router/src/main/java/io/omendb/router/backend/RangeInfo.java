package io.omendb.router.backend;

import java.util.List;

/**
 * One entry of the range table as seen by the router: keys {@code [start, endOrNull)} (null end: unbounded),
 * the current leader's peer id (null when none is known), every peer id, the leader's applied Raft index, the
 * range's live keys and on-disk bytes (approximate), and what automatic splits and merges decide by: the bytes of keys
 * and values it stores and the keyed requests per second its leader served over the last load window (-1: the leader
 * did not answer).
 */
public record RangeInfo(long id, byte[] start, byte[] endOrNull, long epoch, String leaderOrNull, List<String> peers,
                        long appliedIndex, long keys, long bytes, long dataBytes, double loadOpsPerSecond) {
    public RangeInfo {
        peers = List.copyOf(peers);
    }
}
