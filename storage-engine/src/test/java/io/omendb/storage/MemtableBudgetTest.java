package io.omendb.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link MemtableBudget}: its flush rule, its accounting and its choice of memtable, with the freezes queued on a
 * hand-run executor (deterministic); then engines sharing a budget, where the largest memtable is flushed early as a
 * durable segment.
 */
class MemtableBudgetTest {
    private static final long MIB = 1L << 20;

    @TempDir
    Path dir;

    /** The freezes the budget asked for, run when the test says. */
    private final ArrayDeque<Runnable> queued = new ArrayDeque<>();

    private MemtableBudget budget(long bytesMax) {
        return new MemtableBudget(bytesMax, queued::add, null);
    }

    @Test
    void flushesWhenActiveBytesPassSevenEighthsOrAllBytesPassTheBudgetWithHalfActive() {
        long max = 8 * MIB;
        assertFalse(MemtableBudget.shouldFlush(7 * MIB, 0, max), "7/8 of the budget is still allowed");
        assertTrue(MemtableBudget.shouldFlush(7 * MIB + 1, 0, max));
        assertTrue(MemtableBudget.shouldFlush(4 * MIB, 4 * MIB + 1, max), "over the budget, half of it active");
        assertFalse(MemtableBudget.shouldFlush(4 * MIB - 1, 5 * MIB, max),
                "over the budget but mostly frozen: freezing more would not free memory sooner");
        assertFalse(MemtableBudget.shouldFlush(0, 100 * MIB, max));
        assertFalse(MemtableBudget.shouldFlush(4 * MIB, 4 * MIB, max), "at the budget, not over it");
    }

    @Test
    void freezesTheLargestActiveMemtableOnceAndCountsIt() {
        MemtableBudget b = budget(8 * MIB);
        List<String> frozen = new ArrayList<>();
        MemtableBudget.Member[] m = members(b, 3, frozen);
        m[0].grew(2 * MIB);
        m[1].grew(3 * MIB);
        m[2].grew(2 * MIB);
        assertTrue(queued.isEmpty(), "7 MiB active is under 7/8 of 8 MiB");
        m[2].grew(1);
        m[0].grew(1);
        assertEquals(1, queued.size(), "one freeze queued at a time");

        queued.poll().run();
        assertEquals(List.of("m1"), frozen, "the largest active memtable");
        assertEquals(1, b.pressureFlushes());
        assertEquals(1, m[1].pressureFlushes());
        assertEquals(7 * MIB + 2, b.memtableBytes(), "frozen bytes count until flushed");

        m[1].flushed(3 * MIB);
        assertEquals(4 * MIB + 2, b.memtableBytes());
        m[0].grew(1);
        assertTrue(queued.isEmpty(), "back under the budget");
    }

    /**
     * Raft log heap reserved in the budget shrinks the memtables' share at once: without a write, the freezes run until
     * the memtables fit what is left; the share never drops under an eighth of the budget.
     */
    @Test
    void aReservationFreezesMemtablesUntilTheyFitWhatIsLeft() {
        MemtableBudget b = budget(8 * MIB);
        List<String> frozen = new ArrayList<>();
        MemtableBudget.Member[] m = members(b, 3, frozen);
        m[0].grew(2 * MIB);
        m[1].grew(3 * MIB);
        m[2].grew(MIB);
        assertTrue(queued.isEmpty());

        b.reserve(4 * MIB);
        assertEquals(4 * MIB, b.memtableBytesMax());
        assertEquals(1, queued.size(), "one task for all the freezes");
        queued.poll().run();
        assertEquals(List.of("m1", "m0"), frozen, "largest first, until the active bytes fit 7/8 of 4 MiB");
        assertEquals(2, b.pressureFlushes());

        b.reserve(100 * MIB);
        assertEquals(MIB, b.memtableBytesMax(), "never below an eighth of the budget");
        b.reserve(-5);
        assertEquals(8 * MIB, b.memtableBytesMax());
    }

    /** {@code n} members whose freeze succeeds, freezing all their bytes and adding "m" + index to {@code frozen}. */
    private static MemtableBudget.Member[] members(MemtableBudget b, int n, List<String> frozen) {
        MemtableBudget.Member[] m = new MemtableBudget.Member[n];
        for (int i = 0; i < n; i++) {
            int id = i;
            m[i] = b.join(() -> {
                frozen.add("m" + id);
                m[id].froze(m[id].bytes());
                return true;
            });
        }
        return m;
    }

    @Test
    void anEngineThatCannotFreezeIsNotCountedAndALeftMemberIsForgotten() {
        MemtableBudget b = budget(MIB);
        MemtableBudget.Member idle = b.join(() -> false);
        idle.grew(MIB);
        queued.poll().run();
        assertEquals(0, b.pressureFlushes());

        idle.leave();
        assertEquals(0, b.memtableBytes());
        idle.grew(MIB);
        idle.flushed(MIB);
        assertEquals(0, b.memtableBytes(), "reports after leaving are ignored");
        assertTrue(queued.isEmpty());
    }

    @Test
    void budgetIsHalfTheSmallerOfTheMemoryLimitAndTheHeap() {
        assertEquals(1024 * MIB, MemtableBudget.bytesMaxFor(2048 * MIB, 4096 * MIB));
        assertEquals(512 * MIB, MemtableBudget.bytesMaxFor(2048 * MIB, 1024 * MIB));
    }

    /**
     * Two engines below their own freeze points fill a 1-MiB budget: the larger one's memtable is flushed early into
     * a segment, its durable index catches up with its applied index (so Raft may purge its log), and its contents
     * survive a reopen; the smaller engine keeps buffering.
     */
    @Test
    void theLargestEngineIsFlushedEarlyAndDurably() throws Exception {
        EngineOptions opts = EngineOptions.defaults().withFsync(false);
        MemtableBudget b = budget(MIB);
        byte[] value = new byte[16 * 1024];
        Arrays.fill(value, (byte) 7);
        try (MaintenancePool pool = MaintenancePool.create(1, "budget-test", b);
             StorageEngine large = StorageEngine.open(dir.resolve("large"), opts, pool);
             StorageEngine small = StorageEngine.open(dir.resolve("small"), opts, pool)) {
            for (int i = 0; i < 20; i++) {
                small.put(key(i), value);
            }
            for (int i = 0; queued.isEmpty(); i++) {
                large.put(key(i), value);
            }
            assertEquals(0, large.durableIndex());
            long largeBytes = large.memtableBytes();

            queued.poll().run();
            large.flush(); // waits for the flush the budget scheduled (nothing left to freeze)
            assertEquals(1, large.memoryPressureFlushes());
            assertEquals(0, small.memoryPressureFlushes());
            assertEquals(large.appliedIndex(), large.durableIndex());
            assertEquals(1, large.stats().segments());
            assertEquals(0, large.memtableBytes());
            assertEquals(small.memtableBytes(), b.memtableBytes());
            assertEquals(0, small.durableIndex(), "the smaller engine was not flushed");
            assertTrue(largeBytes > small.memtableBytes());
        }
        assertEquals(0, b.memtableBytes(), "closed engines leave the budget");
        try (StorageEngine reopened = StorageEngine.open(dir.resolve("large"), opts)) {
            assertArrayEquals(value, reopened.get(key(0)));
        }
    }

    private static byte[] key(int i) {
        return String.format("k%08d", i).getBytes();
    }
}
