package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.raft.TestCertificates;
import io.omendb.config.OmenConfig;
import io.omendb.router.metrics.MetricsEndpoint;
import io.omendb.router.security.RouterSecurity;
import io.omendb.router.security.UserStore;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.net.URI;
import java.net.http.HttpClient;
import java.net.http.HttpRequest;
import java.net.http.HttpResponse;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLHandshakeException;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * TLS on the API and metrics ports, with certificates made at test time by {@code bin/omendb-certs}: HTTPS calls
 * succeed (with Basic credentials), plain HTTP to the TLS port gets no HTTP answer and a closed connection while
 * the server keeps serving, a client that does not trust the CA fails the handshake, and the metrics endpoint
 * serves HTTPS behind Basic authentication.
 */
class TlsApiTest {
    @TempDir
    Path dir;

    @Test
    void httpsApiAndMetricsWorkPlainHttpFailsCleanly() throws Exception {
        TestCertificates.ca(dir);
        TestCertificates.node(dir, "router");
        Files.writeString(dir.resolve("users.htpasswd"), "app:" + UserStore.hash("app-pass-1".toCharArray(), 10) + "\n");
        Files.writeString(dir.resolve("roles.txt"), "app:read,write\n");
        OmenConfig.Security s = new OmenConfig.Security(true, "users.htpasswd", "roles.txt", 60, true, "router.pem",
                "router.key", "ca.pem", true, 0);
        HttpClient trusting = HttpClient.newBuilder().sslContext(trusting(dir.resolve("ca.pem")))
                .version(HttpClient.Version.HTTP_1_1).connectTimeout(Duration.ofSeconds(5)).build();
        try (RouterSecurity security = RouterSecurity.start(s, dir, System::nanoTime);
             TestServer t = TestServer.builder().guards(ServerGuards.open()
                     .withGate(security.gate()).withSsl(security.apiSslContextOrNull())).start();
             MetricsEndpoint metrics = MetricsEndpoint.start("127.0.0.1", 0, t.metrics,
                     security.metricsSslContextOrNull(), security.metricsAuthenticatorOrNull())) {
            String base = "https://127.0.0.1:" + t.port();
            String auth = AuthApiTest.basic("app", "app-pass-1");
            assertEquals(200, trusting.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/tls")).header(
                    "Authorization", auth).PUT(HttpRequest.BodyPublishers.ofString("secret")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> got = trusting.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/tls"))
                    .header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals("secret", got.body());
            assertEquals(401, trusting.send(HttpRequest.newBuilder(URI.create(base + "/v1/kv/tls")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());

            String plainAnswer = plainHttp(t.port());
            assertFalse(plainAnswer.startsWith("HTTP/"), "plain HTTP must not be answered: " + plainAnswer);
            HttpClient jdkDefaults = HttpClient.newBuilder().connectTimeout(Duration.ofSeconds(5)).build();
            assertThrows(SSLHandshakeException.class, () -> jdkDefaults.send(HttpRequest.newBuilder(
                    URI.create(base + "/health")).build(), HttpResponse.BodyHandlers.ofString()),
                    "a client that does not trust the cluster CA");
            assertEquals(200, trusting.send(HttpRequest.newBuilder(URI.create(base + "/health")).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode(), "still serving after the bad clients");

            String metricsUrl = "https://127.0.0.1:" + metrics.port() + "/metrics";
            assertEquals(401, trusting.send(HttpRequest.newBuilder(URI.create(metricsUrl)).build(),
                    HttpResponse.BodyHandlers.ofString()).statusCode());
            HttpResponse<String> scraped = trusting.send(HttpRequest.newBuilder(URI.create(metricsUrl))
                    .header("Authorization", auth).build(), HttpResponse.BodyHandlers.ofString());
            assertEquals(200, scraped.statusCode());
            assertTrue(scraped.body().contains("omendb_refusals_total{reason=\"unauthorized\"} 1.0"), scraped.body());
        }
    }

    /** Sends a plain HTTP request to the TLS port; returns whatever came back before the server closed. */
    private static String plainHttp(int port) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(10_000);
            OutputStream out = socket.getOutputStream();
            out.write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            out.flush();
            InputStream in = socket.getInputStream();
            return new String(in.readAllBytes(), StandardCharsets.ISO_8859_1);
        }
    }

    static SSLContext trusting(Path caPem) throws Exception {
        KeyStore store = KeyStore.getInstance("PKCS12");
        store.load(null, null);
        try (InputStream in = Files.newInputStream(caPem)) {
            store.setCertificateEntry("ca", CertificateFactory.getInstance("X.509").generateCertificate(in));
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance(TrustManagerFactory.getDefaultAlgorithm());
        tmf.init(store);
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(null, tmf.getTrustManagers(), null);
        return context;
    }
}
