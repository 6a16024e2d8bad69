package io.omendb.router.http;

import io.netty.handler.codec.http.HttpMethod;
import io.omendb.router.backend.KvBackend;
import java.util.Set;

/**
 * A method and path served by one endpoint. A key route matches {@code path + "<percent-encoded key>"}; other
 * routes match the path exactly. {@code queryParams} lists the parameters the endpoint accepts.
 */
public record Route(HttpMethod method, String path, boolean keyInPath, Set<String> queryParams, Kind kind,
                    Endpoint endpoint) {

    /** What a route does, for metrics and for the concurrency limit. */
    public enum Kind {
        /** Counted as a search ({@code omendb_searches_total}, {@code omendb_query_duration_seconds}). */
        READ,
        /** Counted as an insert ({@code omendb_inserts_total}, {@code omendb_insert_duration_seconds}). */
        WRITE,
        ADMIN,
        /**
         * Range splits and merges: admin, but answered within {@code KvBackend#RESHAPE_DEADLINE_MS} instead of
         * {@code max_query_duration_ms} (a merge copies a range's records; a split waits for the new range's leader).
         */
        RESHAPE,
        /** Session login and logout: the {@link RequestGate} authenticates them but asks for no role. */
        SESSION,
        /** Health and readiness probes: exempt from the concurrency limit so orchestrators can always see us. */
        PROBE
    }

    public Route {
        queryParams = Set.copyOf(queryParams);
    }

    /** How long this route's requests may take before the answer is 504, given {@code max_query_duration_ms}. */
    public long deadlineMs(long maxQueryDurationMs) {
        return kind == Kind.RESHAPE ? Math.max(maxQueryDurationMs, KvBackend.RESHAPE_DEADLINE_MS) : maxQueryDurationMs;
    }

    /** The path as logs show it: a key route's key as {@code {key}} ({@code /v1/kv/{key}}), never a real key. */
    public String pattern() {
        return keyInPath ? path + "{key}" : path;
    }

    public boolean matchesPath(String requestPath) {
        return keyInPath ? requestPath.startsWith(path) : requestPath.equals(path);
    }
}
