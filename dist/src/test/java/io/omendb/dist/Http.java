package io.omendb.dist;

import java.io.IOException;
import java.io.InputStream;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.TrustManagerFactory;

/**
 * HTTP/1.1 calls to a server the test started, and waiting for a condition with a deadline. {@link #trusting}
 * makes a client for HTTPS servers whose certificates a given CA signed (host names verified, as any client does).
 */
final class Http {
    static final Duration REQUEST_TIMEOUT = Duration.ofSeconds(15);
    private static final long POLL_MS = 200;

    private final HttpClient client;

    /** Plain HTTP (and HTTPS with the JDK's default trust store). */
    Http() {
        this(builder());
    }

    private Http(HttpClient.Builder builder) {
        this.client = builder.build();
    }

    /** A client that trusts exactly the CA certificate in {@code caPem}. */
    static Http trusting(Path caPem) throws IOException {
        try (InputStream in = Files.newInputStream(caPem)) {
            KeyStore trust = KeyStore.getInstance(KeyStore.getDefaultType());
            trust.load(null, null);
            trust.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
            TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
            tmf.init(trust);
            SSLContext tls = SSLContext.getInstance("TLS");
            tls.init(null, tmf.getTrustManagers(), null);
            return new Http(builder().sslContext(tls));
        } catch (GeneralSecurityException e) {
            throw new IOException("cannot trust " + caPem + ": " + e.getMessage(), e);
        }
    }

    private static HttpClient.Builder builder() {
        return HttpClient.newBuilder().version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5));
    }

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
