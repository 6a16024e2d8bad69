package io.omendb.router.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.omendb.router.backend.BatchOp;
import io.omendb.router.backend.KvBackend;
import java.util.ArrayList;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * {@code POST /v1/batch}: {@code {"ops": [{"op": "put", "key": k, "value": v}, {"op": "delete", "key": k}]}}.
 * The op count is checked first (413 batch_too_large), then every op is decoded and checked; only a fully valid
 * batch reaches the backend, which applies it atomically or refuses it as cross_range_batch (409).
 */
public final class BatchEndpoint {
    private static final Set<String> BODY_FIELDS = Set.of("ops");
    private static final Set<String> PUT_FIELDS = Set.of("op", "key", "value");
    private static final Set<String> DELETE_FIELDS = Set.of("op", "key");

    private final KvBackend backend;
    private final InputLimits limits;

    public BatchEndpoint(KvBackend backend, InputLimits limits) {
        this.backend = backend;
        this.limits = limits;
    }

    public CompletableFuture<ApiResponse> batch(ApiRequest request) {
        BodyEncoding encoding = BodyEncoding.fromParam(request.query().textOrNull(BodyEncoding.PARAM));
        JsonNode ops = Json.field(Json.readObject(request.body(), BODY_FIELDS), "ops", JsonNodeType.ARRAY, false);
        limits.requireBatchSize(ops.size());
        List<BatchOp> decoded = new ArrayList<>(ops.size());
        for (int i = 0; i < ops.size(); i++) {
            decoded.add(decodeOp(ops.get(i), "ops[" + i + "]", encoding));
        }
        return backend.batch(decoded).thenApply(w -> Json.response(200, Json.object("revision", w.revision())));
    }

    private BatchOp decodeOp(JsonNode op, String where, BodyEncoding encoding) {
        JsonNode name = Json.field(Json.requireObject(op, where, PUT_FIELDS), "op", JsonNodeType.STRING, false);
        switch (name.textValue()) {
            case "put":
                return BatchOp.put(key(op, where, encoding), limits.requireValue(
                        encoding.decode(Json.field(op, "value", JsonNodeType.STRING, false).textValue(),
                                where + ".value")));
            case "delete":
                Json.requireObject(op, where, DELETE_FIELDS);
                return BatchOp.delete(key(op, where, encoding));
            default:
                throw ApiError.badRequest("unknown_op", where + ".op is '" + name.textValue()
                        + "'; use put or delete").asException();
        }
    }

    private byte[] key(JsonNode op, String where, BodyEncoding encoding) {
        String text = Json.field(op, "key", JsonNodeType.STRING, false).textValue();
        return limits.requireKey(encoding.decode(text, where + ".key"));
    }
}
