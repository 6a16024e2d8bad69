package io.omendb.dist;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.raft.LocalCluster;
import java.io.IOException;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * The tarball as a user gets it: unpacked with tar, run through a symlink to {@code bin/omendb} (as the guide's
 * install does with /usr/local/bin), {@code --version}, a refused environment override (exit 2 naming the key),
 * then {@code omendb local} serving /ready, refusing an unauthenticated PUT, a PUT and a GET with the admin
 * password it printed, {@code bin/omendb-health} passing, and SIGTERM
 * stopping it with exit code 0.
 */
class TarballIT {
    private static final Duration READY_WAIT = Duration.ofSeconds(90);
    private static final long CLI_WAIT_S = 60;
    private static final Pattern ADMIN_PASSWORD = Pattern.compile("created user 'admin' .* with password: (\\S+)");

    @TempDir
    Path tmp;

    private final Http http = new Http();

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void unpackedTarballRunsAndServes() throws Exception {
        Path home = DistPaths.unpackTarball(tmp);
        assertTrue(Files.isExecutable(home.resolve("bin/omendb")), "bin/omendb is not executable");
        assertTrue(Files.isExecutable(home.resolve("bin/omendb-health")), "bin/omendb-health is not executable");
        assertTrue(Files.isRegularFile(home.resolve("conf/omendb.toml")));
        assertTrue(Files.isRegularFile(home.resolve("docs/OPERATIONS.md")));
        try (Stream<Path> lib = Files.list(home.resolve("lib"))) {
            List<String> jars = lib.map(p -> p.getFileName().toString()).toList();
            assertTrue(jars.contains("app-" + DistPaths.version() + ".jar"), jars.toString());
            assertTrue(jars.contains("config-" + DistPaths.version() + ".jar"), jars.toString());
            assertTrue(jars.contains("router-" + DistPaths.version() + ".jar"), jars.toString());
            assertTrue(jars.stream().anyMatch(j -> j.startsWith("ratis-server-")), jars.toString());
        }
        Path binDir = Files.createDirectories(tmp.resolve("usr-local-bin"));
        Path launcher = Files.createSymbolicLink(binDir.resolve("omendb"), home.resolve("bin/omendb"));

        CliResult version = run(List.of(launcher.toString(), "--version"), Map.of());
        assertEquals(0, version.exit, version.output);
        assertEquals("omendb " + DistPaths.version(), version.output.strip());

        CliResult refused = run(List.of(launcher.toString(), "node", "--config", home.resolve("conf/omendb.toml")
                .toString()), Map.of("OMENDB_HTTP_PORT", "eighty"));
        assertEquals(2, refused.exit, refused.output);
        assertTrue(refused.output.contains("http.port (OMENDB_HTTP_PORT)"), refused.output);

        int[] ports = LocalCluster.freePorts(2);
        String base = "http://127.0.0.1:" + ports[0];
        try (ServerProcess local = ServerProcess.start("omendb local", List.of(launcher.toString(), "local",
                "--data-dir", tmp.resolve("data").toString(), "--http-port", Integer.toString(ports[0]),
                "--metrics-port", Integer.toString(ports[1])), Map.of("JAVA_OPTS", "-Xmx384m"), tmp.resolve("local.log"))) {
            http.await200(base + "/ready", READY_WAIT, local);
            assertEquals(401, http.send("PUT", base + "/v1/kv/tarball-key", "x").statusCode(), "auth is on");
            String admin = adminCredentials(Files.readString(tmp.resolve("local.log")));
            HttpResponse<String> put = http.send("PUT", base + "/v1/kv/tarball-key", "tarball-value", admin);
            assertEquals(200, put.statusCode(), put.body());
            HttpResponse<String> get = http.send("GET", base + "/v1/kv/tarball-key", null, admin);
            assertEquals(200, get.statusCode(), get.body());
            assertEquals("tarball-value", get.body());

            CliResult health = run(List.of(home.resolve("bin/omendb-health").toString(), "127.0.0.1",
                    Integer.toString(ports[0]), Integer.toString(ports[1])), Map.of());
            assertEquals(0, health.exit, health.output);
            assertTrue(health.output.contains("ready http://127.0.0.1:" + ports[0] + "/ready -> 200"), health.output);
            local.stop();
        }
        CliResult down = run(List.of(home.resolve("bin/omendb-health").toString(), "127.0.0.1",
                Integer.toString(ports[0]), Integer.toString(ports[1])), Map.of());
        assertEquals(1, down.exit, "health check of a stopped server: " + down.output);
    }

    /** {@code omendb local} prints the generated admin password once, on the first start. */
    private static String adminCredentials(String log) {
        Matcher m = ADMIN_PASSWORD.matcher(log);
        assertTrue(m.find(), "no generated admin password in the log:\n" + log);
        return "admin:" + m.group(1);
    }

    private CliResult run(List<String> command, Map<String, String> env) throws IOException, InterruptedException {
        ProcessBuilder pb = new ProcessBuilder(new ArrayList<>(command)).redirectErrorStream(true);
        pb.environment().putAll(env);
        Process p = pb.start();
        try {
            String out = new String(p.getInputStream().readAllBytes());
            if (!p.waitFor(CLI_WAIT_S, TimeUnit.SECONDS)) {
                throw new AssertionError(command + " did not finish within " + CLI_WAIT_S + " s: " + out);
            }
            return new CliResult(p.exitValue(), out);
        } finally {
            p.destroyForcibly();
        }
    }

    private record CliResult(int exit, String output) {
    }
}
