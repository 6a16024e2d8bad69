package io.omendb.router.http;

import io.omendb.router.backend.IndexWork;
import io.omendb.router.backend.KvBackend;
import io.omendb.router.backend.NodeInfo;
import io.omendb.router.backend.RangeIndexStats;
import io.omendb.router.backend.RangeInfo;
import io.omendb.router.backend.RangeShape;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code /admin/*}: the range table, learned-index statistics, scheduling of index retrain/rebuild, leader
 * transfer and range splits and merges.
 * Range boundaries are rendered percent-encoded (the form scan's {@code start}/{@code end} take), so any bytes
 * show, and an operator can paste them into a scan.
 *
 * <p>Also the cluster's nodes: listing them ({@code GET /admin/nodes}) and decommissioning one.
 */
public final class AdminEndpoints {
    static final String RANGE_PARAM = "range";
    static final String TO_PARAM = "to";
    static final String KEY_PARAM = "key";
    static final String NODE_PARAM = "node";

    private final KvBackend backend;

    public AdminEndpoints(KvBackend backend) {
        this.backend = backend;
    }

    public CompletableFuture<ApiResponse> ranges(ApiRequest request) {
        return backend.ranges().thenApply(ranges -> {
            List<Map<String, Object>> out = new ArrayList<>(ranges.size());
            for (RangeInfo r : ranges) {
                out.add(Json.object("id", r.id(), "start", PercentCodec.encode(r.start()),
                        "end", r.endOrNull() == null ? null : PercentCodec.encode(r.endOrNull()), "epoch", r.epoch(),
                        "leader", r.leaderOrNull(), "peers", r.peers(), "applied_index", r.appliedIndex(),
                        "keys", r.keys(), "bytes", r.bytes(), "data_bytes", r.dataBytes(),
                        "load_ops_per_s", r.loadOpsPerSecond()));
            }
            return Json.response(200, Json.object("ranges", out));
        });
    }

    public CompletableFuture<ApiResponse> indexStats(ApiRequest request) {
        return backend.indexStats().thenApply(stats -> {
            List<Map<String, Object>> out = new ArrayList<>(stats.size());
            for (RangeIndexStats s : stats) {
                out.add(Json.object("range", s.rangeId(), "segments", s.segments(), "leaves", s.leaves(),
                        "mean_model_error", s.meanModelError(), "max_model_error", s.maxModelError(),
                        "model_bytes", s.modelBytes(), "bytes_per_record", s.bytesPerRecord()));
            }
            return Json.response(200, Json.object("ranges", out));
        });
    }

    public CompletableFuture<ApiResponse> retrainIndex(ApiRequest request) {
        return schedule(IndexWork.RETRAIN, request);
    }

    public CompletableFuture<ApiResponse> rebuildIndex(ApiRequest request) {
        return schedule(IndexWork.REBUILD, request);
    }

    private CompletableFuture<ApiResponse> schedule(IndexWork work, ApiRequest request) {
        Long rangeId = rangeIdOrNull(request.query().textOrNull(RANGE_PARAM));
        return backend.scheduleIndexWork(work, rangeId).thenApply(ranges -> Json.response(202,
                Json.object("scheduled", work.name().toLowerCase(Locale.ROOT), "ranges", ranges)));
    }

    /** {@code POST /admin/transfer-leader?range=ID&to=NODE}: 200 once {@code NODE} leads range {@code ID}. */
    public CompletableFuture<ApiResponse> transferLeader(ApiRequest request) {
        Long rangeId = rangeIdOrNull(request.query().textOrNull(RANGE_PARAM));
        if (rangeId == null) {
            throw ApiError.badRequest("bad_range", "range is required; GET /admin/ranges lists them").asException();
        }
        String node = request.query().textOrNull(TO_PARAM);
        if (node == null || node.isEmpty()) {
            throw ApiError.badRequest("bad_node", "to is required: the id of the node that should lead "
                    + "(one of the range's peers in GET /admin/ranges)").asException();
        }
        return backend.transferLeader(rangeId, node).thenApply(v -> Json.response(200,
                Json.object("range", rangeId, "leader", node)));
    }

    /** {@code GET /admin/nodes}: every member, its state, and the replicas, leaders and bytes it has. */
    public CompletableFuture<ApiResponse> nodes(ApiRequest request) {
        return backend.nodes().thenApply(nodes -> {
            List<Map<String, Object>> out = new ArrayList<>(nodes.size());
            for (NodeInfo n : nodes) {
                out.add(Json.object("id", n.id(), "raft_address", n.raftAddress(), "http_address",
                        n.httpAddressOrNull(), "zone", n.zoneOrNull(), "state", n.state(), "incarnation",
                        n.incarnationOrNull(), "replicas", n.replicas(), "leaders", n.leaders(), "bytes", n.bytes()));
            }
            return Json.response(200, Json.object("nodes", out));
        });
    }

    /**
     * {@code POST /admin/decommission?node=ID}: 202 once the drain is recorded; the node's replicas and leaders then
     * move off in the background ({@code GET /admin/nodes} shows it {@code draining}, then {@code removed}).
     */
    public CompletableFuture<ApiResponse> decommission(ApiRequest request) {
        String node = request.query().textOrNull(NODE_PARAM);
        if (node == null || node.isEmpty()) {
            throw ApiError.badRequest("bad_node", "node is required: the id of the member to decommission "
                    + "(GET /admin/nodes lists them)").asException();
        }
        return backend.decommission(node).thenApply(state -> Json.response(202, Json.object("node", node,
                "state", state)));
    }

    /**
     * {@code POST /admin/split?range=ID[&key=K]}: 200 once the range table shows both halves; {@code K}
     * percent-encoded like a scan's {@code start}; without it, the range's byte median.
     */
    public CompletableFuture<ApiResponse> split(ApiRequest request) {
        Long rangeId = rangeIdOrNull(request.query().textOrNull(RANGE_PARAM));
        if (rangeId == null) {
            throw ApiError.badRequest("bad_range", "range is required; GET /admin/ranges lists them").asException();
        }
        byte[] key = request.query().bytesOrNull(KEY_PARAM);
        return backend.split(rangeId, key).thenApply(s -> Json.response(200, Json.object("range", rangeId,
                "split_key", PercentCodec.encode(s.splitKey()), "index", s.index(), "elapsed_ms", s.elapsedMs(),
                "left", shape(s.left()), "right", shape(s.right()))));
    }

    /**
     * {@code POST /admin/merge?range=ID}: merges the range with its right neighbour; 200 once the range table shows
     * the union (which keeps {@code ID}).
     */
    public CompletableFuture<ApiResponse> merge(ApiRequest request) {
        Long rangeId = rangeIdOrNull(request.query().textOrNull(RANGE_PARAM));
        if (rangeId == null) {
            throw ApiError.badRequest("bad_range", "range is required; GET /admin/ranges lists them").asException();
        }
        return backend.merge(rangeId).thenApply(m -> Json.response(200, Json.object("range", rangeId,
                "records_copied", m.recordsCopied(), "bytes_copied", m.bytesCopied(), "elapsed_ms", m.elapsedMs(),
                "frozen_ms", m.frozenMs(), "merged", shape(m.merged()), "removed", shape(m.removed()))));
    }

    private static Map<String, Object> shape(RangeShape r) {
        return Json.object("id", r.id(), "start", PercentCodec.encode(r.start()),
                "end", r.endOrNull() == null ? null : PercentCodec.encode(r.endOrNull()), "epoch", r.epoch(),
                "peers", r.peers());
    }

    private static Long rangeIdOrNull(String raw) {
        if (raw == null) {
            return null;
        }
        try {
            long id = Long.parseLong(raw);
            if (id >= 0) {
                return id;
            }
        } catch (NumberFormatException e) {
            // falls through to the 400 below
        }
        throw ApiError.badRequest("bad_range", "range must be a non-negative range id, got '" + raw
                + "'; GET /admin/ranges lists them").asException();
    }
}
