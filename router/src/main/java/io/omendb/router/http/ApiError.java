package io.omendb.router.http;

import java.util.Map;

/**
 * One error answer of the API: status, stable machine code, a message that says what to do, optional extra
 * JSON fields (e.g. the ranges of a cross-range batch) and extra headers (Allow, Retry-After).
 */
public record ApiError(int status, String code, String message, Map<String, Object> extraFields,
                       Map<String, String> headers) {

    public ApiError {
        extraFields = Map.copyOf(extraFields);
        headers = Map.copyOf(headers);
    }

    public static ApiError of(int status, String code, String message) {
        return new ApiError(status, code, message, Map.of(), Map.of());
    }

    public static ApiError badRequest(String code, String message) {
        return of(400, code, message);
    }

    public static ApiError tooLarge(String code, String message) {
        return of(413, code, message);
    }

    public ApiException asException() {
        return new ApiException(this);
    }
}
