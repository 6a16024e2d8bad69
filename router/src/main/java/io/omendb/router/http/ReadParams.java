package io.omendb.router.http;

import io.omendb.router.backend.ReadConsistency;

/** The {@code consistency} query parameter shared by point reads and scans. */
final class ReadParams {
    static final String CONSISTENCY = "consistency";

    private ReadParams() {
    }

    /** LINEARIZABLE unless {@code ?consistency=stale}; any other value is a 400. */
    static ReadConsistency consistency(QueryParams query) {
        String raw = query.textOrNull(CONSISTENCY);
        if (raw == null || raw.equals("linearizable")) {
            return ReadConsistency.LINEARIZABLE;
        }
        if (raw.equals("stale")) {
            return ReadConsistency.STALE;
        }
        throw ApiError.badRequest("bad_consistency", "consistency must be linearizable or stale, got '" + raw + "'")
                .asException();
    }
}
