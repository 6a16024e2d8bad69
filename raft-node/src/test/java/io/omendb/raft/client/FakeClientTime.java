package io.omendb.raft.client;

import java.util.ArrayList;
import java.util.List;
import java.util.PriorityQueue;
import java.util.concurrent.TimeUnit;

/**
 * A virtual clock and timer for the client path: nothing runs until the test advances time, then due tasks run on
 * the test's thread in due order (ties in scheduling order), the clock standing at each task's due time while it
 * runs. No real time passes, so a run is deterministic and takes microseconds. Thread-safe (a future completed on
 * another thread cancels its timeout from there); tasks run on the thread that advances time.
 */
final class FakeClientTime implements ClientTime {
    private final PriorityQueue<Task> tasks = new PriorityQueue<>((a, b) -> a.dueNanos != b.dueNanos
            ? Long.compare(a.dueNanos, b.dueNanos) : Long.compare(a.order, b.order));
    private long nowNanos;
    private long scheduled;
    /** Every delay asked for, in microseconds, in order. */
    final List<Long> delaysUs = new ArrayList<>();

    private static final class Task {
        final long dueNanos;
        final long order;
        final Runnable body;

        Task(long dueNanos, long order, Runnable body) {
            this.dueNanos = dueNanos;
            this.order = order;
            this.body = body;
        }
    }

    @Override
    public synchronized long nanoTime() {
        return nowNanos;
    }

    @Override
    public synchronized Cancellable schedule(Runnable body, long delayUs) {
        Task t = new Task(nowNanos + TimeUnit.MICROSECONDS.toNanos(delayUs), scheduled++, body);
        tasks.add(t);
        delaysUs.add(delayUs);
        return () -> {
            synchronized (this) {
                tasks.remove(t);
            }
        };
    }

    /** Milliseconds since the start. */
    synchronized long nowMs() {
        return TimeUnit.NANOSECONDS.toMillis(nowNanos);
    }

    /** Runs every task due within {@code ms} from now (including those they schedule), then stands at now + ms. */
    synchronized void advanceMs(long ms) {
        long until = nowNanos + TimeUnit.MILLISECONDS.toNanos(ms);
        while (!tasks.isEmpty() && tasks.peek().dueNanos <= until) {
            runNext();
        }
        nowNanos = until;
    }

    /** Runs tasks in due order until none is left, at most {@code tasksMax} of them (a guard against endless loops). */
    synchronized void runAll(int tasksMax) {
        for (int i = 0; i < tasksMax && !tasks.isEmpty(); i++) {
            runNext();
        }
        if (!tasks.isEmpty()) {
            throw new AssertionError(tasksMax + " tasks ran and more are due: a retry without end?");
        }
    }

    synchronized int pending() {
        return tasks.size();
    }

    private void runNext() {
        Task t = tasks.poll();
        nowNanos = Math.max(nowNanos, t.dueNanos);
        t.body.run();
    }
}
