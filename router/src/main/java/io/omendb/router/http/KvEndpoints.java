package io.omendb.router.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.node.JsonNodeType;
import io.omendb.router.backend.KvBackend;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Single-key operations: {@code PUT/GET/DELETE /v1/kv/{key}} and {@code POST /v1/cas/{key}}. Keys come from the
 * path, percent-decoded strictly and size-checked; PUT's value is the raw body. All input is decoded and checked
 * before the backend is called. Stateless apart from its collaborators; runs on event loops without blocking.
 */
public final class KvEndpoints {
    /** Response header of GET carrying the revision that wrote the returned value. */
    public static final String REVISION_HEADER = "X-OmenDB-Revision";
    private static final Set<String> CAS_FIELDS = Set.of("expected", "value");

    private final KvBackend backend;
    private final InputLimits limits;

    public KvEndpoints(KvBackend backend, InputLimits limits) {
        this.backend = backend;
        this.limits = limits;
    }

    public CompletableFuture<ApiResponse> put(ApiRequest request) {
        byte[] key = pathKey(request);
        byte[] value = limits.requireValue(request.body());
        return backend.put(key, value)
                .thenApply(w -> Json.response(200, Json.object("revision", w.revision())));
    }

    public CompletableFuture<ApiResponse> get(ApiRequest request) {
        byte[] key = pathKey(request);
        return backend.get(key, ReadParams.consistency(request.query()))
                .thenApply(found -> found
                        .map(v -> new ApiResponse(200, ApiResponse.OCTETS, v.value(),
                                Map.of(REVISION_HEADER, Long.toString(v.revision()))))
                        .orElseGet(() -> ErrorMapper.toResponse(
                                ApiError.of(404, "not_found", "no value under this key"))));
    }

    public CompletableFuture<ApiResponse> delete(ApiRequest request) {
        byte[] key = pathKey(request);
        return backend.delete(key)
                .thenApply(d -> Json.response(200, Json.object("deleted", d.deleted(), "revision", d.revision())));
    }

    public CompletableFuture<ApiResponse> compareAndSet(ApiRequest request) {
        byte[] key = pathKey(request);
        BodyEncoding encoding = BodyEncoding.fromParam(request.query().textOrNull(BodyEncoding.PARAM));
        JsonNode body = Json.readObject(request.body(), CAS_FIELDS);
        byte[] expected = optionalValue(body, "expected", encoding);
        byte[] value = optionalValue(body, "value", encoding);
        return backend.compareAndSet(key, expected, value)
                .thenApply(r -> Json.response(200, Json.object(
                        "succeeded", r.succeeded(),
                        "current", r.currentOrNull() == null ? null : encoding.encode(r.currentOrNull(), "current"),
                        "revision", r.revision())));
    }

    private byte[] pathKey(ApiRequest request) {
        return limits.requireKey(PercentCodec.decode(request.pathKeyRaw(), "key in path"));
    }

    private byte[] optionalValue(JsonNode body, String field, BodyEncoding encoding) {
        JsonNode node = Json.field(body, field, JsonNodeType.STRING, true);
        return node.isNull() ? null : limits.requireValue(encoding.decode(node.textValue(), field));
    }
}
