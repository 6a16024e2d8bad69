package io.omendb.router.http;

import java.lang.management.ManagementFactory;
import java.lang.management.MemoryPoolMXBean;
import java.lang.management.MemoryType;
import java.util.List;
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
 * <p><b>Cost.</b> Every write asks, on an HTTP event loop: the heap in use is read from {@link Runtime} (a read of the
 * collector's counters), not from {@code MemoryMXBean}, whose usage snapshot walks every memory pool and allocates
 * (8 % of the event loops' CPU under writes, docs/BENCHMARKS.md item 12). The after-collection reading, which does
 * walk the pools, is taken only when the heap in use is over the limit.
 */
public final class MemoryLimit implements BooleanSupplier {
    static final double HEAP_FRACTION_MAX = 0.9;

    private final long limitBytes;
    private final LongSupplier usedBytes;
    private final LongSupplier usedAfterLastGcBytes;

    public MemoryLimit(long limitBytes, LongSupplier usedBytes, LongSupplier usedAfterLastGcBytes) {
        this.limitBytes = limitBytes;
        this.usedBytes = usedBytes;
        this.usedAfterLastGcBytes = usedAfterLastGcBytes;
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
                        .mapToLong(u -> u == null ? 0 : u.getUsed()).sum());
    }

    public long limitBytes() {
        return limitBytes;
    }

    /** True while writes may be admitted. */
    @Override
    public boolean getAsBoolean() {
        return usedBytes.getAsLong() <= limitBytes || usedAfterLastGcBytes.getAsLong() <= limitBytes;
    }
}
