package io.omendb.router.security;

import java.nio.charset.StandardCharsets;
import java.security.InvalidKeyException;
import java.security.NoSuchAlgorithmException;
import java.security.SecureRandom;
import java.util.HexFormat;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ArrayBlockingQueue;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import javax.crypto.Mac;
import javax.crypto.spec.SecretKeySpec;

/**
 * Checks HTTP Basic passwords against the {@link UserStore} without blocking event loops and without paying
 * bcrypt on every request.
 *
 * <p><b>Pool.</b> bcrypt runs on {@link #THREADS} daemon threads with a queue of {@code queueMax}; when the queue
 * is full the check fails at once with {@link BusyException} (the gate answers 503), so a flood of guesses costs
 * at most this pool's CPU and never grows an unbounded queue.
 *
 * <p><b>Cache.</b> A successful check is remembered for {@code cacheTtlMs} under HMAC-SHA256(process key,
 * user NUL password); the key is random per process, so the cache holds nothing that can be checked offline.
 * Failures are never cached. At most {@code cacheEntriesMax} entries (expired ones purged when full, then new
 * successes simply are not cached). An entry counts only for the {@link UserStore} it was verified against, so
 * after {@link #replaceUsers} no cached success of a removed user or an old password lets anyone in.
 * Thread-safe.
 */
public final class CredentialVerifier implements AutoCloseable {
    static final int THREADS = 2;

    /** The bcrypt pool is saturated; retry later. */
    public static final class BusyException extends RuntimeException {
        BusyException() {
            super("authentication is busy", null, false, false);
        }
    }

    /** A cached success: valid until {@code untilNanos}, and only while {@code store} is in force. */
    private record Verified(long untilNanos, UserStore store) {
    }

    private volatile UserStore users;
    private final ThreadPoolExecutor pool;
    private final Map<String, Verified> verified = new ConcurrentHashMap<>();
    private final long cacheTtlNanos;
    private final int cacheEntriesMax;
    private final LongSupplier nanoClock;
    private final SecretKeySpec cacheKey;

    public CredentialVerifier(UserStore users, int queueMax, long cacheTtlMs, int cacheEntriesMax,
                              SecureRandom random, LongSupplier nanoClock) {
        this.users = users;
        this.pool = new ThreadPoolExecutor(THREADS, THREADS, 0, TimeUnit.MILLISECONDS,
                new ArrayBlockingQueue<>(queueMax), r -> {
                    Thread t = new Thread(r, "omendb-auth");
                    t.setDaemon(true);
                    return t;
                });
        this.cacheTtlNanos = cacheTtlMs * 1_000_000L;
        this.cacheEntriesMax = cacheEntriesMax;
        this.nanoClock = nanoClock;
        byte[] key = new byte[32];
        random.nextBytes(key);
        this.cacheKey = new SecretKeySpec(key, "HmacSHA256");
    }

    /** The users in force. */
    public UserStore users() {
        return users;
    }

    /** Puts {@code next} in force for every check that starts from now on, and forgets every cached success. */
    void replaceUsers(UserStore next) {
        users = next;
        verified.clear();
    }

    /** Completes with whether the password is the user's; fails with {@link BusyException} when saturated. */
    public CompletableFuture<Boolean> verify(Credentials.Basic credentials) {
        String cacheId = cacheId(credentials);
        UserStore store = users;
        Verified hit = verified.get(cacheId);
        if (hit != null && hit.store() == store && hit.untilNanos() - nanoClock.getAsLong() > 0) {
            return CompletableFuture.completedFuture(true);
        }
        try {
            return CompletableFuture.supplyAsync(() -> {
                boolean ok = store.verify(credentials.user(), credentials.password());
                if (ok) {
                    remember(cacheId, store);
                }
                return ok;
            }, pool);
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new BusyException());
        }
    }

    /** Blocking form for callers that already run on their own threads (the metrics endpoint). */
    public boolean verifyBlocking(Credentials.Basic credentials) {
        return verify(credentials).join();
    }

    private void remember(String cacheId, UserStore store) {
        long now = nanoClock.getAsLong();
        if (verified.size() >= cacheEntriesMax) {
            for (Iterator<Verified> it = verified.values().iterator(); it.hasNext(); ) {
                Verified v = it.next();
                if (v.untilNanos() - now <= 0 || v.store() != users) {
                    it.remove();
                }
            }
            if (verified.size() >= cacheEntriesMax) {
                return;
            }
        }
        verified.put(cacheId, new Verified(now + cacheTtlNanos, store));
    }

    private String cacheId(Credentials.Basic c) {
        try {
            Mac mac = Mac.getInstance("HmacSHA256");
            mac.init(cacheKey);
            mac.update(c.user().getBytes(StandardCharsets.UTF_8));
            mac.update((byte) 0);
            return HexFormat.of().formatHex(mac.doFinal(c.password()));
        } catch (NoSuchAlgorithmException | InvalidKeyException e) {
            throw new IllegalStateException("HmacSHA256 is required of every JVM", e);
        }
    }

    @Override
    public void close() {
        pool.shutdownNow();
    }
}
