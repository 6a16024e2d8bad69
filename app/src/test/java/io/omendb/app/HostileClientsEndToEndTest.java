package io.omendb.app;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import com.fasterxml.jackson.databind.JsonNode;
import com.fasterxml.jackson.databind.ObjectMapper;
import io.omendb.raft.LocalCluster;
import io.omendb.raft.TestCertificates;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.Results;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.router.cluster.DiskFootprint;
import io.omendb.router.security.UserStore;
import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.net.Socket;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.KeyStore;
import java.security.cert.CertificateFactory;
import java.time.Duration;
import java.util.ArrayList;
import java.util.Base64;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManagerFactory;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Hostile clients against a running 3-node cluster with its router, everything on (authentication, HTTPS, Raft
 * mutual TLS): malformed requests, oversized bodies and keys, invalid percent-encoding, UTF-8, JSON and base64,
 * a slow client, plain HTTP and truncated TLS handshakes on the TLS port. Every HTTP answer must be a 4xx/5xx
 * JSON error with a message; afterwards the router still serves and every range's replica digest is unchanged.
 */
class HostileClientsEndToEndTest {
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final long READ_TIMEOUT_MS = 1_500;
    /** How long seed writes keep retrying while the fresh cluster elects its leaders. */
    private static final long SEED_WINDOW_MS = 60_000;

    @TempDir
    Path tmp;

    private SSLContext tls;
    private int port;
    private String auth;

    @Test
    @Timeout(value = 240, unit = TimeUnit.SECONDS)
    void hostileInputGetsErrorsAndChangesNothing() throws Exception {
        Path certs = tmp.resolve("certs");
        TestCertificates.ca(certs);
        TestCertificates.node(certs, "node");
        Files.writeString(certs.resolve("users"), "app:" + UserStore.hash("app-pass-1".toCharArray(), 10) + "\n");
        Files.writeString(certs.resolve("roles"), "app:read,write,admin\n");
        OmenConfig template = ConfigLoader.parse("""
                [database]
                name = "hostile"
                [storage]
                fsync_enabled = false
                [security]
                users_file = "%1$s/users"
                roles_file = "%1$s/roles"
                tls_enabled = true
                tls_cert_file = "%1$s/node.pem"
                tls_key_file = "%1$s/node.key"
                tls_ca_file = "%1$s/ca.pem"
                [limits]
                max_key_size_bytes = 64
                max_value_size_bytes = 1024
                max_insert_batch_size = 10
                request_read_timeout_ms = %2$d
                [cluster]
                initial_split_points = ["m"]
                """.formatted(certs, READ_TIMEOUT_MS), Map.of());
        tls = trusting(certs.resolve("ca.pem"));
        auth = "Basic " + Base64.getEncoder().encodeToString("app:app-pass-1".getBytes(StandardCharsets.UTF_8));
        int metricsPort = LocalCluster.freePorts(1)[0];
        try (LocalCluster cluster = LocalCluster.start(tmp.resolve("data"), 3, 3, template,
                (id, c) -> c.withMonitoring(new OmenConfig.Monitoring(id.equals("n1"), "127.0.0.1", metricsPort)));
             RouterService router = RouterService.start(cluster.configOf("n1"),
                     ClientOptions.from(cluster.configOf("n1")), DiskFootprint.none());
             ClusterClient client = cluster.newClient("n1")) {
            port = router.httpPort();
            List<RangeDescriptor> ranges = client.awaitRangeTable(Duration.ofSeconds(60)).ranges();
            for (String k : List.of("apple", "kiwi", "pear", "zebra")) {
                assertEquals(200, seed(k), k);
            }
            Map<String, byte[]> before = digests(client, ranges, cluster);

            List<String> answers = new ArrayList<>();
            answers.add(raw("GARBAGE\r\n\r\n"));
            answers.add(raw("GET /v1/kv/apple HTTP/9.9\r\nHost: x\r\n\r\n"));
            answers.add(raw("GET /v1/kv/apple HTTP/1.1\r\nno colon header\r\n\r\n"));
            answers.add(raw("GET relative HTTP/1.1\r\nHost: x\r\n\r\n"));
            answers.add(request("PUT /v1/kv/%zz", "x"));
            answers.add(request("PUT /v1/kv/ok%e2%8", "x"));
            answers.add(request("GET /v1/scan?start=%&limit=1", null));
            answers.add(request("PUT /v1/kv/" + "k".repeat(65), "x"));
            answers.add(request("PUT /v1/kv/big", "x".repeat(1025)));
            answers.add(request("PUT /v1/kv/huge", "x".repeat(9 << 20)));
            answers.add(request("PUT /v1/kv/b64?encoding=base64", "!!!"));
            answers.add(request("POST /v1/batch", "{\"ops\":[" + "{\"op\":\"put\",\"key\":\"a\",\"value\":\"b\"},"
                    .repeat(10) + "{\"op\":\"put\",\"key\":\"a\",\"value\":\"b\"}]}"));
            answers.add(requestBytes("POST /v1/batch", new byte[] {'{', '"', 'o', 'p', 's', '"', ':', '[', '"',
                    (byte) 0xff, (byte) 0xfe, '"', ']', '}'}));
            answers.add(request("POST /v1/cas/apple", "{\"expected\":\"v-apple\",\"value\":"));
            answers.add(request("POST /v1/batch", "[".repeat(100_000)));
            answers.add(request("DELETE /v1/kv/apple?surprise=1", null));
            answers.add(slowClient());
            for (String answer : answers) {
                int status = status(answer);
                assertTrue(status >= 400 && status < 600, answer);
                JsonNode body = JSON.readTree(answer.substring(answer.indexOf("\r\n\r\n") + 4));
                assertFalse(body.path("error").asText().isEmpty(), answer);
                assertFalse(body.path("message").asText().isEmpty(), answer);
            }
            assertEquals(408, status(answers.get(answers.size() - 1)), "slow client");

            assertEquals("", plainHttpOnTlsPort(), "plain HTTP on the TLS port gets no HTTP answer");
            truncatedHandshake(new byte[] {0x16, 0x03, 0x01, 0x02, 0x00, 0x01, 0x00, 0x01, (byte) 0xfc, 0x03});
            truncatedHandshake(new byte[] {0x16, 0x03});
            truncatedHandshake(new byte[] {(byte) 0x80, 0x7f, 0x01, 0x03, 0x01});

            assertEquals(200, status(request("GET /health", null)), "the router still serves");
            assertTrue(request("GET /v1/kv/apple", null).endsWith("v-apple"));
            assertEquals(404, status(request("GET /v1/kv/slow", null)), "the slow client's write never happened");
            Map<String, byte[]> after = digests(client, ranges, cluster);
            assertEquals(before.keySet(), after.keySet());
            for (String replica : before.keySet()) {
                assertArrayEquals(before.get(replica), after.get(replica), "digest of " + replica);
            }
        }
    }

    /** Replica digest of every range on every node, at an index covering the baseline writes. */
    private static Map<String, byte[]> digests(ClusterClient client, List<RangeDescriptor> ranges,
                                               LocalCluster cluster) throws Exception {
        Map<String, byte[]> out = new LinkedHashMap<>();
        for (RangeDescriptor r : ranges) {
            long applied = client.admin().rangeStatus(r.rangeId()).get(60, TimeUnit.SECONDS).replicas().stream()
                    .mapToLong(Results.ReplicaStatus::appliedIndex).max().orElseThrow();
            for (String node : r.peerIds()) {
                out.put(r.rangeId() + "@" + node, client.admin().replicaDigest(r.rangeId(), node, applied)
                        .get(60, TimeUnit.SECONDS).sha256());
            }
        }
        assertEquals(2 * Math.min(3, cluster.nodeIds().size()), out.size());
        return out;
    }

    private String request(String methodAndTarget, String bodyOrNull) throws IOException {
        return requestBytes(methodAndTarget, bodyOrNull == null ? null : bodyOrNull.getBytes(StandardCharsets.UTF_8));
    }

    private String requestBytes(String methodAndTarget, byte[] bodyOrNull) throws IOException {
        byte[] body = bodyOrNull == null ? new byte[0] : bodyOrNull;
        String head = methodAndTarget + " HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + auth
                + "\r\nConnection: close\r\nContent-Length: " + body.length + "\r\n\r\n";
        ByteArrayOutputStream request = new ByteArrayOutputStream();
        request.write(head.getBytes(StandardCharsets.ISO_8859_1));
        request.write(body);
        return exchange(request.toByteArray(), false);
    }

    private String raw(String request) throws IOException {
        return exchange(request.getBytes(StandardCharsets.ISO_8859_1), false);
    }

    /** Sends headers one byte at a time, slower than the read timeout allows; expects 408. */
    private String slowClient() throws IOException {
        return exchange(("PUT /v1/kv/slow HTTP/1.1\r\nHost: 127.0.0.1\r\nAuthorization: " + auth
                + "\r\nContent-Length: 1\r\n\r\nx").getBytes(StandardCharsets.ISO_8859_1), true);
    }

    private String exchange(byte[] request, boolean trickle) throws IOException {
        try (SSLSocket socket = (SSLSocket) tls.getSocketFactory().createSocket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            OutputStream out = socket.getOutputStream();
            if (trickle) {
                long pauseMs = 2 * READ_TIMEOUT_MS / 10;
                try {
                    for (int i = 0; i < request.length; i++) {
                        out.write(request[i]);
                        out.flush();
                        Thread.sleep(pauseMs);
                    }
                } catch (IOException closedByServer) {
                    // expected: the server gave up on us mid-request
                } catch (InterruptedException e) {
                    Thread.currentThread().interrupt();
                    throw new IOException(e);
                }
            } else {
                try {
                    out.write(request);
                    out.flush();
                } catch (IOException closedByServer) {
                    // an oversized body: the server answered and closed before reading all of it
                }
            }
            return readAnswer(socket.getInputStream());
        }
    }

    private static String readAnswer(InputStream in) throws IOException {
        ByteArrayOutputStream answer = new ByteArrayOutputStream();
        byte[] buf = new byte[8192];
        try {
            for (int n; (n = in.read(buf)) > 0; ) {
                answer.write(buf, 0, n);
            }
        } catch (IOException reset) {
            // a reset after the answer (the server closed with unread request bytes) keeps what arrived
        }
        return answer.toString(StandardCharsets.UTF_8);
    }

    private String plainHttpOnTlsPort() throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.setSoTimeout(30_000);
            socket.getOutputStream().write("GET /health HTTP/1.1\r\nHost: x\r\n\r\n".getBytes(StandardCharsets.US_ASCII));
            String answer = readAnswer(socket.getInputStream());
            return answer.startsWith("HTTP/") ? answer : "";
        }
    }

    private void truncatedHandshake(byte[] prefix) throws IOException {
        try (Socket socket = new Socket("127.0.0.1", port)) {
            socket.getOutputStream().write(prefix);
            socket.getOutputStream().flush();
        }
    }

    private static int status(String answer) {
        assertTrue(answer.startsWith("HTTP/1.1 "), "not an HTTP answer: " + answer);
        return Integer.parseInt(answer.substring(9, 12));
    }

    private static SSLContext trusting(Path caPem) throws Exception {
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

    /**
     * Writes a seed key, retrying while the fresh cluster answers 503 (a range without a ready leader yet: the
     * write did not commit, so repeating it is safe); at most {@code SEED_WINDOW_MS}.
     */
    private int seed(String key) throws Exception {
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(SEED_WINDOW_MS);
        while (true) {
            int status = status(request("PUT /v1/kv/" + key, "v-" + key));
            if (status != 503 || System.nanoTime() > deadline) {
                return status;
            }
            Thread.sleep(200);
        }
    }
}
