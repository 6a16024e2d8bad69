package io.omendb.router.http;

import io.netty.handler.codec.http.HttpMethod;

/**
 * A decoded request as endpoints see it: method, path, the raw (still percent-encoded) remainder of the path
 * after a key route's prefix (empty for exact routes), query parameters, the body bytes (copied out of Netty
 * buffers so endpoints never touch reference counts), and the {@link Caller}.
 */
public record ApiRequest(HttpMethod method, String path, String pathKeyRaw, QueryParams query, byte[] body,
                         Caller caller) {

    /** A request from an unknown, unauthenticated caller (tests, internal use). */
    public ApiRequest(HttpMethod method, String path, String pathKeyRaw, QueryParams query, byte[] body) {
        this(method, path, pathKeyRaw, query, body, Caller.UNKNOWN);
    }
}
