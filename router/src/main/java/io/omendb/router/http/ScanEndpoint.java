package io.omendb.router.http;

import io.omendb.router.backend.KeyValue;
import io.omendb.router.backend.KvBackend;
import io.omendb.router.backend.ReadConsistency;
import io.omendb.router.backend.ScanPage;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * {@code GET /v1/scan?start=&end=&limit=&cursor=&encoding=&consistency=}: keys in {@code [start, end)} in unsigned
 * byte order, across ranges.
 *
 * <p>A page holds at most {@code min(limit, backend.scanLimitMax())} items ({@code limit} defaults to
 * {@link #LIMIT_DEFAULT_ITEMS}): the API accepts any {@code limit} up to {@link #LIMIT_MAX_ITEMS} whatever
 * {@code [limits] max_scan_limit} is, and a page may hold fewer items than asked while a cursor follows, so a
 * configured maximum below the asked size shortens pages instead of failing the request.
 *
 * <p>The backend may answer short pages (it may stop at a range boundary), so this endpoint keeps asking from
 * the returned next key until the page holds {@code limit} items, the interval is exhausted, or it has made
 * {@link #BACKEND_CALLS_PER_PAGE_MAX} calls; the remaining interval is then returned as a cursor. Each call must
 * move strictly forward, so the loop always ends. The dispatcher's deadline bounds the whole page.
 */
public final class ScanEndpoint {
    public static final int LIMIT_DEFAULT_ITEMS = 1000;
    public static final int LIMIT_MAX_ITEMS = 10_000;
    /** Bounds the work of one page when ranges are many and sparse. */
    static final int BACKEND_CALLS_PER_PAGE_MAX = 64;

    private final KvBackend backend;
    private final InputLimits limits;

    public ScanEndpoint(KvBackend backend, InputLimits limits) {
        this.backend = backend;
        this.limits = limits;
    }

    public CompletableFuture<ApiResponse> scan(ApiRequest request) {
        QueryParams query = request.query();
        byte[] start = query.bytesOrNull("start");
        start = start == null || start.length == 0 ? new byte[0] : limits.requireKey(start);
        byte[] end = query.bytesOrNull("end");
        end = end == null || end.length == 0 ? null : limits.requireKey(end);
        String cursor = query.textOrNull("cursor");
        byte[] from = cursor == null ? start : cursorWithin(ScanCursor.decode(cursor), start, end);
        int limit = Math.min(limit(query.textOrNull("limit")), backend.scanLimitMax());
        BodyEncoding encoding = BodyEncoding.fromParam(query.textOrNull(BodyEncoding.PARAM));
        ReadConsistency consistency = ReadParams.consistency(query);
        if (end != null && Arrays.compareUnsigned(from, end) >= 0) {
            return CompletableFuture.completedFuture(render(new ScanPage(List.of(), null), encoding));
        }
        return fill(from, end, limit, consistency, new ArrayList<>(), BACKEND_CALLS_PER_PAGE_MAX)
                .thenApply(page -> render(page, encoding));
    }

    private CompletableFuture<ScanPage> fill(byte[] from, byte[] end, int limit, ReadConsistency consistency,
                                             List<KeyValue> items, int callsLeft) {
        return backend.scan(from, end, limit - items.size(), consistency).thenCompose(page -> {
            if (page.items().size() > limit - items.size()) {
                throw new IllegalStateException("backend returned more items than asked");
            }
            items.addAll(page.items());
            byte[] next = page.nextStartKeyOrNull();
            if (next != null && end != null && Arrays.compareUnsigned(next, end) >= 0) {
                next = null;
            }
            if (next == null || items.size() == limit || callsLeft == 1) {
                return CompletableFuture.completedFuture(new ScanPage(items, next));
            }
            if (Arrays.compareUnsigned(next, from) <= 0) {
                throw new IllegalStateException("backend scan did not move forward");
            }
            return fill(next, end, limit, consistency, items, callsLeft - 1);
        });
    }

    private static ApiResponse render(ScanPage page, BodyEncoding encoding) {
        List<Map<String, Object>> items = new ArrayList<>(page.items().size());
        for (KeyValue kv : page.items()) {
            items.add(Json.object("key", encoding.encode(kv.key(), "key"),
                    "value", encoding.encode(kv.value(), "value")));
        }
        byte[] next = page.nextStartKeyOrNull();
        return Json.response(200, Json.object("items", items, "cursor", next == null ? null : ScanCursor.encode(next)));
    }

    private static byte[] cursorWithin(byte[] cursorKey, byte[] start, byte[] end) {
        if (Arrays.compareUnsigned(cursorKey, start) < 0 || (end != null && Arrays.compareUnsigned(cursorKey, end) >= 0)) {
            throw ApiError.badRequest("bad_cursor", "cursor lies outside [start, end); pass the same start and end"
                    + " as the request that returned it").asException();
        }
        return cursorKey;
    }

    private static int limit(String raw) {
        if (raw == null) {
            return LIMIT_DEFAULT_ITEMS;
        }
        try {
            int limit = Integer.parseInt(raw);
            if (limit >= 1 && limit <= LIMIT_MAX_ITEMS) {
                return limit;
            }
        } catch (NumberFormatException e) {
            // falls through to the 400 below
        }
        throw ApiError.badRequest("bad_limit", "limit must be an integer in [1, " + LIMIT_MAX_ITEMS + "], got '"
                + raw + "'").asException();
    }
}
