package io.omendb.router.http;

import io.omendb.router.backend.BackendTimeoutException;
import io.omendb.router.backend.BackendUnavailableException;
import io.omendb.router.backend.CrossRangeBatchException;
import io.omendb.router.backend.DecommissionRefusedException;
import io.omendb.router.backend.EntryTooLargeException;
import io.omendb.router.backend.RangeChangeRefusedException;
import io.omendb.router.backend.UnknownNodeException;
import io.omendb.router.backend.UnknownRangeException;
import java.util.LinkedHashMap;
import java.util.Map;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The one place that turns failures into HTTP answers, so every error has a stable code and status:
 * {@link ApiException} keeps its own, backend exceptions map by type (409 cross_range_batch, 409 decommission_refused, 404 unknown_range,
 * 404 unknown_node, 413 batch_too_large, 503 unavailable, 504 timeout), and anything unexpected is a 500 internal whose detail goes to the log, not to
 * the client. Stateless, thread-safe.
 */
public final class ErrorMapper {
    private static final System.Logger LOG = System.getLogger(ErrorMapper.class.getName());

    private ErrorMapper() {
    }

    public static ApiError toError(Throwable failure) {
        Throwable cause = unwrap(failure);
        if (cause instanceof ApiException api) {
            return api.error();
        }
        if (cause instanceof CrossRangeBatchException cross) {
            return new ApiError(409, "cross_range_batch", cause.getMessage(), Map.of("ranges", cross.rangeIds(),
                    "boundaries", cross.boundaries().stream().map(PercentCodec::encode).toList()), Map.of());
        }
        if (cause instanceof RangeChangeRefusedException refused) {
            String badChange = "bad_" + refused.operation(); // bad_split, bad_merge
            return refused.reason() == RangeChangeRefusedException.Reason.CONFLICT
                    ? ApiError.of(409, "range_changed", cause.getMessage())
                    : ApiError.of(400, badChange, cause.getMessage());
        }
        if (cause instanceof DecommissionRefusedException) {
            return ApiError.of(409, "decommission_refused", cause.getMessage());
        }
        if (cause instanceof UnknownRangeException) {
            return ApiError.of(404, "unknown_range", cause.getMessage());
        }
        if (cause instanceof UnknownNodeException) {
            return ApiError.of(404, "unknown_node", cause.getMessage());
        }
        if (cause instanceof EntryTooLargeException) {
            return ApiError.of(413, "batch_too_large", cause.getMessage());
        }
        if (cause instanceof BackendUnavailableException) {
            return ApiError.of(503, "unavailable", cause.getMessage() + "; retry later");
        }
        if (cause instanceof BackendTimeoutException || cause instanceof RequestDeadlineException) {
            return ApiError.of(504, "timeout", cause.getMessage());
        }
        LOG.log(System.Logger.Level.ERROR, "internal error while serving a request", cause);
        return ApiError.of(500, "internal", "internal error (" + cause.getClass().getSimpleName()
                + "); the server log has the details");
    }

    /** {@code {"error": code, "message": ..., extra fields...}} with the error's status and headers. */
    public static ApiResponse toResponse(ApiError error) {
        Map<String, Object> body = new LinkedHashMap<>();
        body.put("error", error.code());
        body.put("message", error.message());
        body.putAll(error.extraFields());
        return new ApiResponse(error.status(), ApiResponse.JSON, Json.write(body), error.headers());
    }

    private static Throwable unwrap(Throwable failure) {
        Throwable t = failure;
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }
}
