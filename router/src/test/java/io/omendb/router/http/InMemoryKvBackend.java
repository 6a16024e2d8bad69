package io.omendb.router.http;

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
import io.omendb.router.backend.RangeChangeRefusedException;
import io.omendb.router.backend.RangeInfo;
import io.omendb.router.backend.SplitOutcome;
import io.omendb.router.backend.MergeOutcome;
import io.omendb.router.backend.ReadConsistency;
import io.omendb.router.backend.ScanPage;
import io.omendb.router.backend.StorageFootprint;
import io.omendb.router.backend.UnknownNodeException;
import io.omendb.router.backend.UnknownRangeException;
import io.omendb.router.backend.Versioned;
import io.omendb.router.backend.WriteResult;
import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.NavigableMap;
import java.util.Optional;
import java.util.Set;
import java.util.TreeMap;
import java.util.TreeSet;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Supplier;

/**
 * Test double of {@link KvBackend}: a TreeMap in unsigned key order split into three fixed ranges
 * (1: [-inf, "g"), 2: ["g", "p"), 3: ["p", +inf)). Honest semantics: one global revision that increases with
 * every write, CAS and batches atomic under one lock, cross-range batches refused, and scans that stop at range
 * boundaries (the short pages the contract allows). A scan asking for more than {@link #scanLimitMax()} items fails
 * with an IllegalArgumentException, as the cluster client refuses one beyond {@code max_scan_limit}.
 * Hooks let tests hold every answer behind a gate, count calls, fail every call, and mark ranges leaderless. For
 * HTTP-layer tests only.
 */
final class InMemoryKvBackend implements KvBackend {
    static final byte[][] SPLITS = {bytes("g"), bytes("p")};
    static final List<String> PEERS = List.of("n1", "n2", "n3");

    private final TreeMap<byte[], Versioned> data = new TreeMap<>(Arrays::compareUnsigned);
    private final AtomicInteger calls = new AtomicInteger();
    private long revision;
    private volatile CompletableFuture<Void> gate;
    private volatile List<Long> leaderless = List.of();
    private volatile RuntimeException failure;
    private volatile int scanLimitMax = Integer.MAX_VALUE;

    static byte[] bytes(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    /** Data calls made so far (not counting admin/probe calls). */
    int calls() {
        return calls.get();
    }

    /** From now on, every data answer waits for the returned gate (never completing it means never answering). */
    CompletableFuture<Void> holdAnswers() {
        CompletableFuture<Void> g = new CompletableFuture<>();
        gate = g;
        return g;
    }

    /** From now on, every data call fails with {@code e} (null: stop failing). */
    void failWith(RuntimeException e) {
        failure = e;
    }

    /** The largest scan limit accepted from now on ({@code [limits] max_scan_limit}). */
    void scanLimitMax(int items) {
        scanLimitMax = items;
    }

    void markLeaderless(List<Long> rangeIds) {
        leaderless = List.copyOf(rangeIds);
    }

    synchronized Map<String, String> snapshotAsStrings() {
        Map<String, String> out = new TreeMap<>();
        data.forEach((k, v) -> out.put(Arrays.toString(k), Arrays.toString(v.value())));
        return out;
    }

    @Override
    public CompletableFuture<WriteResult> put(byte[] key, byte[] value) {
        return answer(() -> new WriteResult(write(key, value)));
    }

    @Override
    public CompletableFuture<Optional<Versioned>> get(byte[] key, ReadConsistency consistency) {
        return answer(() -> Optional.ofNullable(data.get(key)));
    }

    @Override
    public CompletableFuture<DeleteResult> delete(byte[] key) {
        return answer(() -> {
            boolean existed = data.containsKey(key);
            return new DeleteResult(existed, write(key, null));
        });
    }

    @Override
    public CompletableFuture<CasResult> compareAndSet(byte[] key, byte[] expectedOrNull, byte[] newValueOrNull) {
        return answer(() -> {
            Versioned current = data.get(key);
            byte[] currentValue = current == null ? null : current.value();
            boolean matches = Arrays.equals(currentValue, expectedOrNull);
            long rev = ++revision;
            if (!matches) {
                return new CasResult(false, currentValue, rev);
            }
            apply(key, newValueOrNull, rev);
            return new CasResult(true, newValueOrNull, rev);
        });
    }

    @Override
    public CompletableFuture<ScanPage> scan(byte[] start, byte[] endOrNull, int limit, ReadConsistency consistency) {
        assert limit >= 1;
        if (limit > scanLimitMax) {
            return CompletableFuture.failedFuture(new IllegalArgumentException("scan limit " + limit
                    + " outside [1, max_scan_limit = " + scanLimitMax + "]"));
        }
        return answer(() -> {
            byte[] rangeEnd = rangeEndOrNull(rangeOf(start));
            byte[] stop = minEnd(endOrNull, rangeEnd);
            NavigableMap<byte[], Versioned> view = stop == null ? data.tailMap(start, true)
                    : data.subMap(start, true, stop, false);
            List<KeyValue> items = new ArrayList<>();
            for (Map.Entry<byte[], Versioned> e : view.entrySet()) {
                if (items.size() == limit) {
                    return new ScanPage(items, e.getKey());
                }
                items.add(new KeyValue(e.getKey(), e.getValue().value()));
            }
            boolean rangeStopsEarly = rangeEnd != null && (endOrNull == null
                    || Arrays.compareUnsigned(rangeEnd, endOrNull) < 0);
            return new ScanPage(items, rangeStopsEarly ? rangeEnd : null);
        });
    }

    @Override
    public int scanLimitMax() {
        return scanLimitMax;
    }

    @Override
    public CompletableFuture<WriteResult> batch(List<BatchOp> ops) {
        return answer(() -> {
            Set<Long> ranges = new TreeSet<>();
            for (BatchOp op : ops) {
                ranges.add(rangeOf(op.key()));
            }
            if (ranges.size() > 1) {
                List<Long> ids = new ArrayList<>(ranges);
                throw new CrossRangeBatchException(ids, Arrays.asList(SPLITS).subList((int) (long) ids.get(0) - 1,
                        (int) (long) ids.get(ids.size() - 1) - 1));
            }
            long rev = ++revision;
            for (BatchOp op : ops) {
                apply(op.key(), op.valueOrNull(), rev);
            }
            return new WriteResult(rev);
        });
    }

    @Override
    public synchronized CompletableFuture<List<RangeInfo>> ranges() {
        List<RangeInfo> out = new ArrayList<>();
        for (long id = 1; id <= SPLITS.length + 1; id++) {
            byte[] start = id == 1 ? new byte[0] : SPLITS[(int) id - 2];
            byte[] end = rangeEndOrNull(id);
            NavigableMap<byte[], Versioned> view = end == null ? data.tailMap(start, true)
                    : data.subMap(start, true, end, false);
            long bytes = view.entrySet().stream().mapToLong(e -> e.getKey().length + e.getValue().value().length).sum();
            out.add(new RangeInfo(id, start, end, 1, leaderless.contains(id) ? null : "n1", PEERS,
                    revision, view.size(), bytes, bytes, 0));
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletableFuture<List<Long>> rangesWithoutLeader() {
        return CompletableFuture.completedFuture(leaderless);
    }

    @Override
    public CompletableFuture<List<RangeIndexStats>> indexStats() {
        List<RangeIndexStats> out = new ArrayList<>();
        for (long id = 1; id <= SPLITS.length + 1; id++) {
            out.add(new RangeIndexStats(id, 2, 8, 1.5, 4, 512, 30.5));
        }
        return CompletableFuture.completedFuture(out);
    }

    @Override
    public CompletableFuture<List<Long>> scheduleIndexWork(IndexWork work, Long rangeIdOrNull) {
        if (rangeIdOrNull == null) {
            return CompletableFuture.completedFuture(List.of(1L, 2L, 3L));
        }
        if (rangeIdOrNull < 1 || rangeIdOrNull > SPLITS.length + 1) {
            return CompletableFuture.failedFuture(new UnknownRangeException(rangeIdOrNull));
        }
        return CompletableFuture.completedFuture(List.of(rangeIdOrNull));
    }

    /** Every range has peers n1..n3; leadership itself is not modelled (ranges() always names n1). */
    @Override
    public CompletableFuture<Void> transferLeader(long rangeId, String nodeId) {
        if (rangeId < 1 || rangeId > SPLITS.length + 1) {
            return CompletableFuture.failedFuture(new UnknownRangeException(rangeId));
        }
        if (!PEERS.contains(nodeId)) {
            return CompletableFuture.failedFuture(new UnknownNodeException(rangeId, nodeId, PEERS));
        }
        return CompletableFuture.completedFuture(null);
    }

    /** The in-memory ranges are fixed: a merge of a known range is refused as a bad request. */
    @Override
    public CompletableFuture<MergeOutcome> merge(long rangeId) {
        if (rangeId < 1 || rangeId > SPLITS.length + 1) {
            return CompletableFuture.failedFuture(new UnknownRangeException(rangeId));
        }
        return CompletableFuture.failedFuture(new RangeChangeRefusedException(
                RangeChangeRefusedException.Reason.BAD_REQUEST, "the in-memory backend's ranges are fixed", "merge"));
    }

    /** The in-memory ranges are fixed: a split of a known range is refused as a bad request. */
    @Override
    public CompletableFuture<SplitOutcome> split(long rangeId, byte[] keyOrNull) {
        if (rangeId < 1 || rangeId > SPLITS.length + 1) {
            return CompletableFuture.failedFuture(new UnknownRangeException(rangeId));
        }
        return CompletableFuture.failedFuture(new RangeChangeRefusedException(
                RangeChangeRefusedException.Reason.BAD_REQUEST, "the in-memory backend's ranges are fixed"));
    }

    /** Every peer, live, each holding a replica of every range. */
    @Override
    public CompletableFuture<List<NodeInfo>> nodes() {
        return CompletableFuture.completedFuture(PEERS.stream().map(p -> new NodeInfo(p, p + ":4000", null, "zone-" + p,
                "live", "00000000000000" + p.substring(1) + "1", SPLITS.length + 1,
                p.equals(PEERS.get(0)) ? SPLITS.length + 1 : 0, 4_096L * (SPLITS.length + 1))).toList());
    }

    /** Three members with a replica of every range: none can go. */
    @Override
    public CompletableFuture<String> decommission(String nodeId) {
        if (!PEERS.contains(nodeId)) {
            return CompletableFuture.failedFuture(new UnknownNodeException("no cluster member '" + nodeId + "'"));
        }
        return CompletableFuture.failedFuture(new DecommissionRefusedException("cannot decommission '" + nodeId
                + "': 2 other live member(s) would be left for ranges of 3 replicas"));
    }

    @Override
    public StorageFootprint footprint() {
        return new StorageFootprint(123_456, 7_890);
    }

    private <T> CompletableFuture<T> answer(Supplier<T> operation) {
        calls.incrementAndGet();
        RuntimeException f = failure;
        if (f != null) {
            return CompletableFuture.failedFuture(f);
        }
        CompletableFuture<Void> g = gate;
        if (g == null) {
            return CompletableFuture.supplyAsync(() -> locked(operation), Runnable::run);
        }
        return g.thenApply(ignored -> locked(operation));
    }

    private synchronized <T> T locked(Supplier<T> operation) {
        return operation.get();
    }

    private long write(byte[] key, byte[] valueOrNull) {
        long rev = ++revision;
        apply(key, valueOrNull, rev);
        return rev;
    }

    private void apply(byte[] key, byte[] valueOrNull, long rev) {
        if (valueOrNull == null) {
            data.remove(key);
        } else {
            data.put(key, new Versioned(valueOrNull, rev));
        }
    }

    static long rangeOf(byte[] key) {
        long id = 1;
        for (byte[] split : SPLITS) {
            if (Arrays.compareUnsigned(key, split) >= 0) {
                id++;
            }
        }
        return id;
    }

    private static byte[] rangeEndOrNull(long rangeId) {
        return rangeId > SPLITS.length ? null : SPLITS[(int) rangeId - 1];
    }

    private static byte[] minEnd(byte[] a, byte[] b) {
        if (a == null) {
            return b;
        }
        if (b == null) {
            return a;
        }
        return Arrays.compareUnsigned(a, b) <= 0 ? a : b;
    }
}
