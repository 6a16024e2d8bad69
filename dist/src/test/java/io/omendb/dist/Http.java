package io.omendb.dist;

import java.io.IOException;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.time.Duration;

/** Plain HTTP/1.1 calls to a server the test started, and waiting for a condition with a deadline. */
final class Http {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final long POLL_MS = 200;

    private final HttpClient client = HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1)
            .connectTimeout(Duration.ofSeconds(5)).build();

    HttpResponse<String> send(String method, String url, String bodyOrNull) throws IOException, InterruptedException {
        return send(method, url, bodyOrNull, null);
    }

    /** With HTTP Basic credentials {@code user:password} unless null. */
    HttpResponse<String> send(String method, String url, String bodyOrNull, String basicAuthOrNull)
            throws IOException, InterruptedException {
        HttpRequest.BodyPublisher body = bodyOrNull == null ? HttpRequest.BodyPublishers.noBody()
                : HttpRequest.BodyPublishers.ofString(bodyOrNull);
        HttpRequest.Builder b = HttpRequest.newBuilder(URI.create(url)).method(method, body).timeout(REQUEST_TIMEOUT);
        if (basicAuthOrNull != null) {
            b.header("Authorization", "Basic " + java.util.Base64.getEncoder().encodeToString(
                    basicAuthOrNull.getBytes(java.nio.charset.StandardCharsets.UTF_8)));
        }
        return client.send(b.build(), HttpResponse.BodyHandlers.ofString());
    }

    /** Status of GET url, or -1 when nothing answers. */
    int status(String url) throws InterruptedException {
        try {
            return send("GET", url, null).statusCode();
        } catch (IOException notListening) {
            return -1;
        }
    }

    /** Polls until {@code url} answers 200; fails with {@code why} (e.g. a process log) after {@code timeout}. */
    void await200(String url, Duration timeout, ServerProcess... mustStayAlive) throws InterruptedException {
        await(() -> status(url) == 200, timeout, url + " did not answer 200", mustStayAlive);
    }

    static void await(InterruptibleCondition condition, Duration timeout, String what, ServerProcess... mustStayAlive)
            throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        while (System.nanoTime() < deadline) {
            for (ServerProcess p : mustStayAlive) {
                p.assertAlive();
            }
            if (condition.holds()) {
                return;
            }
            Thread.sleep(POLL_MS);
        }
        StringBuilder logs = new StringBuilder();
        for (ServerProcess p : mustStayAlive) {
            logs.append('\n').append(p.logTail());
        }
        throw new AssertionError(what + " within " + timeout + logs);
    }

    /** A condition that may block on I/O. */
    interface InterruptibleCondition {
        boolean holds() throws InterruptedException;
    }
}
