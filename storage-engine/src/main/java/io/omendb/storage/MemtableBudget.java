package io.omendb.storage;

import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.Executor;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.BooleanSupplier;
import java.util.function.LongSupplier;

/**
 * The memtable bytes of every engine of one node, against one budget: when the memtables together grow past it,
 * the largest active memtable is frozen and flushed (a <em>memory-pressure flush</em>), so the node's buffered
 * writes never fill the heap on their own. (RocksDB's write buffer manager and TiKV's memory-based flush do the
 * same.)
 *
 * <p><b>Why.</b> An engine flushes its memtable only when a write pushes it to its own freeze point
 * ({@code retrainThreshold} entries or 16 MiB). A node hosting many ranges can hold a memtable just under that point
 * in each of them; if together they fill {@code [limits] memory_limit_mb}, every write is refused (503
 * {@code memory_limit}), no write reaches a freeze point, and nothing ever frees the heap: the node is read-only
 * until a restart. With a budget below the limit, the memtables are flushed before they reach it, and a flush
 * started at the limit lets writes resume once it completed.
 *
 * <p><b>Rule</b> ({@link #shouldFlush}, pure): flush the largest active memtable while the active (not yet frozen)
 * bytes are over {@link #ACTIVE_FRACTION_MAX} of the budget, or while all memtable bytes (active and frozen, the
 * frozen ones waiting for their flush) are over the budget and the active ones still hold half of it. Frozen bytes
 * alone never trigger: freezing more memtables would not free them sooner.
 *
 * <p><b>Room for the Raft log.</b> The memtables are not the only heap that grows with writes per range: Ratis keeps
 * each range's open log segment in memory (up to {@code [wal] segment_size_mb} per range), and the segment closed
 * last until its next eviction. Its owner {@link #reserve
 * reserves} what that heap holds now; the memtables then get the budget less the reservation, never less than
 * {@code 1/}{@link #RESERVATION_FLOOR_DIVISOR} of it (so writes still batch into segments of some size). Without
 * it, 16 ranges of 4 KiB writes on a 768 MiB heap held 280 MB of log entries next to a full memtable budget and the
 * node refused writes for good (docs/BENCHMARKS.md, "4 GiB at the default split size").
 *
 * <p><b>Safety with Raft.</b> A pressure flush is the engine's ordinary freeze and flush: the memtable becomes a
 * segment and the manifest records its highest Raft index as durable, exactly as at its freeze point.
 *
 * <p><b>Threading.</b> Engines report from their writer (growth, freeze) and flush threads (flushed); the totals are
 * atomic counters and each member's reports are serialised by the member's own monitor (uncontended: one writer and
 * one flush lane per engine), so reporting never waits for another engine. The freeze itself runs on {@code freezer},
 * never on the reporting writer: freezing another engine takes that engine's writer lock, and a writer holding its
 * own lock must not wait for another's. At most one freeze is queued at a time.
 */
public final class MemtableBudget implements AutoCloseable {
    /** Share of the budget that active memtables may hold before the largest is frozen. */
    static final double ACTIVE_FRACTION_MAX = 7.0 / 8;
    /** Share of {@code [limits] memory_limit_mb} given to the node's memtables ({@link #forMemoryLimit}). */
    public static final double MEMORY_LIMIT_FRACTION = 0.5;
    /** However much is reserved, the memtables keep at least the budget divided by this. */
    static final long RESERVATION_FLOOR_DIVISOR = 8;
    /** How often {@link #create}'s thread reads the reservation. */
    static final long RESERVATION_SAMPLE_MS = 1_000;

    private final long bytesMax;
    private final Executor freezer;
    private final ExecutorService ownedFreezer; // null when the freezer was injected
    private final Set<Member> members = ConcurrentHashMap.newKeySet();
    private final AtomicLong activeBytes = new AtomicLong();
    private final AtomicLong frozenBytes = new AtomicLong();
    private final AtomicLong pressureFlushes = new AtomicLong();
    private final AtomicLong reservedBytes = new AtomicLong();
    private final AtomicBoolean freezeQueued = new AtomicBoolean();

    MemtableBudget(long bytesMax, Executor freezer, ExecutorService ownedFreezer) {
        if (bytesMax < 1) {
            throw new IllegalArgumentException("bytesMax must be >= 1, got " + bytesMax);
        }
        this.bytesMax = bytesMax;
        this.freezer = freezer;
        this.ownedFreezer = ownedFreezer;
    }

    /**
     * A budget of {@code bytesMax} memtable bytes whose freezes run on a daemon thread of its own, which also reads
     * {@code reservedBytes} ({@link #reserve}) every {@link #RESERVATION_SAMPLE_MS}.
     */
    public static MemtableBudget create(long bytesMax, LongSupplier reservedBytes) {
        ScheduledExecutorService thread = Executors.newSingleThreadScheduledExecutor(r -> {
            Thread t = new Thread(r, "omendb-memtable-budget");
            t.setDaemon(true);
            return t;
        });
        MemtableBudget budget = new MemtableBudget(bytesMax, thread, thread);
        thread.scheduleWithFixedDelay(() -> {
            try {
                budget.reserve(reservedBytes.getAsLong());
            } catch (RuntimeException readingFailed) {
                // keep the last reservation; a task that threw would never be scheduled again
            }
        }, RESERVATION_SAMPLE_MS, RESERVATION_SAMPLE_MS, TimeUnit.MILLISECONDS);
        return budget;
    }

    /** No budget: memtables flush only at their own freeze points (engines standing alone, tools). */
    public static MemtableBudget unlimited() {
        return new MemtableBudget(Long.MAX_VALUE, Runnable::run, null);
    }

    /**
     * The budget of a node whose writes are refused above {@code memoryLimitBytes} of heap, in a JVM whose largest
     * heap is {@code heapBytesMax}: {@link #MEMORY_LIMIT_FRACTION} of the smaller of the two.
     */
    public static long bytesMaxFor(long memoryLimitBytes, long heapBytesMax) {
        return (long) (Math.min(memoryLimitBytes, heapBytesMax) * MEMORY_LIMIT_FRACTION);
    }

    /**
     * True when the largest active memtable should be frozen, given the active and frozen memtable bytes of every
     * engine and the budget, all in bytes.
     */
    static boolean shouldFlush(long activeBytes, long frozenBytes, long bytesMax) {
        return activeBytes > bytesMax * ACTIVE_FRACTION_MAX
                || (activeBytes + frozenBytes > bytesMax && activeBytes >= bytesMax / 2);
    }

    public long bytesMax() {
        return bytesMax;
    }

    /**
     * Sets the heap outside the memtables that grows with writes and must share the budget (the caller measures it,
     * e.g. the heap the Raft logs hold), in bytes; freezes memtables now if they are over what is left.
     */
    public void reserve(long bytes) {
        reservedBytes.set(Math.max(0, bytes));
        maybeFlush();
    }

    /** The memtables' share: the budget less the reservation, at least {@link #RESERVATION_FLOOR_DIVISOR}th of it. */
    public long memtableBytesMax() {
        return Math.max(bytesMax / RESERVATION_FLOOR_DIVISOR, bytesMax - reservedBytes.get());
    }

    /** Bytes of every member's memtables, active and frozen (not yet flushed). */
    public long memtableBytes() {
        return activeBytes.get() + frozenBytes.get();
    }

    /** Memtables frozen because of the budget, since it was created. */
    public long pressureFlushes() {
        return pressureFlushes.get();
    }

    /**
     * Registers an engine; {@code freeze} freezes its active memtable and schedules its flush, or answers false when
     * the engine cannot (closed, failed, nothing buffered). See {@link Member}.
     */
    Member join(BooleanSupplier freeze) {
        Member m = new Member(freeze);
        members.add(m);
        return m;
    }

    /** The largest active memtable's member, or null when none holds a byte. */
    private Member largest() {
        Member best = null;
        for (Member m : members) {
            if (m.active.get() > 0 && (best == null || m.active.get() > best.active.get())) {
                best = m;
            }
        }
        return best;
    }

    /**
     * Queues a freeze when the memtables are over their share; the queued task freezes the largest active memtable
     * until they are not (a reservation that grew may need several at once).
     */
    private void maybeFlush() {
        if (!overShare() || !freezeQueued.compareAndSet(false, true)) {
            return;
        }
        freezer.execute(() -> {
            try {
                Member m;
                while (overShare() && (m = largest()) != null && m.freeze.getAsBoolean()) {
                    m.pressureFlushes.incrementAndGet();
                    pressureFlushes.incrementAndGet();
                }
            } finally {
                freezeQueued.set(false);
            }
        });
    }

    private boolean overShare() {
        return shouldFlush(activeBytes.get(), frozenBytes.get(), memtableBytesMax());
    }

    /** Stops the freeze thread (if the budget owns one); its members must be closed first. */
    @Override
    public void close() {
        if (ownedFreezer != null) {
            ownedFreezer.shutdownNow();
        }
    }

    /**
     * One engine's share: its active and frozen memtable bytes as it reported them. The engine reports growth of its
     * active memtable from its writer, a freeze from its writer, a flush from its flush thread, and leaves at close;
     * after {@link #leave} every report is ignored, so the totals never count a closed engine.
     */
    final class Member {
        private final BooleanSupplier freeze;
        private final AtomicLong active = new AtomicLong();
        private final AtomicLong frozen = new AtomicLong();
        private final AtomicLong pressureFlushes = new AtomicLong();
        private volatile boolean left;

        private Member(BooleanSupplier freeze) {
            this.freeze = freeze;
        }

        /** The active memtable grew by {@code deltaBytes}. */
        void grew(long deltaBytes) {
            if (deltaBytes != 0 && add(deltaBytes, 0)) {
                maybeFlush();
            }
        }

        /** The active memtable, of {@code bytes}, was frozen (its bytes stay counted until flushed). */
        void froze(long bytes) {
            add(-bytes, bytes);
        }

        /** A frozen memtable of {@code bytes} is now a segment. */
        void flushed(long bytes) {
            add(0, -bytes);
        }

        /** Adds to this member's and the budget's counts, unless the member left; false when it did. */
        private synchronized boolean add(long activeDelta, long frozenDelta) {
            if (left) {
                return false;
            }
            active.addAndGet(activeDelta);
            activeBytes.addAndGet(activeDelta);
            frozen.addAndGet(frozenDelta);
            frozenBytes.addAndGet(frozenDelta);
            return true;
        }

        /** The engine closed: its memtables are gone from the heap. */
        synchronized void leave() {
            if (left) {
                return;
            }
            left = true;
            members.remove(this);
            activeBytes.addAndGet(-active.getAndSet(0));
            frozenBytes.addAndGet(-frozen.getAndSet(0));
        }

        long bytes() {
            return active.get() + frozen.get();
        }

        long pressureFlushes() {
            return pressureFlushes.get();
        }
    }
}
