package io.omendb.router.cluster;

import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.Deadline;
import io.omendb.raft.client.ErrorCode;
import io.omendb.raft.client.Failures;
import io.omendb.raft.client.ReadOptions;
import io.omendb.raft.client.Results;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.router.backend.BatchOp;
import io.omendb.router.backend.CasResult;
import io.omendb.router.backend.CrossRangeBatchException;
import io.omendb.router.backend.DecommissionRefusedException;
import io.omendb.router.backend.DeleteResult;
import io.omendb.router.backend.IndexWork;
import io.omendb.router.backend.KeyValue;
import io.omendb.router.backend.KvBackend;
import io.omendb.router.backend.NodeInfo;
import io.omendb.router.backend.RangeIndexStats;
import io.omendb.router.backend.RangeInfo;
import io.omendb.router.backend.RangeShape;
import io.omendb.router.backend.SplitOutcome;
import io.omendb.router.backend.MergeOutcome;
import io.omendb.router.backend.RangeChangeRefusedException;
import io.omendb.router.backend.ReadConsistency;
import io.omendb.router.backend.ScanPage;
import io.omendb.router.backend.StorageFootprint;
import io.omendb.router.backend.UnknownNodeException;
import io.omendb.router.backend.UnknownRangeException;
import io.omendb.router.backend.Versioned;
import io.omendb.router.backend.WriteResult;
import io.omendb.storage.Bytes;
import io.omendb.storage.EngineStats;
import io.omendb.storage.WriteBatch;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.ScheduledFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * {@link KvBackend} over raft-node's {@link ClusterClient}: the HTTP API's only way into the range groups.
 *
 * <p><b>What it adds to the client.</b> (1) Translation: client records become router records, client failures
 * become {@link io.omendb.router.backend.BackendException}s ({@link ClientFailures}). (2) A deadline: every call
 * completes within {@code deadlineMs} ({@code [limits] max_query_duration_ms}) even while the client is still
 * retrying, so nothing runs on unobserved by the HTTP layer for long; a call made before the first range table is
 * loaded (the first seconds after start) waits for it within that deadline instead of failing at once, but
 * {@link #rangesWithoutLeader()} (readiness) never waits. (3) Range-table following: the cached
 * table is refreshed from the meta group every {@code tableRefreshMs} on the injected scheduler. (4) Batch
 * routing: a batch whose keys span ranges is refused with the ids of every range it touches, before anything is
 * sent. (5) Admin views of every range assembled from one status call per node ({@code ClusterAdmin#rangeReports}).
 *
 * <p><b>Known approximations.</b> A GET's revision is the answering replica's applied index, an upper bound of
 * the key's last-write revision (the engine does not keep per-key revisions). {@link RangeInfo#keys()} counts
 * segment records plus memtable entries, tombstones included.
 *
 * <p><b>Threading.</b> Thread-safe; never blocks the caller. Futures complete on Ratis client threads, the
 * client's admin executor, or the scheduler (deadlines).
 */
public final class RaftKvBackend implements KvBackend, AutoCloseable {
    /** How long a leader probe (one linearizable read per range) may take before the range counts as leaderless. */
    static final long LEADER_PROBE_TIMEOUT_MS = 2_000;
    /**
     * The least time one range-table refresh may take. No request waits on the refresh, so a short request deadline
     * must not bound it: a refresh cut off before its answer does not update the table, and a router whose first
     * refresh never finishes answers every request 503.
     */
    static final long TABLE_REFRESH_TIMEOUT_MS_MIN = 5_000;

    private final ClusterClient client;
    private final ScheduledExecutorService scheduler;
    private final long deadlineMs;
    private final Supplier<StorageFootprint> footprint;
    private final ScheduledFuture<?> tableRefresher;

    public RaftKvBackend(ClusterClient client, ScheduledExecutorService scheduler, long deadlineMs,
                         long tableRefreshMs, Supplier<StorageFootprint> footprint) {
        if (deadlineMs < 1 || tableRefreshMs < 1) {
            throw new IllegalArgumentException("deadlineMs and tableRefreshMs must be >= 1");
        }
        this.client = client;
        this.scheduler = scheduler;
        this.deadlineMs = deadlineMs;
        this.footprint = footprint;
        this.tableRefresher = scheduler.scheduleWithFixedDelay(this::refreshTableQuietly, 0, tableRefreshMs,
                TimeUnit.MILLISECONDS);
    }

    private void refreshTableQuietly() {
        try {
            client.refreshRangeTable().orTimeout(Math.max(deadlineMs, TABLE_REFRESH_TIMEOUT_MS_MIN),
                    TimeUnit.MILLISECONDS).exceptionally(t -> null).join();
        } catch (RuntimeException e) {
            // no meta leader right now: keep the cached table and try again at the next tick
        }
    }

    // ---------------------------------------------------------------- key-value

    @Override
    public CompletableFuture<WriteResult> put(byte[] key, byte[] value) {
        return routedWithin(deadline -> client.put(key, value, deadline).thenApply(w -> new WriteResult(w.revision())));
    }

    @Override
    public CompletableFuture<Optional<Versioned>> get(byte[] key, ReadConsistency consistency) {
        return routedWithin(deadline -> client.get(key, readOptions(consistency), deadline).thenApply(r ->
                r.value() == null
                ? Optional.<Versioned>empty() : Optional.of(new Versioned(r.value(), r.appliedIndex()))));
    }

    @Override
    public CompletableFuture<DeleteResult> delete(byte[] key) {
        return routedWithin(deadline -> client.delete(key, deadline).thenApply(d -> new DeleteResult(d.existed(),
                d.revision())));
    }

    @Override
    public CompletableFuture<CasResult> compareAndSet(byte[] key, byte[] expectedOrNull, byte[] newValueOrNull) {
        return routedWithin(deadline -> client.compareAndSet(key, expectedOrNull, newValueOrNull, deadline)
                .thenApply(c -> new CasResult(c.succeeded(), c.current(), c.revision())));
    }

    /** One range per call: stops at the end of the range holding {@code startInclusive}. */
    @Override
    public CompletableFuture<ScanPage> scan(byte[] startInclusive, byte[] endExclusiveOrNull, int limit,
                                            ReadConsistency consistency) {
        return routedWithin(deadline -> {
            return client.scanFrom(startInclusive, endExclusiveOrNull, limit, readOptions(consistency), deadline)
                    .thenApply(s -> new ScanPage(
                    s.entries().stream().map(kv -> new KeyValue(kv.key(), kv.value())).toList(),
                    nextStart(s, endExclusiveOrNull)));
        });
    }

    /**
     * Within the range: where the client says to continue; at its end: the next range, unless the scan ends first.
     * The range's end is the one the page was read with (a split meanwhile shortens it), not the one routed by.
     */
    private static byte[] nextStart(Results.ScanResult s, byte[] endOrNull) {
        if (s.nextStart() != null) {
            return s.nextStart();
        }
        byte[] rangeEnd = s.rangeEnd();
        if (rangeEnd == null || (endOrNull != null && Bytes.compare(rangeEnd, endOrNull) >= 0)) {
            return null;
        }
        return rangeEnd;
    }

    @Override
    public int scanLimitMax() {
        return client.limits().maxScanLimit();
    }

    @Override
    public CompletableFuture<WriteResult> batch(List<BatchOp> ops) {
        return routedWithin(deadline -> {
            RangeTable table = client.rangeTable();
            List<Long> touched = rangesTouched(table, ops);
            if (touched.size() > 1) {
                return CompletableFuture.failedFuture(new CrossRangeBatchException(touched, boundaries(table,
                        touched)));
            }
            List<WriteBatch.Op> converted = ops.stream().map(RaftKvBackend::toEngineOp).toList();
            return client.batch(converted, deadline).thenApply(w -> new WriteResult(w.revision()));
        });
    }

    /** Distinct range ids of the ops' keys, in key order of the ranges. */
    static List<Long> rangesTouched(RangeTable table, List<BatchOp> ops) {
        Set<Long> ids = new LinkedHashSet<>();
        for (BatchOp op : ops) {
            ids.add(table.rangeForKey(op.key()).rangeId());
        }
        return table.ranges().stream().map(RangeDescriptor::rangeId).filter(ids::contains).toList();
    }

    /** The range boundaries between the first and the last of {@code touched} (ids in key order). */
    static List<byte[]> boundaries(RangeTable table, List<Long> touched) {
        List<RangeDescriptor> ranges = table.ranges();
        List<Long> ids = ranges.stream().map(RangeDescriptor::rangeId).toList();
        int first = ids.indexOf(touched.get(0));
        int last = ids.indexOf(touched.get(touched.size() - 1));
        return ranges.subList(first + 1, last + 1).stream().map(RangeDescriptor::start).toList();
    }

    private static WriteBatch.Op toEngineOp(BatchOp op) {
        return op.type() == BatchOp.Type.PUT ? new WriteBatch.Put(op.key(), op.valueOrNull())
                : new WriteBatch.Delete(op.key());
    }

    // ---------------------------------------------------------------- admin

    @Override
    public CompletableFuture<List<RangeInfo>> ranges() {
        return bounded(() -> client.admin().rangeReports().thenApply(all -> all.stream()
                .map(r -> toRangeInfo(r.status(), r.leaderSizeOrNull())).toList()));
    }

    private static RangeInfo toRangeInfo(Results.RangeStatus status, QueryResult.Size sizeOrNull) {
        RangeDescriptor d = status.descriptor();
        Optional<Results.ReplicaStatus> best = bestReplica(status);
        EngineStats stats = best.map(Results.ReplicaStatus::stats).orElse(null);
        return new RangeInfo(d.rangeId(), d.start(), d.end(), d.epoch(), status.leaderId(), d.peerIds(),
                best.map(Results.ReplicaStatus::appliedIndex).orElse(-1L),
                stats == null ? 0 : stats.segmentRecords() + stats.memtableEntries(),
                stats == null ? 0 : stats.diskBytes(), sizeOrNull == null ? -1 : sizeOrNull.dataBytes(),
                sizeOrNull == null ? -1 : sizeOrNull.opsPerSecond());
    }

    /** The leader's view when it answered, else the answering replica with the highest applied index. */
    private static Optional<Results.ReplicaStatus> bestReplica(Results.RangeStatus status) {
        List<Results.ReplicaStatus> answered = status.replicas().stream().filter(s -> s.error() == null
                && s.stats() != null).toList();
        return answered.stream().filter(s -> s.nodeId().equals(status.leaderId())).findFirst()
                .or(() -> answered.stream().max((a, b) -> Long.compare(a.appliedIndex(), b.appliedIndex())));
    }

    /**
     * A range has a reachable leader when a linearizable read of a key in it succeeds within
     * {@link #LEADER_PROBE_TIMEOUT_MS}: that needs a leader able to confirm its leadership with a quorum.
     */
    @Override
    public CompletableFuture<List<Long>> rangesWithoutLeader() {
        return boundedNow(() -> {
            List<RangeDescriptor> ranges = client.rangeTable().ranges();
            List<CompletableFuture<Long>> probes = new ArrayList<>();
            for (RangeDescriptor r : ranges) {
                byte[] probeKey = r.start().length == 0 ? new byte[] {0} : r.start();
                probes.add(client.get(probeKey, ReadOptions.linearizable(), client.deadlineIn(LEADER_PROBE_TIMEOUT_MS))
                        .orTimeout(LEADER_PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS)
                        .handle((ok, error) -> error == null ? null : r.rangeId()));
            }
            return CompletableFuture.allOf(probes.toArray(CompletableFuture[]::new)).thenApply(v ->
                    probes.stream().map(CompletableFuture::join).filter(id -> id != null).toList());
        });
    }

    @Override
    public CompletableFuture<List<RangeIndexStats>> indexStats() {
        return bounded(() -> client.admin().rangeReports().thenApply(all -> all.stream().map(report -> {
            long rangeId = report.status().descriptor().rangeId();
            EngineStats s = bestReplica(report.status()).map(Results.ReplicaStatus::stats).orElse(null);
            return s == null ? new RangeIndexStats(rangeId, 0, 0, 0, 0, 0, 0)
                    : new RangeIndexStats(rangeId, s.segments(), s.leaves(), s.meanError(), s.maxError(),
                    s.modelBytes(), s.bytesPerRecord());
        }).toList()));
    }

    /** RETRAIN: flush into a freshly trained segment; REBUILD: full compaction; on every replica, through the log. */
    @Override
    public CompletableFuture<List<Long>> scheduleIndexWork(IndexWork work, Long rangeIdOrNull) {
        return bounded(() -> {
            List<RangeDescriptor> targets = targets(client.rangeTable(), rangeIdOrNull);
            List<CompletableFuture<Results.WriteResult>> scheduled = new ArrayList<>();
            for (RangeDescriptor r : targets) {
                scheduled.add(work == IndexWork.RETRAIN ? client.admin().retrainIndex(r.rangeId())
                        : client.admin().rebuildIndex(r.rangeId()));
            }
            return CompletableFuture.allOf(scheduled.toArray(CompletableFuture[]::new)).thenApply(v ->
                    targets.stream().map(RangeDescriptor::rangeId).toList());
        });
    }

    @Override
    public CompletableFuture<Void> transferLeader(long rangeId, String nodeId) {
        return bounded(() -> {
            RangeDescriptor r = targets(client.rangeTable(), rangeId).get(0);
            if (!r.peerIds().contains(nodeId)) {
                throw new UnknownNodeException(rangeId, nodeId, r.peerIds());
            }
            return client.admin().transferLeader(rangeId, nodeId);
        });
    }

    @Override
    public CompletableFuture<List<NodeInfo>> nodes() {
        return bounded(() -> client.admin().nodes().nodes().thenApply(all -> all.stream().map(n -> new NodeInfo(
                n.nodeId(), n.raftAddress(), n.httpAddressOrNull(), n.zone().isEmpty() ? null : n.zone(), n.state(),
                n.incarnationOrNull(), n.replicas(), n.leaders(), n.bytes())).toList()));
    }

    /** INVALID_ARGUMENT and CONFLICT from the client are refusals; NOT_FOUND an unknown member. */
    @Override
    public CompletableFuture<String> decommission(String nodeId) {
        return bounded(() -> client.admin().nodes().decommission(nodeId).handle((state, e) -> {
            if (e == null) {
                return state;
            }
            Throwable t = Failures.unwrap(e);
            if (t instanceof ClientException ce && ce.code() == ErrorCode.NOT_FOUND) {
                throw new UnknownNodeException(ce.getMessage());
            }
            if (t instanceof ClientException ce && (ce.code() == ErrorCode.INVALID_ARGUMENT
                    || ce.code() == ErrorCode.CONFLICT)) {
                throw new DecommissionRefusedException(ce.getMessage());
            }
            throw e instanceof CompletionException ce ? ce : new CompletionException(e);
        }));
    }

    @Override
    public CompletableFuture<SplitOutcome> split(long rangeId, byte[] keyOrNull) {
        return bounded(() -> {
            targets(client.rangeTable(), rangeId);
            return client.admin().split(rangeId, keyOrNull).thenApply(s -> new SplitOutcome(shape(s.left()),
                    shape(s.right()), s.splitKey(), s.index(), s.elapsedMs()));
        }, Math.max(deadlineMs, RESHAPE_DEADLINE_MS));
    }

    @Override
    public CompletableFuture<MergeOutcome> merge(long rangeId) {
        return this.<MergeOutcome>bounded(() -> {
            targets(client.rangeTable(), rangeId);
            return client.admin().merge(rangeId).thenApply(m -> new MergeOutcome(shape(m.merged()),
                    shape(m.removed()), m.recordsCopied(), m.bytesCopied(), m.elapsedMs(), m.frozenMs()));
        }, Math.max(deadlineMs, RESHAPE_DEADLINE_MS)).exceptionallyCompose(t -> CompletableFuture.failedFuture(
                Failures.unwrap(t) instanceof RangeChangeRefusedException r
                        ? new RangeChangeRefusedException(r.reason(), r.getMessage(), "merge") : t));
    }

    private static RangeShape shape(RangeDescriptor d) {
        return new RangeShape(d.rangeId(), d.start(), d.end(), d.peerIds(), d.epoch());
    }

    private static List<RangeDescriptor> targets(RangeTable table, Long rangeIdOrNull) {
        if (rangeIdOrNull == null) {
            return table.ranges();
        }
        return List.of(table.byId(rangeIdOrNull).orElseThrow(() -> new UnknownRangeException(rangeIdOrNull)));
    }

    @Override
    public StorageFootprint footprint() {
        return footprint.get();
    }

    // ---------------------------------------------------------------- plumbing

    /**
     * Runs {@code body} once the client holds a range table (turning synchronous throws into a failed future),
     * bounds it by the deadline, and translates failures. A call arriving before the first table waits for it up
     * to {@link #tableWaitMs()}, then fails NOT_READY (503): the wait ends before the deadline so that the answer
     * says why rather than timing out.
     */
    private <T> CompletableFuture<T> bounded(Supplier<CompletableFuture<T>> body) {
        return bounded(body, deadlineMs);
    }

    /**
     * As {@link #bounded(Supplier)} for a key-value call, which is given the deadline on the client's clock, taken
     * before any wait for the range table: the client re-routes a refused request only while that deadline leaves
     * time, so a refusal is answered (503, not committed) before this call's timeout, never as a timeout (504).
     */
    private <T> CompletableFuture<T> routedWithin(Function<Deadline, CompletableFuture<T>> body) {
        Deadline deadline = client.deadlineIn(deadlineMs);
        return bounded(() -> body.apply(deadline));
    }

    /** As {@link #bounded(Supplier)} with a deadline of {@code timeoutMs} (splits and merges). */
    private <T> CompletableFuture<T> bounded(Supplier<CompletableFuture<T>> body, long timeoutMs) {
        CompletableFuture<RangeTable> loaded = client.rangeTableLoaded();
        CompletableFuture<T> started = loaded.isDone() ? start(body) : loaded
                .orTimeout(tableWaitMs(), TimeUnit.MILLISECONDS).thenCompose(table -> start(body));
        return translated(started, () -> loaded.isCompletedExceptionally()
                ? new ClientException(ErrorCode.NOT_READY, "the range table has not been loaded yet") : null, timeoutMs);
    }

    /** As {@link #bounded} without waiting for the range table (readiness must answer at once). */
    private <T> CompletableFuture<T> boundedNow(Supplier<CompletableFuture<T>> body) {
        return translated(start(body), () -> null, deadlineMs);
    }

    /** 90% of the deadline: the rest leaves time for the NOT_READY answer before the HTTP layer's own deadline. */
    long tableWaitMs() {
        return Math.max(1, deadlineMs - deadlineMs / 10);
    }

    private static <T> CompletableFuture<T> start(Supplier<CompletableFuture<T>> body) {
        try {
            return body.get();
        } catch (RuntimeException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    /** {@code started} bounded by the deadline, its failure (or {@code failureOrNull}'s, when given) translated. */
    private <T> CompletableFuture<T> translated(CompletableFuture<T> started, Supplier<Throwable> failureOrNull,
                                                long timeoutMs) {
        CompletableFuture<T> out = new CompletableFuture<>();
        started.orTimeout(timeoutMs, TimeUnit.MILLISECONDS).whenComplete((v, error) -> {
            if (error == null) {
                out.complete(v);
            } else {
                Throwable cause = failureOrNull.get();
                out.completeExceptionally(ClientFailures.translate(cause != null ? cause : error));
            }
        });
        return out;
    }

    private static ReadOptions readOptions(ReadConsistency consistency) {
        return consistency == ReadConsistency.STALE ? ReadOptions.stale() : ReadOptions.linearizable();
    }

    /** Stops following the range table; the client and scheduler belong to the caller. */
    @Override
    public void close() {
        tableRefresher.cancel(false);
    }
}
