package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.router.metrics.MetricsEndpoint;
import java.io.InputStream;
import java.net.Socket;
import java.util.List;
import java.util.Set;
import java.util.stream.Collectors;
import org.junit.jupiter.api.Test;

/** Start/stop leaves no threads behind, and idle connections are closed. */
class ServerLifecycleTest {

    @Test
    void closeStopsEveryThreadTheServersStarted() throws Exception {
        Set<Thread> before = Thread.getAllStackTraces().keySet();
        for (int round = 0; round < 2; round++) {
            try (TestServer t = TestServer.start();
                 MetricsEndpoint metrics = MetricsEndpoint.start("127.0.0.1", 0, t.metrics)) {
                assertEquals(200, t.get("/health").statusCode());
                assertTrue(metrics.port() > 0);
            }
        }
        List<String> leftovers = waitForLeftovers(before);
        assertTrue(leftovers.isEmpty(), () -> "threads left running: " + leftovers);
    }

    @Test
    void idleConnectionsAreClosed() throws Exception {
        HttpServerOptions options = new HttpServerOptions("127.0.0.1", 0, 2, 1 << 20, 4096, 1 << 16, 10, 50, 8, 8,
                300);
        try (TestServer t = TestServer.builder().options(options).start(); Socket socket = new Socket("127.0.0.1", t.port())) {
            socket.setSoTimeout(10_000);
            InputStream in = socket.getInputStream();
            long started = System.nanoTime();
            assertEquals(-1, in.read(), "the server closes the silent connection");
            assertTrue(System.nanoTime() - started >= 250_000_000L);
        }
    }

    /**
     * Netty and the metrics server stop their threads asynchronously after close returns at most
     * {@link HttpApiServer#SHUTDOWN_TIMEOUT_MS} later; the JDK HTTP client's selector thread is excluded
     * (Java 17's client cannot be closed).
     */
    private static List<String> waitForLeftovers(Set<Thread> before) throws InterruptedException {
        List<String> leftovers = List.of();
        for (int attempt = 0; attempt < 250; attempt++) {
            leftovers = Thread.getAllStackTraces().keySet().stream()
                    .filter(th -> !before.contains(th) && th.isAlive())
                    .map(Thread::getName)
                    .filter(name -> !name.startsWith("HttpClient-") && !name.startsWith("ForkJoinPool")
                            && !name.startsWith("process reaper"))
                    .collect(Collectors.toList());
            if (leftovers.isEmpty()) {
                return leftovers;
            }
            Thread.sleep(20);
        }
        return leftovers;
    }
}
