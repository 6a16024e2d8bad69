package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.config.OmenConfig;
import io.omendb.router.security.RouterSecurity;
import io.omendb.router.security.SecurityReloader;
import io.omendb.router.security.UserStore;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.logging.Level;
import java.util.logging.LogRecord;
import org.junit.jupiter.api.AfterEach;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading the users and roles files while the router serves, through the real HTTP pipeline and the reloader's
 * own triggers (called directly here; the router calls them on SIGHUP and every {@code reload_check_interval_s}):
 * a new user can log in, a removed one cannot (Basic, cached successes and sessions included), role changes apply
 * at once, and a bad file is refused with an ERROR line naming it while the old users stay in force.
 */
class UsersReloadApiTest {
    private static final int TEST_COST = 10;
    private static final String ALICE = "alice:" + UserStore.hash("alice-pass".toCharArray(), TEST_COST);
    private static final String BOB = "bob:" + UserStore.hash("bob-pass".toCharArray(), TEST_COST);
    private static final String CAROL = "carol:" + UserStore.hash("carol-pass".toCharArray(), TEST_COST);

    @TempDir
    Path dir;
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private RouterSecurity security;
    private TestServer t;
    private LogCapture log;

    @BeforeEach
    void start() throws Exception {
        write(ALICE + "\n" + BOB + "\n", "alice:read,write\nbob:read\n");
        security = RouterSecurity.start(new OmenConfig.Security(true, "users.htpasswd", "roles.txt", 60,
                false, "", "", "", false, 0), dir, nanos::get);
        t = TestServer.builder().guards(ServerGuards.open().withGate(security.gate())).start();
        t.backend.put("k".getBytes(StandardCharsets.UTF_8), "v".getBytes(StandardCharsets.UTF_8)).join();
        log = LogCapture.attach(SecurityReloader.LOGGER);
    }

    @AfterEach
    void stop() {
        log.detach();
        t.close();
        security.close();
    }

    @Test
    void newUserLogsInRemovedUserLosesAccessAtOnceSessionsIncluded() throws Exception {
        assertEquals(200, get("alice", "alice-pass").statusCode(), "alice's success is now cached");
        String aliceToken = login("alice", "alice-pass");
        String bobToken = login("bob", "bob-pass");
        assertError(get("carol", "carol-pass"), 401, "bad_credentials");
        assertError(call("PUT", "/v1/kv/k", "v", AuthApiTest.basic("bob", "bob-pass")), 403, "forbidden");

        write(BOB + "\n" + CAROL + "\n", "bob:read,write\ncarol:read\n");
        List<SecurityReloader.Outcome> outcomes = security.reloader().checkForChanges();

        assertEquals(1, outcomes.size(), outcomes.toString());
        assertTrue(outcomes.get(0).applied(), outcomes.toString());
        assertEquals("2 users, 1 sessions revoked", outcomes.get(0).message());
        assertEquals(200, get("carol", "carol-pass").statusCode(), "a new user can authenticate");
        assertError(get("alice", "alice-pass"), 401, "bad_credentials");
        assertError(call("GET", "/v1/kv/k", null, "Bearer " + aliceToken), 401, "invalid_token");
        assertEquals(200, call("GET", "/v1/kv/k", null, "Bearer " + bobToken).statusCode(),
                "an unchanged user keeps the session");
        assertEquals(200, call("PUT", "/v1/kv/k", "v", "Bearer " + bobToken).statusCode(), "bob's new role applies");
        assertLogged(Level.INFO, "security reload (file change): users (users_file " + dir.resolve("users.htpasswd"),
                "reloaded: 2 users");
        assertTrue(security.reloader().checkForChanges().isEmpty(), "nothing changed since");
    }

    @Test
    void aNewPasswordRevokesTheUsersSessions() throws Exception {
        String bobToken = login("bob", "bob-pass");
        write(ALICE + "\n" + "bob:" + UserStore.hash("bob-new-pass".toCharArray(), TEST_COST) + "\n",
                "alice:read,write\nbob:read\n");

        assertTrue(security.reloader().reloadAll("SIGHUP").get(0).applied());

        assertError(call("GET", "/v1/kv/k", null, "Bearer " + bobToken), 401, "invalid_token");
        assertError(get("bob", "bob-pass"), 401, "bad_credentials");
        assertEquals(200, get("bob", "bob-new-pass").statusCode());
    }

    @Test
    void aBadFileIsRefusedNamingItAndTheOldUsersStay() throws Exception {
        String aliceToken = login("alice", "alice-pass");
        Path users = dir.resolve("users.htpasswd");
        write(ALICE + "\n" + "carol:plaintext-password\n", "alice:read,write\n");

        List<SecurityReloader.Outcome> refused = security.reloader().checkForChanges();

        assertEquals(1, refused.size());
        assertFalse(refused.get(0).applied());
        assertTrue(refused.get(0).message().contains(users + " line 2"), refused.get(0).message());
        assertFalse(refused.get(0).message().contains("plaintext-password"), "never echoes a password");
        assertLogged(Level.SEVERE, "security reload (file change): refused users (users_file " + users,
                "line 2: user 'carol' has a plaintext or crypt(3) password", "the previous version stays in force");
        assertError(get("carol", "carol-pass"), 401, "bad_credentials");
        assertEquals(200, get("bob", "bob-pass").statusCode(), "bob is still a user");
        assertEquals(200, call("GET", "/v1/kv/k", null, "Bearer " + aliceToken).statusCode(), "sessions stay");
        assertTrue(security.reloader().checkForChanges().isEmpty(), "a refused version is reported once");

        Files.delete(dir.resolve("roles.txt"));
        assertFalse(security.reloader().checkForChanges().get(0).applied(), "an unreadable roles file is refused");
        write("", "");
        assertTrue(security.reloader().reloadAll("SIGHUP").get(0).message().contains("lists no user"),
                "an empty users file would lock everyone out");
        assertEquals(200, get("bob", "bob-pass").statusCode(), "still the users of the last good files");

        write(ALICE + "\n" + CAROL + "\n", "carol:read\n");
        assertTrue(security.reloader().checkForChanges().get(0).applied(), "a fixed file is taken");
        assertEquals(200, get("carol", "carol-pass").statusCode());
    }

    private void write(String users, String roles) throws IOException {
        Files.writeString(dir.resolve("users.htpasswd"), users);
        Files.writeString(dir.resolve("roles.txt"), roles);
    }

    private HttpResponse<byte[]> get(String user, String password) {
        return call("GET", "/v1/kv/k", null, AuthApiTest.basic(user, password));
    }

    private String login(String user, String password) {
        HttpResponse<byte[]> r = call("POST", "/v1/auth/login", null, AuthApiTest.basic(user, password));
        assertEquals(200, r.statusCode(), TestServer.text(r));
        return TestServer.json(r).get("token").asText();
    }

    private HttpResponse<byte[]> call(String method, String path, String body, String authorization) {
        return t.send(method, path, body == null ? null : body.getBytes(StandardCharsets.UTF_8), authorization);
    }

    private void assertLogged(Level level, String... parts) {
        List<LogRecord> records = log.records();
        for (LogRecord r : records) {
            boolean all = r.getLevel().equals(level);
            for (String p : parts) {
                all &= r.getMessage().contains(p);
            }
            if (all) {
                return;
            }
        }
        throw new AssertionError("no " + level + " line with " + List.of(parts) + " in " + log.messages());
    }
}
