package io.omendb.raft;

import io.omendb.raft.client.MetaView;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;

/**
 * {@link SharedMetaReads} with a counted fake read and a fake clock: the reconciler's pass always reads, the automatic
 * merger shares the latest read while it is younger than the reuse bound, and a failed read is never shared.
 */
class SharedMetaReadsTest {
    static final long REUSE_MS = 10_000;

    private final List<CompletableFuture<MetaView>> reads = new ArrayList<>();
    private long nowMs;
    private final SharedMetaReads shared = new SharedMetaReads(() -> {
        CompletableFuture<MetaView> f = new CompletableFuture<>();
        reads.add(f);
        return f;
    }, () -> nowMs, REUSE_MS);

    private static MetaView view() {
        return new MetaView(new RangeTable(List.of(new RangeDescriptor(1, new byte[0], null, UUID.randomUUID(),
                List.of("n1"), 1))), List.of());
    }

    @Test
    void onePassOfBothRolesReadsTheMetaGroupOnce() {
        CompletableFuture<MetaView> reconcile = shared.fresh();
        nowMs += REUSE_MS - 1;
        CompletableFuture<MetaView> merger = shared.recent();
        assertEquals(1, reads.size(), "the merger shared the reconciler's read");
        MetaView v = view();
        reads.get(0).complete(v);
        assertSame(v, reconcile.join());
        assertSame(v, merger.join());

        nowMs += 1;
        shared.recent();
        assertEquals(2, reads.size(), "a read as old as the bound is not shared");
        shared.fresh();
        assertEquals(3, reads.size(), "the reconciler always reads");
    }

    @Test
    void aFailedReadIsNotShared() {
        shared.fresh();
        reads.get(0).completeExceptionally(new IllegalStateException("no meta leader"));
        shared.recent();
        assertEquals(2, reads.size());
    }
}
