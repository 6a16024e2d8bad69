package io.omendb.router.http;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.router.metrics.RouterMetrics;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.io.UncheckedIOException;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.time.Duration;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import org.junit.jupiter.api.extension.AfterEachCallback;
import org.junit.jupiter.api.extension.BeforeEachCallback;
import org.junit.jupiter.api.extension.ExtensionContext;

/**
 * The one HTTP test fixture: a real {@link HttpApiServer} on a free loopback port over an {@link InMemoryKvBackend},
 * with a JDK HTTP client and a raw-socket client (for requests java.net.URI refuses to build, such as bad
 * percent-encoding).
 *
 * <p>Two ways to hold one, both configured by {@link #builder()} (defaults: {@link #defaultOptions()}, no
 * authentication or TLS, the best socket transport):
 * <ul>
 *   <li>per test method, as a JUnit extension: {@code @RegisterExtension final TestServer t = TestServer.perTest();}
 *       starts the server before each test (before the class's own {@code @BeforeEach} methods) and closes it after
 *       (after its {@code @AfterEach} methods);</li>
 *   <li>as a resource, when a test needs its own limits or several servers:
 *       {@code try (TestServer t = TestServer.builder().options(...).start()) {...}}.</li>
 * </ul>
 * Not thread-safe to start or close; its clients may be used from any thread while it runs.
 */
final class TestServer implements AutoCloseable, BeforeEachCallback, AfterEachCallback {
    static final ObjectMapper JSON = new ObjectMapper();

    final InMemoryKvBackend backend = new InMemoryKvBackend();
    final RouterMetrics metrics = new RouterMetrics(backend::footprint, 1L << 30);
    private final HttpServerOptions options;
    private final ServerGuards guards;
    private final SocketTransport transport;
    private final ExecutorService clientExecutor = Executors.newFixedThreadPool(4);
    final HttpClient client = HttpClient.newBuilder().executor(clientExecutor)
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
    private HttpApiServer server;

    private TestServer(Builder settings) {
        options = settings.options;
        guards = settings.guards;
        transport = settings.transport;
        backend.scanLimitMax(settings.scanLimitMax);
    }

    static Builder builder() {
        return new Builder();
    }

    /** A default server started before and closed after every test method of the class that registers it. */
    static TestServer perTest() {
        return builder().perTest();
    }

    /** A default server, started now. */
    static TestServer start() throws InterruptedException {
        return builder().start();
    }

    /** What the server is started with; every setting has a default. */
    static final class Builder {
        private HttpServerOptions options = defaultOptions();
        private ServerGuards guards = ServerGuards.open();
        private SocketTransport transport = SocketTransport.best();
        private int scanLimitMax = Integer.MAX_VALUE;

        private Builder() {
        }

        Builder options(HttpServerOptions o) {
            options = o;
            return this;
        }

        /** {@link TestServer#options} with these four limits. */
        Builder limits(int maxConcurrentRequests, long maxQueryDurationMs, int maxRequestBodyBytes,
                       int maxConnections) {
            return options(TestServer.options(maxConcurrentRequests, maxQueryDurationMs, maxRequestBodyBytes,
                    maxConnections));
        }

        Builder guards(ServerGuards g) {
            guards = g;
            return this;
        }

        Builder transport(SocketTransport t) {
            transport = t;
            return this;
        }

        /** The most items the backend accepts in one scan call ({@code [limits] max_scan_limit}). */
        Builder scanLimitMax(int items) {
            scanLimitMax = items;
            return this;
        }

        TestServer start() throws InterruptedException {
            TestServer t = new TestServer(this);
            try {
                t.startServer();
            } catch (InterruptedException | RuntimeException e) {
                t.close();
                throw e;
            }
            return t;
        }

        /** Not started yet: register it with {@code @RegisterExtension} and JUnit starts it before each test. */
        TestServer perTest() {
            return new TestServer(this);
        }
    }

    private void startServer() throws InterruptedException {
        if (server != null) {
            throw new IllegalStateException("already started");
        }
        server = HttpApiServer.start(options, guards, backend, null, metrics, System::nanoTime, transport);
    }

    @Override
    public void beforeEach(ExtensionContext context) throws InterruptedException {
        startServer();
    }

    @Override
    public void afterEach(ExtensionContext context) {
        close();
    }

    /** The running server. */
    HttpApiServer server() {
        if (server == null) {
            throw new IllegalStateException("not started");
        }
        return server;
    }

    int port() {
        return server().port();
    }

    /** Default options: 64 concurrent requests, a 5 s deadline, 1 MiB bodies, 64 connections. */
    static HttpServerOptions defaultOptions() {
        return options(64, 5_000, 1 << 20, 64);
    }

    /** Loopback, a free port, 4 KiB keys, values up to 64 KiB (or the body limit), batches up to 100 ops. */
    static HttpServerOptions options(int maxConcurrentRequests, long maxQueryDurationMs, int maxRequestBodyBytes,
                                     int maxConnections) {
        return new HttpServerOptions("127.0.0.1", 0, 2, maxRequestBodyBytes, 4096,
                Math.min(64 * 1024, maxRequestBodyBytes), 100,
                maxQueryDurationMs, maxConnections, maxConcurrentRequests, maxQueryDurationMs + 10_000);
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + port() + pathAndQuery);
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery, byte[] body) {
        return send(method, pathAndQuery, body, null);
    }

    /** As {@link #send(String, String, byte[])}, with an {@code Authorization} header unless it is null. */
    HttpResponse<byte[]> send(String method, String pathAndQuery, byte[] body, String authorizationOrNull) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        HttpRequest.Builder request = HttpRequest.newBuilder(uri(pathAndQuery)).method(method, publisher)
                .timeout(Duration.ofSeconds(20));
        if (authorizationOrNull != null) {
            request.header("Authorization", authorizationOrNull);
        }
        try {
            return client.send(request.build(), HttpResponse.BodyHandlers.ofByteArray());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IllegalStateException(e);
        }
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery, String body) {
        return send(method, pathAndQuery, body == null ? null : body.getBytes(StandardCharsets.UTF_8));
    }

    HttpResponse<byte[]> get(String pathAndQuery) {
        return send("GET", pathAndQuery, (byte[]) null);
    }

    static JsonNode json(HttpResponse<byte[]> response) {
        try {
            return JSON.readTree(response.body());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String text(HttpResponse<byte[]> response) {
        return new String(response.body(), StandardCharsets.UTF_8);
    }

    /** Sends a body-less request with Connection: close over a raw socket and returns the whole answer. */
    String raw(String method, String target) {
        String request = method + " " + target + " HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Length: 0\r\n"
                + "Connection: close\r\n\r\n";
        try (Socket socket = new Socket("127.0.0.1", port())) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write(request.getBytes(StandardCharsets.ISO_8859_1));
            out.flush();
            return readAll(socket.getInputStream());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    static String readAll(InputStream in) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        in.transferTo(answer);
        return answer.toString(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        if (server != null) {
            server.close();
        }
        clientExecutor.shutdownNow();
    }
}
