package io.omendb.router.http;

/**
 * Who sent a request: the peer's address, the raw {@code Authorization} header (never logged: {@link #toString()}
 * leaves it out) and, once a {@link RequestGate} admitted the request, the authenticated user (null when
 * authentication is off or the route is open).
 */
public record Caller(String remoteAddress, String authorizationOrNull, String userOrNull) {
    static final Caller UNKNOWN = new Caller("unknown", null, null);

    Caller admittedAs(String user) {
        return new Caller(remoteAddress, authorizationOrNull, user);
    }

    @Override
    public String toString() {
        return "Caller[remote=" + remoteAddress + ", user=" + userOrNull + "]";
    }
}
