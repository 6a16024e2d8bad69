package io.omendb.router.http;

import java.util.Map;

/** A complete answer, independent of Netty so endpoints stay plain functions. */
public record ApiResponse(int status, String contentType, byte[] body, Map<String, String> headers) {

    public static final String JSON = "application/json";
    public static final String OCTETS = "application/octet-stream";

    public ApiResponse {
        headers = Map.copyOf(headers);
    }

    public static ApiResponse json(int status, byte[] body) {
        return new ApiResponse(status, JSON, body, Map.of());
    }
}
