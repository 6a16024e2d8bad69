package io.omendb.router.security;

import io.netty.handler.codec.http.HttpMethod;
import io.omendb.router.http.ApiError;
import io.omendb.router.http.ApiRequest;
import io.omendb.router.http.ApiResponse;
import io.omendb.router.http.Json;
import io.omendb.router.http.RequestGate;
import io.omendb.router.http.Route;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;

/**
 * Authentication and authorization of the HTTP API ({@code [security] auth_enabled = true}).
 *
 * <p><b>Who may do what.</b> Probes ({@code /health}, {@code /ready}) are open. Every other request needs
 * credentials: HTTP Basic (bcrypt-checked by {@link CredentialVerifier}) or a session token ({@code Authorization:
 * Bearer}) from {@code POST /v1/auth/login}. Reads need role read, writes write, {@code /admin/*} admin; login and
 * logout need no role. Missing or wrong credentials: 401 with {@code WWW-Authenticate}; a missing role: 403.
 *
 * <p><b>Guessing.</b> Failed authentications are counted per remote address ({@link FailureLimiter}); past the
 * limit that address gets 429 with Retry-After before any password is checked. A saturated bcrypt pool answers
 * 503 auth_busy.
 *
 * <p><b>Reload.</b> {@link #replaceUsers} swaps the users and roles while requests run (see there).
 *
 * <p><b>Audit.</b> Each refusal is one {@link AuditLog} line (user, never the password; remote address; path).
 *
 * <p>Thread-safe; {@link #admit} never blocks (bcrypt completes the future on the verifier's threads).
 */
public final class AuthGate implements RequestGate, AutoCloseable {
    static final String REALM_HEADER = "Basic realm=\"omendb\", charset=\"UTF-8\"";
    static final String LOGIN_PATH = "/v1/auth/login";
    static final String LOGOUT_PATH = "/v1/auth/logout";

    private final CredentialVerifier verifier;
    private final SessionStore sessions;
    private final FailureLimiter failures;
    private final AuditLog audit;

    public AuthGate(CredentialVerifier verifier, SessionStore sessions, FailureLimiter failures, AuditLog audit) {
        this.verifier = verifier;
        this.sessions = sessions;
        this.failures = failures;
        this.audit = audit;
    }

    @Override
    public List<Route> routes() {
        return List.of(new Route(HttpMethod.POST, LOGIN_PATH, false, Set.of(), Route.Kind.SESSION, this::login),
                new Route(HttpMethod.POST, LOGOUT_PATH, false, Set.of(), Route.Kind.SESSION, this::logout));
    }

    @Override
    public CompletableFuture<Admission> admit(Route route, ApiRequest request) {
        if (route.kind() == Route.Kind.PROBE) {
            return CompletableFuture.completedFuture(Admission.allow(null));
        }
        String remote = request.caller().remoteAddress();
        String header = request.caller().authorizationOrNull();
        if (header == null) {
            return refuse(unauthorized("unauthorized", "credentials required: HTTP Basic (curl -u USER:PASSWORD) "
                    + "or Authorization: Bearer TOKEN from POST " + LOGIN_PATH), null, request, false);
        }
        long blockedMs = failures.blockedForMs(host(remote));
        if (blockedMs > 0) {
            return refuse(tooManyFailures(blockedMs), null, request, false);
        }
        Credentials credentials;
        try {
            credentials = Credentials.parse(header);
        } catch (Credentials.MalformedCredentialsException e) {
            return refuse(unauthorized("bad_credentials", e.getMessage()), null, request, true);
        }
        if (credentials instanceof Credentials.Bearer bearer) {
            String user = sessions.userOrNull(bearer.token());
            return user == null || !verifier.users().contains(user)
                    ? refuse(unauthorized("invalid_token", "the session token is unknown, expired or revoked; log in "
                            + "again with POST " + LOGIN_PATH), null, request, true)
                    : authorize(route, request, user);
        }
        Credentials.Basic basic = (Credentials.Basic) credentials;
        return verifier.verify(basic).handle((ok, failure) -> {
            if (failure != null) {
                ApiError busy = ApiError.of(503, "auth_busy", "too many authentications in progress; retry later");
                return refuseNow(busy, basic.user(), request, false);
            }
            return ok ? authorizeNow(route, request, basic.user())
                    : refuseNow(unauthorized("bad_credentials", "wrong user name or password"), basic.user(), request,
                            true);
        });
    }

    /**
     * Puts {@code next} in force: roles apply from the next request, removed users are refused at once (a session
     * is honoured only while its user is listed), and the sessions of users removed or given a new password are
     * revoked. Returns how many sessions were revoked.
     */
    int replaceUsers(UserStore next) {
        UserStore previous = verifier.users();
        verifier.replaceUsers(next);
        return sessions.revokeUsers(user -> !next.sameCredentials(previous, user));
    }

    private CompletableFuture<Admission> authorize(Route route, ApiRequest request, String user) {
        return CompletableFuture.completedFuture(authorizeNow(route, request, user));
    }

    private Admission authorizeNow(Route route, ApiRequest request, String user) {
        Role needed = switch (route.kind()) {
            case READ -> Role.READ;
            case WRITE -> Role.WRITE;
            case ADMIN, RESHAPE -> Role.ADMIN;
            case SESSION, PROBE -> null;
        };
        if (needed == null || verifier.users().roles(user).contains(needed)) {
            return Admission.allow(user);
        }
        return refuseNow(ApiError.of(403, "forbidden", "user '" + UserStore.sanitize(user) + "' lacks role "
                + needed.fileName() + " needed for " + request.method() + " " + route.path()), user, request, false);
    }

    private CompletableFuture<Admission> refuse(ApiError error, String user, ApiRequest request, boolean failure) {
        return CompletableFuture.completedFuture(refuseNow(error, user, request, failure));
    }

    private Admission refuseNow(ApiError error, String userOrNull, ApiRequest request, boolean authFailure) {
        String remote = request.caller().remoteAddress();
        if (authFailure) {
            failures.recordFailure(host(remote));
        }
        audit.refused(error.status(), error.code(), userOrNull, remote, request.method().name(), request.path());
        return Admission.refuse(error);
    }

    private CompletableFuture<ApiResponse> login(ApiRequest request) {
        String user = request.caller().userOrNull();
        if (!(parseOrNull(request.caller().authorizationOrNull()) instanceof Credentials.Basic)) {
            throw ApiError.badRequest("basic_required", "log in with HTTP Basic credentials (curl -u USER:PASSWORD)")
                    .asException();
        }
        String token = sessions.createOrNull(user);
        if (token == null) {
            throw ApiError.of(503, "too_many_sessions", "the session limit is reached; log out unused sessions or "
                    + "use HTTP Basic").asException();
        }
        audit.session("login", user, request.caller().remoteAddress());
        return CompletableFuture.completedFuture(Json.response(200, Json.object("token", token, "token_type",
                "Bearer", "expires_in_seconds", sessions.timeoutSeconds(), "user", user,
                "roles", verifier.users().roles(user).stream().map(Role::fileName).sorted().toList())));
    }

    private CompletableFuture<ApiResponse> logout(ApiRequest request) {
        if (!(parseOrNull(request.caller().authorizationOrNull()) instanceof Credentials.Bearer bearer)) {
            throw ApiError.badRequest("bearer_required", "log out with the session token: Authorization: Bearer "
                    + "TOKEN").asException();
        }
        sessions.revoke(bearer.token());
        audit.session("logout", request.caller().userOrNull(), request.caller().remoteAddress());
        return CompletableFuture.completedFuture(Json.response(200, Json.object("revoked", true)));
    }

    private static Credentials parseOrNull(String header) {
        try {
            return header == null ? null : Credentials.parse(header);
        } catch (Credentials.MalformedCredentialsException e) {
            return null;
        }
    }

    private static ApiError unauthorized(String code, String message) {
        return new ApiError(401, code, message, Map.of(), Map.of("WWW-Authenticate", REALM_HEADER));
    }

    private static ApiError tooManyFailures(long blockedMs) {
        long seconds = Math.max(1, (blockedMs + 999) / 1000);
        return new ApiError(429, "too_many_auth_failures", "too many failed authentications from this address; "
                + "retry after " + seconds + " s", Map.of(), Map.of("Retry-After", Long.toString(seconds)));
    }

    /** The address part of {@code /1.2.3.4:5678}: failures count per host, not per connection. */
    static String host(String remote) {
        int colon = remote.lastIndexOf(':');
        return colon < 0 ? remote : remote.substring(0, colon);
    }

    @Override
    public void close() {
        verifier.close();
    }
}
