package io.omendb.router.http;

/**
 * A request the HTTP layer refuses on its own (bad input, limits, routing). Thrown before the backend is called,
 * so a refused request never changes the store.
 */
public final class ApiException extends RuntimeException {
    private final ApiError error;

    public ApiException(ApiError error) {
        super(error.code() + ": " + error.message(), null, false, false);
        this.error = error;
    }

    public ApiError error() {
        return error;
    }
}
