package io.omendb.chaos.workload;

import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.linearizability.Op;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;

/**
 * Measures recovery time: from a fault's injection until every range has acknowledged a write invoked after it.
 * For each range it keeps one PUT of the range's probe key in flight against every node (retrying every
 * {@link #RETRY_MS} after a failure) until one succeeds or the bound passes. Probe writes are recorded in the
 * history like any other write, so they are checked too. Thread-safe; one {@link #measure} per fault.
 */
public final class RecoveryProbe {
    static final long RETRY_MS = 100;

    private final ChaosCluster cluster;
    private final KvClient kv;
    private final KeySpace keys;
    private final AtomicLong seq = new AtomicLong();

    public RecoveryProbe(ChaosCluster cluster, KvClient kv, KeySpace keys) {
        this.cluster = cluster;
        this.kv = kv;
        this.keys = keys;
    }

    /**
     * Completes with the nanoTime by which every range accepted a write invoked at or after {@code sinceNs}, or
     * with -1 when some range did not within {@code boundMs}.
     */
    public CompletableFuture<Long> measure(long sinceNs, long boundMs) {
        long deadline = sinceNs + TimeUnit.MILLISECONDS.toNanos(boundMs);
        List<CompletableFuture<Long>> ranges = new ArrayList<>();
        for (int r = 0; r < keys.ranges(); r++) {
            CompletableFuture<Long> done = new CompletableFuture<>();
            for (NodeProcess n : cluster.nodes()) {
                attempt(r, n, done, deadline);
            }
            ranges.add(done);
        }
        return CompletableFuture.allOf(ranges.toArray(CompletableFuture[]::new)).thenApply(v -> {
            long latest = 0;
            for (CompletableFuture<Long> f : ranges) {
                long at = f.join();
                if (at < 0) {
                    return -1L;
                }
                latest = Math.max(latest, at);
            }
            return latest;
        });
    }

    private void attempt(int range, NodeProcess node, CompletableFuture<Long> done, long deadlineNs) {
        if (done.isDone()) {
            return;
        }
        if (System.nanoTime() > deadlineNs) {
            done.complete(-1L);
            return;
        }
        kv.put("probe", node, keys.probeKey(range), "probe-" + seq.getAndIncrement()).whenComplete((op, error) -> {
            if (error == null && op.outcome() == Op.Outcome.OK) {
                done.complete(op.completeNs());
            } else {
                CompletableFuture.delayedExecutor(RETRY_MS, TimeUnit.MILLISECONDS)
                        .execute(() -> attempt(range, node, done, deadlineNs));
            }
        });
    }
}
