package io.omendb.router.http;

import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * {@code [limits] memory_limit_mb} for writes: while the heap is over the limit, writes are refused (503
 * memory_limit) so the JVM never reaches OutOfMemoryError serving them; reads keep working and free memory as
 * they finish. The limit is capped at {@link #HEAP_FRACTION_MAX} of the JVM's max heap, so a limit set above the
 * heap still leaves headroom.
 *
 * <p><b>Garbage is not load.</b> Heap in use includes garbage not yet collected, so "over the limit" needs both
 * the heap in use now and the heap still in use after the last collection to exceed it: a burst of garbage alone
 * does not refuse writes, live data does. Both readings are injected, so tests can drive them. Thread-safe.
 *
 * <p><b>A refusing node asks for a collection.</b> The "after the last collection" reading is only as fresh as that
 * collection. A node that refuses every write allocates almost nothing, so no collection comes; memory freed after
 * the last one (memtables flushed, Raft log segments rolled and evicted) stays counted, and the node stayed
 * read-only for good (docs/BENCHMARKS.md, "4 GiB at the default split size"). So while writes are refused because
 * both readings are over the limit, a collection is requested ({@code collect}, {@link System#gc} outside tests) on a
 * thread of its own, at most once per {@link #COLLECT_INTERVAL_MS}: if the memory was garbage, writes resume after
 * it; if it is live, the node keeps refusing and pays one collection per interval.
 *
 * <p><b>Cost.</b> Every write asks, on an HTTP event loop: the heap in use is read from {@link Runtime} (a read of the
 * collector's counters), not from {@code MemoryMXBean}, whose usage snapshot walks every memory pool and allocates
 * (8 % of the event loops' CPU under writes, docs/BENCHMARKS.md item 12). The after-collection reading, which does
 * walk the pools, is taken only when the heap in use is over the limit.
 */
public final class MemoryLimit implements BooleanSupplier {
    private static final Logger LOG = LoggerFactory.getLogger(MemoryLimit.class);
    static final double HEAP_FRACTION_MAX = 0.9;
    /** Least time between two collections requested while writes are refused. */
    static final long COLLECT_INTERVAL_MS = 10_000;

    private final long limitBytes;
    private final LongSupplier usedBytes;
    private final LongSupplier usedAfterLastGcBytes;
    private final Runnable collect;
    private final LongSupplier nanoTime;
    /** When the last collection was requested (nanoTime), or {@link Long#MIN_VALUE} before the first. */
    private final AtomicLong lastCollectNanos = new AtomicLong(Long.MIN_VALUE);

    /**
     * @param collect  requests a collection; called on the thread that found writes refused, so it must hand the work
     *                 off ({@link #ofHeap} starts a daemon thread for {@link System#gc})
     * @param nanoTime the clock that spaces the requests ({@link System#nanoTime} outside tests)
     */
    public MemoryLimit(long limitBytes, LongSupplier usedBytes, LongSupplier usedAfterLastGcBytes,
                       Runnable collect, LongSupplier nanoTime) {
        this.limitBytes = limitBytes;
        this.usedBytes = usedBytes;
        this.usedAfterLastGcBytes = usedAfterLastGcBytes;
        this.collect = collect;
        this.nanoTime = nanoTime;
    }

    /** The limit over this JVM's heap, capped at {@link #HEAP_FRACTION_MAX} of the max heap. */
    public static MemoryLimit ofHeap(long memoryLimitBytes) {
        long max = Runtime.getRuntime().maxMemory();
        long limit = max == Long.MAX_VALUE ? memoryLimitBytes : Math.min(memoryLimitBytes, (long) (max * HEAP_FRACTION_MAX));
        List<MemoryPoolMXBean> heapPools = ManagementFactory.getMemoryPoolMXBeans().stream()
                .filter(p -> p.getType() == MemoryType.HEAP && p.isCollectionUsageThresholdSupported()).toList();
        Runtime runtime = Runtime.getRuntime();
        return new MemoryLimit(limit, () -> runtime.totalMemory() - runtime.freeMemory(),
                () -> heapPools.stream().map(MemoryPoolMXBean::getCollectionUsage)
                        .mapToLong(u -> u == null ? 0 : u.getUsed()).sum(),
                MemoryLimit::collectInBackground, System::nanoTime);
    }

    private static void collectInBackground() {
        Thread t = new Thread(System::gc, "omendb-memory-limit-gc");
        t.setDaemon(true);
        t.start();
    }

    public long limitBytes() {
        return limitBytes;
    }

    /** True while writes may be admitted. */
    @Override
    public boolean getAsBoolean() {
        if (usedBytes.getAsLong() <= limitBytes) {
            return true;
        }
        long afterGc = usedAfterLastGcBytes.getAsLong();
        if (afterGc <= limitBytes) {
            return true;
        }
        maybeCollect(afterGc);
        return false;
    }

    private void maybeCollect(long afterGcBytes) {
        long now = nanoTime.getAsLong();
        long last = lastCollectNanos.get();
        boolean due = last == Long.MIN_VALUE || now - last >= TimeUnit.MILLISECONDS.toNanos(COLLECT_INTERVAL_MS);
        if (due && lastCollectNanos.compareAndSet(last, now)) {
            LOG.info("writes refused: {} MiB of heap in use after the last collection, over the limit of {} MiB; "
                    + "requesting a collection", afterGcBytes >> 20, limitBytes >> 20);
            collect.run();
        }
    }
}
