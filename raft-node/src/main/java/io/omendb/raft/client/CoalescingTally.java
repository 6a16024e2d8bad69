package io.omendb.raft.client;

import java.util.concurrent.atomic.LongAdder;

/**
 * Running totals of one kind of {@link Coalescer} across every range of a client: messages sent (Raft entries
 * for writes, multi-gets for reads) and the requests they carried. {@code requests / messages} is the average
 * group size: 1 means nothing was grouped. Thread-safe; only ever increases.
 */
public final class CoalescingTally {
    private final LongAdder messages = new LongAdder();
    private final LongAdder requests = new LongAdder();

    void record(int requestsInMessage) {
        messages.increment();
        requests.add(requestsInMessage);
    }

    /** Messages sent that carried groupable requests (a lone request counts as a message of one). */
    public long messages() {
        return messages.sum();
    }

    /** Groupable requests sent, alone or grouped. */
    public long requests() {
        return requests.sum();
    }
}
