package io.omendb.storage;

import java.util.ArrayDeque;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;

/**
 * Background threads for flushes and compactions, shared by many engines: a node hosting hundreds of range
 * replicas runs them on a few threads instead of two per engine. The pool also carries the node's
 * {@link MemtableBudget} (the two are the node-wide resources every engine of the node shares): an engine opened on
 * the pool reports its memtable bytes to it, and the pool closes it.
 *
 * <p>Each engine takes {@link Queue}s from the pool; a queue runs its tasks one at a time, in submission order,
 * on whichever pool thread is free, so an engine's flushes never overlap each other (and neither do its
 * compactions), while different engines' work runs in parallel up to {@code threads}. A long compaction holds
 * one pool thread; an engine whose queued flush waits behind it does not wait with it when the flush is needed now:
 * its writer at {@code immutableMemtablesMax} frozen memtables, a split or a checkpoint flushes on its own thread.
 */
public final class MaintenancePool implements AutoCloseable {
    private final ExecutorService threads;
    private final MemtableBudget budget;

    private MaintenancePool(ExecutorService threads, MemtableBudget budget) {
        this.threads = threads;
        this.budget = budget;
    }

    /** A pool of {@code threadCount} daemon threads named {@code name-N}, with no memtable budget. */
    public static MaintenancePool create(int threadCount, String name) {
        return create(threadCount, name, MemtableBudget.unlimited());
    }

    /** As above, its engines' memtables sharing {@code budget} (which the pool closes). */
    public static MaintenancePool create(int threadCount, String name, MemtableBudget budget) {
        if (threadCount < 1) {
            throw new IllegalArgumentException("threadCount must be >= 1, got " + threadCount);
        }
        AtomicInteger n = new AtomicInteger();
        return new MaintenancePool(Executors.newFixedThreadPool(threadCount, r -> {
            Thread t = new Thread(r, name + "-" + n.incrementAndGet());
            t.setDaemon(true);
            return t;
        }), budget);
    }

    /** The memtable budget of the engines on this pool. */
    public MemtableBudget budget() {
        return budget;
    }

    Queue newQueue() {
        return new Queue();
    }

    /** Stops the threads after the work already queued; engines using the pool must be closed first. */
    @Override
    public void close() {
        budget.close();
        threads.shutdown();
        try {
            threads.awaitTermination(10, TimeUnit.MINUTES);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    /** One engine's serial lane on the pool. */
    final class Queue {
        private final ArrayDeque<Runnable> pending = new ArrayDeque<>();
        private boolean running;
        private boolean closed;

        /** Queues {@code task}; ignored once the queue is closed (the engine is shutting down). */
        synchronized void execute(Runnable task) {
            if (closed) {
                return;
            }
            pending.add(task);
            if (!running) {
                running = true;
                threads.execute(this::runNext);
            }
        }

        private void runNext() {
            Runnable task;
            synchronized (this) {
                task = pending.poll();
                if (task == null) {
                    running = false;
                    notifyAll();
                    return;
                }
            }
            try {
                task.run();
            } finally {
                threads.execute(this::runNext);
            }
        }

        /** Refuses new tasks and waits up to {@code timeoutMs} for the queued ones to finish. */
        synchronized void closeAndAwait(long timeoutMs) throws InterruptedException {
            closed = true;
            long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(timeoutMs);
            while (running) {
                long left = TimeUnit.NANOSECONDS.toMillis(deadline - System.nanoTime());
                if (left <= 0) {
                    return;
                }
                wait(left);
            }
        }
    }
}
