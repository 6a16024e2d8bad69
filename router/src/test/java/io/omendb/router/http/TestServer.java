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

/**
 * A real {@link HttpApiServer} on a free loopback port over an {@link InMemoryKvBackend}, with a JDK HTTP client
 * and a raw-socket client (for requests java.net.URI refuses to build, such as bad percent-encoding).
 */
final class TestServer implements AutoCloseable {
    static final ObjectMapper JSON = new ObjectMapper();

    final InMemoryKvBackend backend = new InMemoryKvBackend();
    final RouterMetrics metrics = new RouterMetrics(backend::footprint, 1L << 30);
    final HttpApiServer server;
    private final ExecutorService clientExecutor = Executors.newFixedThreadPool(4);
    final HttpClient client = HttpClient.newBuilder().executor(clientExecutor)
            .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();

    TestServer(HttpServerOptions options) throws InterruptedException {
        this(options, ServerGuards.open());
    }

    TestServer(HttpServerOptions options, ServerGuards guards) throws InterruptedException {
        server = HttpApiServer.start(options, guards, backend, metrics, System::nanoTime);
    }

    /** Default options on the given socket transport. */
    TestServer(SocketTransport transport) throws InterruptedException {
        server = HttpApiServer.start(options(64, 5_000, 1 << 20, 64), ServerGuards.open(), backend, null, metrics,
                System::nanoTime, transport);
    }

    TestServer() throws InterruptedException {
        this(SocketTransport.best());
    }

    /** Loopback, a free port, 4 KiB keys, values up to 64 KiB (or the body limit), batches up to 100 ops. */
    static HttpServerOptions options(int maxConcurrentRequests, long maxQueryDurationMs, int maxRequestBodyBytes,
                                     int maxConnections) {
        return new HttpServerOptions("127.0.0.1", 0, 2, maxRequestBodyBytes, 4096,
                Math.min(64 * 1024, maxRequestBodyBytes), 100,
                maxQueryDurationMs, maxConnections, maxConcurrentRequests, maxQueryDurationMs + 10_000);
    }

    URI uri(String pathAndQuery) {
        return URI.create("http://127.0.0.1:" + server.port() + pathAndQuery);
    }

    HttpResponse<byte[]> send(String method, String pathAndQuery, byte[] body) {
        HttpRequest.BodyPublisher publisher = body == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofByteArray(body);
        HttpRequest request = HttpRequest.newBuilder(uri(pathAndQuery)).method(method, publisher)
                .timeout(Duration.ofSeconds(10)).build();
        try {
            return client.send(request, HttpResponse.BodyHandlers.ofByteArray());
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
        try (Socket socket = new Socket("127.0.0.1", server.port())) {
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
        server.close();
        clientExecutor.shutdownNow();
    }
}
