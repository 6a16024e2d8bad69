package io.omendb.router.http;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.Map;
import java.util.Set;

/**
 * The query string of a request, split but not decoded: each value is decoded by the endpoint that knows what
 * it is (bytes for scan bounds, text for numbers). Repeated and unknown parameters are refused, so a typo
 * ({@code limt=5}) fails loudly instead of being ignored.
 */
public final class QueryParams {
    private final Map<String, String> rawValues;

    private QueryParams(Map<String, String> rawValues) {
        this.rawValues = rawValues;
    }

    /** Splits {@code rawQuery} (without '?', may be empty) on '&' and the first '='. */
    public static QueryParams parse(String rawQuery) {
        Map<String, String> values = new HashMap<>();
        if (!rawQuery.isEmpty()) {
            for (String pair : rawQuery.split("&", -1)) {
                int eq = pair.indexOf('=');
                String name = new String(PercentCodec.decode(eq < 0 ? pair : pair.substring(0, eq),
                        "query parameter name"), StandardCharsets.UTF_8);
                String value = eq < 0 ? "" : pair.substring(eq + 1);
                if (values.put(name, value) != null) {
                    throw ApiError.badRequest("duplicate_parameter", "query parameter '" + name
                            + "' is given more than once").asException();
                }
            }
        }
        return new QueryParams(values);
    }

    /** Refuses any parameter outside {@code allowed}. */
    public void requireOnly(Set<String> allowed) {
        for (String name : rawValues.keySet()) {
            if (!allowed.contains(name)) {
                throw ApiError.badRequest("unknown_parameter", "unknown query parameter '" + name
                        + "'; this endpoint accepts " + (allowed.isEmpty() ? "none" : allowed)).asException();
            }
        }
    }

    /** The percent-decoded bytes of {@code name}, or null when absent. */
    public byte[] bytesOrNull(String name) {
        String raw = rawValues.get(name);
        return raw == null ? null : PercentCodec.decode(raw, "query parameter '" + name + "'");
    }

    /** The percent-decoded value of {@code name} as UTF-8 text, or null when absent. */
    public String textOrNull(String name) {
        byte[] bytes = bytesOrNull(name);
        return bytes == null ? null : new String(bytes, StandardCharsets.UTF_8);
    }
}
