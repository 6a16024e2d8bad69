package io.omendb.router.http;

import static io.omendb.router.http.ApiAssertions.assertError;
import static io.omendb.router.http.ApiAssertions.assertRawError;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.prometheus.metrics.model.snapshots.CounterSnapshot;
import java.io.IOException;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/**
 * The limits of {@link ServerGuards}: the memory limit refuses writes (503) while reads keep working, the request
 * read timeout answers a slow client 408 and closes, and every refusal is counted in
 * {@code omendb_refusals_total} under its error code.
 */
class GuardLimitsApiTest {

    @Test
    void overTheMemoryLimitWritesGet503ReadsStillWork() throws Exception {
        AtomicBoolean admitted = new AtomicBoolean(true);
        try (TestServer t = TestServer.builder().limits(8, 5_000, 1 << 20, 8)
                .guards(ServerGuards.open().withWritesAdmitted(admitted::get)).start()) {
            assertEquals(200, t.send("PUT", "/v1/kv/a", "1").statusCode());
            admitted.set(false);
            assertError(t.send("PUT", "/v1/kv/b", "2"), 503, "memory_limit");
            assertError(t.send("POST", "/v1/batch", "{\"ops\":[{\"op\":\"delete\",\"key\":\"a\"}]}"), 503,
                    "memory_limit");
            assertEquals("1", TestServer.text(t.get("/v1/kv/a")), "reads keep working");
            assertEquals(404, t.get("/v1/kv/b").statusCode(), "the refused write changed nothing");
            admitted.set(true);
            assertEquals(200, t.send("PUT", "/v1/kv/b", "2").statusCode());
            assertEquals(2.0, refusals(t, "memory_limit"));
        }
    }

    @Test
    void memoryLimitIgnoresGarbageButNotLiveData() {
        AtomicLong used = new AtomicLong();
        AtomicLong afterGc = new AtomicLong();
        AtomicInteger collections = new AtomicInteger();
        MemoryLimit limit = new MemoryLimit(1000, used::get, afterGc::get, collections::incrementAndGet, () -> 0);
        used.set(900);
        assertTrue(limit.getAsBoolean());
        used.set(1500);
        afterGc.set(200);
        assertTrue(limit.getAsBoolean(), "over the limit only by garbage the next GC frees");
        afterGc.set(1100);
        assertFalse(limit.getAsBoolean(), "live data over the limit");
        used.set(950);
        assertTrue(limit.getAsBoolean(), "a collection brought it back under");
        assertTrue(MemoryLimit.ofHeap(Long.MAX_VALUE).limitBytes() <= Runtime.getRuntime().maxMemory());
    }

    /** An idle node refusing writes allocates nothing; without a requested collection its reading never drops. */
    @Test
    void refusingWritesRequestsACollectionAtMostOncePerInterval() {
        AtomicLong nanos = new AtomicLong(5);
        AtomicInteger collections = new AtomicInteger();
        MemoryLimit limit = new MemoryLimit(1000, () -> 1500, () -> 1200, collections::incrementAndGet, nanos::get);
        assertFalse(limit.getAsBoolean());
        assertEquals(1, collections.get(), "the first refusal asks for a collection");
        for (int i = 0; i < 100; i++) {
            assertFalse(limit.getAsBoolean());
        }
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(MemoryLimit.COLLECT_INTERVAL_MS - 1));
        assertFalse(limit.getAsBoolean());
        assertEquals(1, collections.get(), "not again within the interval");
        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(1));
        assertFalse(limit.getAsBoolean());
        assertEquals(2, collections.get(), "again once the interval passed");
        MemoryLimit garbageOnly = new MemoryLimit(1000, () -> 1500, () -> 200, collections::incrementAndGet, nanos::get);
        assertTrue(garbageOnly.getAsBoolean());
        assertEquals(2, collections.get(), "garbage alone admits writes and asks for nothing");
    }

    @Test
    void slowClientGets408AndIsClosedOthersAreServed() throws Exception {
        try (TestServer t = TestServer.builder().limits(8, 5_000, 1 << 20, 8)
                .guards(ServerGuards.open().withRequestReadTimeoutMs(300)).start()) {
            String answer;
            try (Socket socket = new Socket("127.0.0.1", t.port())) {
                socket.setSoTimeout(10_000);
                OutputStream out = socket.getOutputStream();
                byte[] request = "PUT /v1/kv/slow HTTP/1.1\r\nHost: x\r\nContent-Length: 1\r\n\r\nv"
                        .getBytes(StandardCharsets.US_ASCII);
                try {
                    for (byte b : request) {
                        out.write(b);
                        out.flush();
                        Thread.sleep(50);
                    }
                } catch (IOException closedByServer) {
                    // expected once the 300 ms are up
                }
                answer = TestServer.readAll(socket.getInputStream());
            }
            assertRawError(answer, 408, "request_timeout");
            assertEquals(404, t.get("/v1/kv/slow").statusCode(), "the slow request was never served");
            assertEquals(200, t.send("PUT", "/v1/kv/fast", "v").statusCode(), "whole requests are served");
            assertEquals(1.0, refusals(t, "request_timeout"));
        }
    }

    private static double refusals(TestServer t, String reason) {
        return t.metrics.prometheusRegistry().scrape().stream()
                .filter(s -> s.getMetadata().getName().equals("omendb_refusals"))
                .flatMap(s -> ((CounterSnapshot) s).getDataPoints().stream())
                .filter(d -> d.getLabels().get("reason").equals(reason))
                .mapToDouble(CounterSnapshot.CounterDataPointSnapshot::getValue).sum();
    }
}
