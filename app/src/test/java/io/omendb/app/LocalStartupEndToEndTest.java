package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;
import static org.junit.jupiter.api.Assertions.fail;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.raft.LocalCluster;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * {@code omendb local} with {@code OMENDB_LOG_FORMAT=json}, as a separate JVM: the URL it prints answers at once
 * ({@code /ready} 200 and a write served on the first try, no retry), and everything it logs on standard error is
 * one JSON object per line.
 */
class LocalStartupEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    /** Generous: on a shared 2-core machine under load, three nodes took 35 s to start. */
    private static final long START_WAIT_MS = 180_000;
    private static final long STOP_WAIT_SECONDS = 30;

    @TempDir
    Path tmp;

    @Test
    void thePrintedUrlServesAtOnceAndTheLogsAreJsonLines() throws Exception {
        int[] ports = LocalCluster.freePorts(2);
        Path out = tmp.resolve("stdout.txt");
        Path err = tmp.resolve("stderr.txt");
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        ProcessBuilder pb = new ProcessBuilder(java, "-Xmx512m", "-cp", System.getProperty("java.class.path"),
                OmenDbCli.class.getName(), "local", "--no-auth", "--data-dir", tmp.resolve("data").toString(),
                "--http-port", Integer.toString(ports[0]), "--metrics-port", Integer.toString(ports[1]))
                .redirectOutput(out.toFile()).redirectError(err.toFile());
        pb.environment().put("OMENDB_LOG_FORMAT", "json");
        pb.environment().remove("OMENDB_LOG_LEVEL");
        Process process = pb.start();
        try {
            awaitUrl(process, out, err);
            HttpClient http = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).build();
            String base = "http://127.0.0.1:" + ports[0];
            HttpResponse<String> ready = http.send(HttpRequest.newBuilder(URI.create(base + "/ready")).build(),
                    HttpResponse.BodyHandlers.ofString());
            assertEquals(200, ready.statusCode(), ready.body());
            HttpResponse<String> put = http.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/first"))
                    .PUT(HttpRequest.BodyPublishers.ofString("v")).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, put.statusCode(), put.body());

            process.destroy(); // SIGTERM
            assertTrue(process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS), "no exit within " + STOP_WAIT_SECONDS
                    + " s");
            assertEquals(0, process.exitValue());
        } finally {
            process.destroyForcibly();
            process.waitFor(STOP_WAIT_SECONDS, TimeUnit.SECONDS);
        }
        List<String> lines = Files.readAllLines(err);
        assertFalse(lines.isEmpty(), "the nodes log their start at info");
        for (String line : lines) {
            JsonNode n = JSON.readTree(line);
            for (String field : List.of("@timestamp", "level", "logger_name", "message")) {
                assertTrue(n.hasNonNull(field), field + " in " + line);
            }
        }
    }

    private static void awaitUrl(Process process, Path out, Path err) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(START_WAIT_MS);
        while (System.nanoTime() < deadline) {
            if (Files.readString(out).contains("HTTP API on")) {
                return;
            }
            if (!process.isAlive()) {
                fail("omendb local exited with " + process.exitValue() + ":\n" + Files.readString(out)
                        + Files.readString(err));
            }
            Thread.sleep(50);
        }
        fail("no URL within " + START_WAIT_MS + " ms:\n" + Files.readString(out));
    }
}
