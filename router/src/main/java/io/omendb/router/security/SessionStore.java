package io.omendb.router.security;

import java.nio.charset.StandardCharsets;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.Base64;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.LongSupplier;

/**
 * Login sessions: random bearer tokens valid for {@code session_timeout_seconds} from login, revoked by logout.
 *
 * <p><b>Tokens.</b> {@link #TOKEN_BYTES} bytes (256 bits) from {@link SecureRandom}, base64url, prefixed
 * {@code omt_}. The store keeps only each token's SHA-256, never the token, so a heap dump or a log of this
 * store's state reveals no usable token. Lookup is by digest, and the found digest is compared again with
 * {@link MessageDigest#isEqual} (constant time); finding a digest by timing would need a SHA-256 preimage.
 *
 * <p><b>Bounds.</b> At most {@code sessionsMax} live sessions: expired ones are purged when the store is full,
 * and a login beyond the bound is refused (the caller answers 503). Time comes from an injected nanosecond clock.
 * Thread-safe (concurrent map); sessions live in memory, so a router restart logs everyone out.
 */
public final class SessionStore {
    static final int TOKEN_BYTES = 32;
    static final String TOKEN_PREFIX = "omt_";

    /** A live session; no token inside. */
    public record Session(String user, long expiresNanos, byte[] tokenDigest) {
        @Override
        public String toString() {
            return "Session[user=" + user + "]";
        }
    }

    private final Map<String, Session> byDigest = new ConcurrentHashMap<>();
    private final long timeoutNanos;
    private final int sessionsMax;
    private final SecureRandom random;
    private final LongSupplier nanoClock;

    public SessionStore(long timeoutSeconds, int sessionsMax, SecureRandom random, LongSupplier nanoClock) {
        this.timeoutNanos = timeoutSeconds * 1_000_000_000L;
        this.sessionsMax = sessionsMax;
        this.random = random;
        this.nanoClock = nanoClock;
    }

    public long timeoutSeconds() {
        return timeoutNanos / 1_000_000_000L;
    }

    /** A new session's token, or null when {@code sessionsMax} live sessions exist. */
    public String createOrNull(String user) {
        if (byDigest.size() >= sessionsMax) {
            purgeExpired();
            if (byDigest.size() >= sessionsMax) {
                return null;
            }
        }
        byte[] raw = new byte[TOKEN_BYTES];
        random.nextBytes(raw);
        String token = TOKEN_PREFIX + Base64.getUrlEncoder().withoutPadding().encodeToString(raw);
        byte[] digest = digest(token);
        byDigest.put(HexFormat.of().formatHex(digest), new Session(user, nanoClock.getAsLong() + timeoutNanos, digest));
        return token;
    }

    /** The user of a live session with this token, or null (unknown, revoked or expired). */
    public String userOrNull(String token) {
        byte[] digest = digest(token);
        String key = HexFormat.of().formatHex(digest);
        Session s = byDigest.get(key);
        if (s == null || !MessageDigest.isEqual(s.tokenDigest(), digest)) {
            return null;
        }
        if (nanoClock.getAsLong() - s.expiresNanos() >= 0) {
            byDigest.remove(key, s);
            return null;
        }
        return s.user();
    }

    /** Ends the session of this token; false when there was none. */
    public boolean revoke(String token) {
        return byDigest.remove(HexFormat.of().formatHex(digest(token))) != null;
    }

    /** Ends every session whose user {@code revoked} accepts; returns how many ended. */
    public int revokeUsers(java.util.function.Predicate<String> revoked) {
        int n = 0;
        for (Iterator<Session> it = byDigest.values().iterator(); it.hasNext(); ) {
            if (revoked.test(it.next().user())) {
                it.remove();
                n++;
            }
        }
        return n;
    }

    public int liveSessions() {
        return byDigest.size();
    }

    private void purgeExpired() {
        long now = nanoClock.getAsLong();
        for (Iterator<Session> it = byDigest.values().iterator(); it.hasNext(); ) {
            if (now - it.next().expiresNanos() >= 0) {
                it.remove();
            }
        }
    }

    private static byte[] digest(String token) {
        try {
            return MessageDigest.getInstance("SHA-256").digest(token.getBytes(StandardCharsets.UTF_8));
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException("SHA-256 is required of every JVM", e);
        }
    }
}
