package io.omendb.router.http;

import io.omendb.router.backend.KvBackend;
import java.util.Map;
import java.util.concurrent.CompletableFuture;
import java.util.function.LongSupplier;

/**
 * {@code GET /health} (the process serves HTTP; never touches the cluster) and {@code GET /ready} (every range
 * has a reachable leader). Uptime comes from the injected nanosecond clock so tests can control it.
 */
public final class ProbeEndpoints {
    private final KvBackend backend;
    private final LongSupplier nanoClock;
    private final long startedNanos;
    private final String version;

    public ProbeEndpoints(KvBackend backend, LongSupplier nanoClock, String version) {
        this.backend = backend;
        this.nanoClock = nanoClock;
        this.startedNanos = nanoClock.getAsLong();
        this.version = version;
    }

    public CompletableFuture<ApiResponse> health(ApiRequest request) {
        long uptimeSeconds = (nanoClock.getAsLong() - startedNanos) / 1_000_000_000L;
        return CompletableFuture.completedFuture(Json.response(200,
                Json.object("status", "ok", "version", version, "uptime_seconds", uptimeSeconds)));
    }

    public CompletableFuture<ApiResponse> ready(ApiRequest request) {
        return backend.rangesWithoutLeader().thenApply(missing -> missing.isEmpty()
                ? Json.response(200, Json.object("status", "ready"))
                : ErrorMapper.toResponse(new ApiError(503, "unavailable", "ranges " + missing
                        + " have no reachable leader; wait for elections or check the peers",
                        Map.of("ranges", missing), Map.of())));
    }
}
