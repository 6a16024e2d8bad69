package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertEquals;

import io.omendb.router.security.Role;
import io.omendb.router.security.UserFiles;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.time.Duration;
import java.util.Base64;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reload without restart, end to end: {@code omendb local} runs as a separate process; a user is added to its
 * users and roles files with the operator's tool ({@link UserFiles}, as {@code bin/omendb user add} does), the
 * process gets SIGHUP, logs that the SIGHUP reload took the new files, and the new user authenticates. A clean
 * stop afterwards still exits 0 (the SIGHUP handler leaves SIGTERM's alone).
 */
class SecurityReloadEndToEndTest {
    /** The reload runs on its own thread after the signal; on a loaded machine it can take a while to be logged. */
    private static final Duration RELOAD_WAIT = Duration.ofSeconds(60);

    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 300, unit = TimeUnit.SECONDS)
    void sighupMakesANewUserAuthenticate() throws Exception {
        Path data = tmp.resolve("data");
        try (LocalProcess local = LocalProcess.start(data, tmp.resolve("node.log"))) {
            assertEquals(401, readAs(local, "carol", "carol-password").statusCode(), "not a user yet");

            UserFiles.addUser(LocalAdmin.usersFile(data), LocalAdmin.rolesFile(data), "carol",
                    "carol-password".toCharArray(), Set.of(Role.READ));
            local.signal("HUP");
            local.awaitLogLine(RELOAD_WAIT, "security reload (SIGHUP): users (users_file "
                    + LocalAdmin.usersFile(data), "reloaded: 2 users");

            HttpResponse<byte[]> r = readAs(local, "carol", "carol-password");
            assertEquals(404, r.statusCode(), "carol is authenticated and may read (the key is absent): "
                    + LocalProcess.body(r));
            assertEquals(200, local.send("GET", "/admin/ranges", (String) null).statusCode(), "admin stays");
            local.stopAndExpectCleanExit();
        }
    }

    private static HttpResponse<byte[]> readAs(LocalProcess local, String user, String password) throws Exception {
        String basic = "Basic " + Base64.getEncoder().encodeToString((user + ":" + password)
                .getBytes(StandardCharsets.UTF_8));
        return local.http.send(HttpRequest.newBuilder(local.uri("/v1/kv/absent")).header("Authorization", basic)
                .timeout(Duration.ofSeconds(30)).build(), HttpResponse.BodyHandlers.ofByteArray());
    }
}
