package io.omendb.raft.client;

/**
 * How much a client's {@link Coalescer}s grouped: {@code writes} counts Raft entries carrying puts, deletes and
 * compare-and-sets (group commit), {@code reads} counts linearizable leader reads carrying gets (read folding).
 */
public record CoalescingTallies(CoalescingTally writes, CoalescingTally reads) {
    static CoalescingTallies create() {
        return new CoalescingTallies(new CoalescingTally(), new CoalescingTally());
    }
}
