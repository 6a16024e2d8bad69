package io.omendb.router.http;

import java.util.concurrent.CompletableFuture;

/**
 * One API operation. Runs on an event loop: it validates synchronously (throwing {@link ApiException}) and then
 * returns the backend's future mapped to a response, never blocking.
 */
@FunctionalInterface
public interface Endpoint {
    CompletableFuture<ApiResponse> handle(ApiRequest request);
}
