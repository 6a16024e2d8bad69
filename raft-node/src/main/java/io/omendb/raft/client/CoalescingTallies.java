package io.omendb.raft.client;

/**
 * How much a client's {@link Coalescer}s grouped: {@code writes} counts the messages carrying puts, deletes and
 * compare-and-sets (group commit): Raft entries this client proposed, and entries it forwarded to the leader's node;
 * {@code forwards} counts those forwarded ones that the leader's node took (leader-side group commit), so entries
 * proposed here are {@code writes} less {@code forwards}; {@code reads} counts linearizable leader reads carrying
 * gets (read folding).
 */
public record CoalescingTallies(CoalescingTally writes, CoalescingTally forwards, CoalescingTally reads) {
    static CoalescingTallies create() {
        return new CoalescingTallies(new CoalescingTally(), new CoalescingTally(), new CoalescingTally());
    }
}
