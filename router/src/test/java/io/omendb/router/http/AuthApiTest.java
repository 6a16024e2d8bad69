package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.config.OmenConfig;
import io.omendb.router.security.RouterSecurity;
import io.omendb.router.security.UserStore;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Authentication and roles through the real HTTP pipeline ({@link RouterSecurity} as the router builds it): 401
 * with WWW-Authenticate, 403 per role, sessions (login, bearer, expiry on the injected clock, logout), the
 * per-address failure limit, and audit lines that name user, address and path but never a secret.
 */
class AuthApiTest {
    /** bcrypt cost 10 (the minimum) keeps the ~15 password checks of this class quick. */
    private static final int TEST_COST = 10;
    private static final long SESSION_SECONDS = 60;
    /** Hashed once for the class: bcrypt is the slow part of these tests. */
    private static final String USERS_FILE = String.join("\n",
            "alice:" + UserStore.hash("alice-pass".toCharArray(), TEST_COST),
            "reader:" + UserStore.hash("reader-pass".toCharArray(), TEST_COST),
            "ops:" + UserStore.hash("ops-pass".toCharArray(), TEST_COST),
            "nobody:" + UserStore.hash("nobody-pass".toCharArray(), TEST_COST)) + "\n";

    @TempDir
    Path dir;
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private RouterSecurity security;
    private TestServer t;
    private LogCapture audit;

    @BeforeEach
    void start() throws Exception {
        Files.writeString(dir.resolve("users.htpasswd"), USERS_FILE);
        Files.writeString(dir.resolve("roles.txt"), "alice:read,write\nreader:read\nops:admin\n");
        security = RouterSecurity.start(new OmenConfig.Security(true, "users.htpasswd", "roles.txt", SESSION_SECONDS,
                false, "", "", "", false, 0), dir, nanos::get);
        t = TestServer.builder().guards(ServerGuards.open().withGate(security.gate())).start();
        audit = LogCapture.attach("io.omendb.audit");
    }

    @AfterEach
    void stop() {
        audit.detach();
        t.close();
        security.close();
    }

    @Test
    void withoutCredentials401WithChallengeProbesStayOpen() {
        HttpResponse<byte[]> r = t.get("/v1/kv/a");
        assertError(r, 401, "unauthorized");
        assertTrue(r.headers().firstValue("www-authenticate").orElse("").startsWith("Basic realm=\"omendb\""));
        assertError(call("PUT", "/v1/kv/a", "v", null), 401, "unauthorized");
        assertError(t.get("/admin/ranges"), 401, "unauthorized");
        assertEquals(200, t.get("/health").statusCode());
        assertEquals(0, t.backend.calls(), "a refused request never reaches the backend");
        assertAudit("status=401", "reason=unauthorized", "path=/v1/kv/a", "remote=/127.0.0.1:");
    }

    @Test
    void rolesDecideReadsWritesAndAdmin() {
        assertEquals(200, call("PUT", "/v1/kv/k", "v", basic("alice", "alice-pass")).statusCode());
        assertEquals(200, call("GET", "/v1/kv/k", null, basic("alice", "alice-pass")).statusCode());
        assertEquals(200, call("GET", "/v1/kv/k", null, basic("reader", "reader-pass")).statusCode());
        assertError(call("PUT", "/v1/kv/k", "x", basic("reader", "reader-pass")), 403, "forbidden");
        assertError(call("DELETE", "/v1/kv/k", null, basic("reader", "reader-pass")), 403, "forbidden");
        assertError(call("POST", "/v1/batch", "{\"ops\":[]}", basic("reader", "reader-pass")), 403, "forbidden");
        assertError(call("GET", "/admin/ranges", null, basic("alice", "alice-pass")), 403, "forbidden");
        assertEquals(200, call("GET", "/admin/ranges", null, basic("ops", "ops-pass")).statusCode());
        assertError(call("GET", "/v1/kv/k", null, basic("ops", "ops-pass")), 403, "forbidden");
        assertError(call("GET", "/v1/kv/k", null, basic("nobody", "nobody-pass")), 403, "forbidden");
        assertEquals("v", TestServer.text(call("GET", "/v1/kv/k", null, basic("alice", "alice-pass"))));
        assertAudit("status=403", "reason=forbidden", "user=\"reader\"", "method=PUT", "path=/v1/kv/k");
    }

    @Test
    void wrongPasswordsAndMalformedHeadersAre401AndNeverLogged() {
        assertError(call("GET", "/v1/kv/k", null, basic("alice", "guess-one")), 401, "bad_credentials");
        assertError(call("GET", "/v1/kv/k", null, basic("mallory", "guess-two")), 401, "bad_credentials");
        assertError(call("GET", "/v1/kv/k", null, "Basic !!!notbase64"), 401, "bad_credentials");
        assertError(call("GET", "/v1/kv/k", null, "Basic " + Base64.getEncoder().encodeToString(
                new byte[] {'a', ':', (byte) 0xff})), 401, "bad_credentials");
        assertError(call("GET", "/v1/kv/k", null, "Digest x"), 401, "bad_credentials");
        assertError(call("GET", "/v1/kv/k", null, "Bearer omt_forged"), 401, "invalid_token");
        assertAudit("reason=bad_credentials", "user=\"alice\"");
        assertAudit("reason=bad_credentials", "user=\"mallory\"");
        for (String line : audit.messages()) {
            assertFalse(line.contains("guess-one") || line.contains("guess-two") || line.contains("omt_forged"),
                    line);
        }
    }

    @Test
    void sessionsLoginUseExpireAndLogout() throws Exception {
        assertError(call("POST", "/v1/auth/login", null, null), 401, "unauthorized");
        HttpResponse<byte[]> login = call("POST", "/v1/auth/login", null, basic("alice", "alice-pass"));
        assertEquals(200, login.statusCode(), TestServer.text(login));
        String token = TestServer.json(login).get("token").asText();
        assertTrue(token.startsWith("omt_") && token.length() >= 4 + 43, "256-bit token: " + token.length());
        assertEquals(SESSION_SECONDS, TestServer.json(login).get("expires_in_seconds").asLong());
        String other = TestServer.json(call("POST", "/v1/auth/login", null, basic("alice", "alice-pass")))
                .get("token").asText();
        assertNotEquals(token, other);

        assertEquals(200, call("PUT", "/v1/kv/s", "v", "Bearer " + token).statusCode());
        assertEquals(200, call("GET", "/v1/kv/s", null, "bearer " + token).statusCode());
        assertError(call("POST", "/v1/auth/logout", null, basic("alice", "alice-pass")), 400, "bearer_required");
        assertEquals(200, call("POST", "/v1/auth/logout", null, "Bearer " + token).statusCode());
        assertError(call("GET", "/v1/kv/s", null, "Bearer " + token), 401, "invalid_token");

        assertEquals(200, call("GET", "/v1/kv/s", null, "Bearer " + other).statusCode());
        nanos.addAndGet(Duration.ofSeconds(SESSION_SECONDS).toNanos());
        assertError(call("GET", "/v1/kv/s", null, "Bearer " + other), 401, "invalid_token");
        for (String line : audit.messages()) {
            assertFalse(line.contains(token) || line.contains(other), line);
        }
    }

    @Test
    void repeatedFailuresFromOneAddressAreRateLimited() {
        for (int i = 0; i < 10; i++) {
            assertError(call("GET", "/v1/kv/k", null, basic("alice", "wrong-" + i)), 401, "bad_credentials");
        }
        HttpResponse<byte[]> limited = call("GET", "/v1/kv/k", null, basic("alice", "alice-pass"));
        assertError(limited, 429, "too_many_auth_failures");
        long retryAfter = Long.parseLong(limited.headers().firstValue("retry-after").orElseThrow());
        assertTrue(retryAfter >= 1 && retryAfter <= 60, "Retry-After " + retryAfter);
        assertEquals(200, t.get("/health").statusCode(), "probes are not limited");
        nanos.addAndGet(Duration.ofSeconds(61).toNanos());
        assertEquals(404, call("GET", "/v1/kv/k", null, basic("alice", "alice-pass")).statusCode());
        assertAudit("status=429", "reason=too_many_auth_failures");
    }

    private HttpResponse<byte[]> call(String method, String path, String body, String authorization) {
        return t.send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), authorization);
    }

    static String basic(String user, String password) {
        return "Basic " + Base64.getEncoder().encodeToString((user + ":" + password).getBytes(StandardCharsets.UTF_8));
    }

    private void assertAudit(String... parts) {
        List<String> lines = audit.messages();
        for (String line : lines) {
            boolean all = line.startsWith("auth ");
            for (String p : parts) {
                all &= line.contains(p);
            }
            if (all) {
                return;
            }
        }
        throw new AssertionError("no audit line with " + List.of(parts) + " in " + lines);
    }
}
