package io.omendb.router.http;

import java.util.List;
import java.util.concurrent.CompletableFuture;

/**
 * The hook through which authentication and authorization plug into the HTTP pipeline (implemented in
 * {@code io.omendb.router.security}; this package does not know how callers are checked). The dispatcher asks the
 * gate about every request after routing and before the concurrency permit, so a refused request never reaches
 * an endpoint or the backend.
 *
 * <p>Implementations must be thread-safe and must not block the calling event loop: expensive checks (bcrypt)
 * complete the future from another thread.
 */
public interface RequestGate {
    /** Admits every request anonymously: authentication is off. */
    RequestGate OPEN = new RequestGate() {
        @Override
        public CompletableFuture<Admission> admit(Route route, ApiRequest request) {
            return CompletableFuture.completedFuture(Admission.allow(null));
        }

        @Override
        public List<Route> routes() {
            return List.of();
        }
    };

    /** Decides whether {@code request} (already matched to {@code route}) may proceed, and as whom. */
    CompletableFuture<Admission> admit(Route route, ApiRequest request);

    /** Extra routes the gate serves itself (login, logout), added to the API's route table. */
    List<Route> routes();

    /** The gate's verdict: the admitted user (null when anonymous) or the refusal to answer with. */
    record Admission(String userOrNull, ApiError refusalOrNull) {
        public static Admission allow(String userOrNull) {
            return new Admission(userOrNull, null);
        }

        public static Admission refuse(ApiError refusal) {
            return new Admission(null, refusal);
        }
    }
}
