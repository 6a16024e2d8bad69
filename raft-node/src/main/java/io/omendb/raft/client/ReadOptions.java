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
 * @param failFast    one attempt to {@code replica}, its answer or failure reported as it comes: neither the transport
 *                    nor the read path retries it, so a replica that is down (connection refused) or does not host
 *                    the group yet fails it at once. Only for STALE reads of a named replica (a question to that
 *                    replica alone, such as a starting node's probe of what each meta peer records of it)
 */
public record ReadOptions(Consistency consistency, String replica, long minIndex, boolean failFast) {
    public enum Consistency { LINEARIZABLE, STALE }

    public ReadOptions {
        if (failFast && (consistency != Consistency.STALE || replica == null)) {
            throw new IllegalArgumentException("a fail-fast read is a stale read of a named replica, not "
                    + consistency + " of " + replica);
        }
    }

    public static ReadOptions linearizable() {
        return new ReadOptions(Consistency.LINEARIZABLE, null, 0, false);
    }

    public static ReadOptions stale() {
        return new ReadOptions(Consistency.STALE, null, 0, false);
    }

    public static ReadOptions staleOn(String replica, long minIndex) {
        return new ReadOptions(Consistency.STALE, replica, minIndex, false);
    }

    /** These options, read in one attempt (see {@code failFast}). */
    public ReadOptions failingFast() {
        return new ReadOptions(consistency, replica, minIndex, true);
    }
}
