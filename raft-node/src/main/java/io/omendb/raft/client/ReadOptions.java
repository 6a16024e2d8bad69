package io.omendb.raft.client;

/**
 * How a read is served.
 *
 * @param consistency LINEARIZABLE: sees every write acknowledged before the read started (ReadIndex on the leader,
 *                    or on {@code replica} when set). STALE: whatever {@code replica} (or a replica the client
 *                    picks) has applied, once it has applied at least {@code minIndex}.
 * @param replica     node id to read from, or null to let the client choose
 * @param minIndex    for STALE reads: wait until the replica applied this index (e.g. the revision of one's own
 *                    last write); 0 for no wait
 */
public record ReadOptions(Consistency consistency, String replica, long minIndex) {
    public enum Consistency { LINEARIZABLE, STALE }

    public static ReadOptions linearizable() {
        return new ReadOptions(Consistency.LINEARIZABLE, null, 0);
    }

    public static ReadOptions stale() {
        return new ReadOptions(Consistency.STALE, null, 0);
    }

    public static ReadOptions staleOn(String replica, long minIndex) {
        return new ReadOptions(Consistency.STALE, replica, minIndex);
    }
}
