package io.omendb.chaos.nemesis;

import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.RangeInfo;

import java.util.HashMap;
import java.util.Map;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Counts leader changes by polling {@code GET /admin/ranges} every {@link #POLL_MS}: a change is a range's known
 * leader becoming a different node. Polling misses a leadership that came and went between two polls, so the
 * count is a lower bound on elections that changed the leader. Runs on its own daemon thread.
 */
public final class LeaderMonitor implements AutoCloseable {
    static final long POLL_MS = 1_000;

    private final ChaosCluster cluster;
    private final Map<Long, String> leaders = new HashMap<>();
    private final AtomicLong changes = new AtomicLong();
    private final AtomicBoolean running = new AtomicBoolean(true);
    private final Thread thread;

    public LeaderMonitor(ChaosCluster cluster) {
        this.cluster = cluster;
        this.thread = new Thread(this::poll, "chaos-leader-monitor");
        thread.setDaemon(true);
        thread.start();
    }

    private void poll() {
        while (running.get()) {
            try {
                for (RangeInfo r : cluster.ranges()) {
                    if (r.leader() != null) {
                        String before = leaders.put(r.id(), r.leader());
                        if (before != null && !before.equals(r.leader())) {
                            changes.incrementAndGet();
                        }
                    }
                }
            } catch (RuntimeException e) {
                // no node answered (all down or cut off): nothing observed this round
            } catch (InterruptedException e) {
                return;
            }
            try {
                Thread.sleep(POLL_MS);
            } catch (InterruptedException e) {
                return;
            }
        }
    }

    public long changes() {
        return changes.get();
    }

    @Override
    public void close() throws InterruptedException {
        running.set(false);
        thread.interrupt();
        thread.join();
    }
}
