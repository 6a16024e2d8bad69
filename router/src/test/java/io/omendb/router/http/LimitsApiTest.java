package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static io.omendb.router.http.ApiAssertions.assertRawError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.SocketException;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import org.junit.jupiter.api.Test;

/** Every limit of {@link HttpServerOptions} enforced, each with its error. */
class LimitsApiTest {

    @Test
    void oversizedBodyGetsJson413AndTheConnectionStaysUsable() throws Exception {
        try (TestServer t = TestServer.builder().limits(8, 5_000, 1024, 8).start()) {
            assertError(t.send("PUT", "/v1/kv/big", new byte[4096]), 413, "body_too_large");
            assertError(t.send("POST", "/v1/batch", "{\"ops\": [" + " ".repeat(2000) + "]}"), 413, "body_too_large");
            assertEquals(0, t.backend.calls());
            assertEquals(200, t.send("PUT", "/v1/kv/small", new byte[1024]).statusCode());
        }
    }

    @Test
    void requestsBeyondMaxConcurrentGet429WithRetryAfterButProbesPass() throws Exception {
        try (TestServer t = TestServer.builder().limits(2, 10_000, 1 << 20, 16).start()) {
            CompletableFuture<Void> gate = t.backend.holdAnswers();
            CompletableFuture<HttpResponse<byte[]>> first = t.client.sendAsync(
                    HttpRequest.newBuilder(t.uri("/v1/kv/a")).build(), HttpResponse.BodyHandlers.ofByteArray());
            CompletableFuture<HttpResponse<byte[]>> second = t.client.sendAsync(
                    HttpRequest.newBuilder(t.uri("/v1/kv/b")).build(), HttpResponse.BodyHandlers.ofByteArray());
            awaitCalls(t.backend, 2);
            HttpResponse<byte[]> refused = t.get("/v1/kv/c");
            assertError(refused, 429, "too_many_requests");
            assertEquals("1", refused.headers().firstValue("retry-after").orElseThrow());
            assertEquals(200, t.get("/health").statusCode());
            gate.complete(null);
            assertEquals(404, first.get(10, TimeUnit.SECONDS).statusCode());
            assertEquals(404, second.get(10, TimeUnit.SECONDS).statusCode());
            assertError(t.get("/v1/kv/c"), 404, "not_found");
        }
    }

    @Test
    void backendThatNeverAnswersGives504AtTheDeadline() throws Exception {
        try (TestServer t = TestServer.builder().limits(8, 200, 1 << 20, 8).start()) {
            t.backend.holdAnswers();
            long started = System.nanoTime();
            assertError(t.get("/v1/kv/a"), 504, "timeout");
            assertTrue(System.nanoTime() - started >= TimeUnit.MILLISECONDS.toNanos(200));
            assertError(t.send("PUT", "/v1/kv/a", "v"), 504, "timeout");
            assertError(t.get("/v1/scan"), 504, "timeout");
            assertEquals(200, t.get("/health").statusCode(), "the connection and the server stay usable");
        }
    }

    @Test
    void connectionsBeyondMaxConnectionsAreClosed() throws Exception {
        try (TestServer t = TestServer.builder().limits(8, 5_000, 1 << 20, 1).start()) {
            try (Socket first = new Socket("127.0.0.1", t.port())) {
                first.setSoTimeout(10_000);
                String answer = keepAliveHealth(first);
                assertTrue(answer.startsWith("HTTP/1.1 200 "), answer);
                try (Socket second = new Socket("127.0.0.1", t.port())) {
                    second.setSoTimeout(10_000);
                    assertTrue(isClosedByPeer(second.getInputStream()));
                }
            }
            assertTrue(retryHealth(t), "a slot frees once a connection closes");
        }
    }

    @Test
    void overlongRequestLineGets414() throws Exception {
        try (TestServer t = TestServer.start()) {
            assertRawError(t.raw("GET", "/v1/kv/" + "k".repeat(40_000)), 414, "uri_too_long");
        }
    }

    private static String keepAliveHealth(Socket socket) throws IOException {
        OutputStream out = socket.getOutputStream();
        out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.ISO_8859_1));
        out.flush();
        byte[] buffer = new byte[4096];
        int n = socket.getInputStream().read(buffer);
        return new String(buffer, 0, n, StandardCharsets.ISO_8859_1);
    }

    private static boolean isClosedByPeer(InputStream in) throws IOException {
        try {
            return in.read() == -1;
        } catch (SocketException reset) {
            return true;
        }
    }

    /** The first connection's close is seen by the server asynchronously: retry for a bounded time. */
    private static boolean retryHealth(TestServer t) throws InterruptedException {
        for (int attempt = 0; attempt < 100; attempt++) {
            try {
                if (t.raw("GET", "/health").startsWith("HTTP/1.1 200 ")) {
                    return true;
                }
            } catch (RuntimeException closed) {
                // refused while the old connection is still counted
            }
            Thread.sleep(20);
        }
        return false;
    }

    private static void awaitCalls(InMemoryKvBackend backend, int calls) throws InterruptedException {
        for (int attempt = 0; attempt < 500 && backend.calls() < calls; attempt++) {
            Thread.sleep(10);
        }
        assertEquals(calls, backend.calls());
    }
}
