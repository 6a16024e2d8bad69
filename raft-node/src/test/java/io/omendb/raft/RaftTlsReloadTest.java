package io.omendb.raft;

import static io.omendb.raft.TestClusters.assertLinearizable;
import static io.omendb.raft.TestClusters.put;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.security.RaftTls;
import io.omendb.raft.security.TlsFileException;
import java.io.IOException;
import java.math.BigInteger;
import java.net.Socket;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import javax.net.ssl.TrustManager;
import javax.net.ssl.X509TrustManager;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.Timeout;
import org.junit.jupiter.api.io.TempDir;

/**
 * Raft's mutual TLS takes a new certificate without a restart: a node's Raft (gRPC, Ratis' BoringSSL) port serves
 * the new certificate to new connections after {@link RaftTls#reload}, checked by its serial in a real handshake;
 * the node keeps serving a client connected before, and a client connecting after; a bad pair is refused and the
 * old certificate is still served.
 */
class RaftTlsReloadTest {
    @TempDir
    Path tmp;

    @Test
    @Timeout(value = 180, unit = TimeUnit.SECONDS)
    void aReloadedCertificateIsServedOnTheRaftPortAndTheNodeKeepsServing() throws Exception {
        Path certs = tmp.resolve("certs");
        TestCertificates.ca(certs);
        TestCertificates.node(certs, "first");
        TestCertificates.node(certs, "second");
        install(certs, "first", "first");
        BigInteger first = TestCertificates.serial(certs.resolve("first.pem"));
        BigInteger second = TestCertificates.serial(certs.resolve("second.pem"));
        assertNotEquals(first, second);
        try (LocalCluster cluster = LocalCluster.start(tmp.resolve("data"), 1, 1, TestClusters.template(""),
                (id, c) -> c.withSecurity(TestClusters.tls(c.security(), certs)))) {
            String raftAddress = cluster.configOf("n1").cluster().self().raftAddress();
            RaftTls tls = cluster.node("n1").tlsOrNull();
            assertEquals(first, servedSerial(raftAddress, certs));
            try (ClusterClient before = cluster.newClient("n1")) {
                before.awaitRangeTable(Duration.ofSeconds(60));
                assertTrue(put(before, "a", "1") > 0);

                install(certs, "second", "second");
                assertTrue(tls.reload().contains("serial " + second.toString(16)));

                assertEquals(second, servedSerial(raftAddress, certs), "new Raft connections get the new certificate");
                assertTrue(put(before, "b", "2") > 0, "a client connected before keeps working");
                try (ClusterClient after = cluster.newClient("n1")) {
                    after.awaitRangeTable(Duration.ofSeconds(60));
                    assertTrue(put(after, "c", "3") > 0, "a client connecting after the reload works");
                    assertLinearizable(after, "a", "1");
                }
            }

            install(certs, "first", "second");
            TlsFileException refused = assertThrows(TlsFileException.class, tls::reload);
            assertTrue(refused.getMessage().contains("does not match the private key"), refused.getMessage());
            assertEquals(second, servedSerial(raftAddress, certs), "the old certificate is still served");
        }
    }

    private static void install(Path dir, String certOf, String keyOf) throws IOException {
        Files.copy(dir.resolve(certOf + ".pem"), dir.resolve("node.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve(keyOf + ".key"), dir.resolve("node.key"), StandardCopyOption.REPLACE_EXISTING);
    }

    /**
     * The serial of the certificate the Raft port presents to a new TLS connection. The test client presents a
     * certificate of the cluster CA (mutual TLS) and records the server's chain as it is checked.
     */
    private static BigInteger servedSerial(String raftAddress, Path certs) throws Exception {
        AtomicReference<X509Certificate> served = new AtomicReference<>();
        X509TrustManager recording = new X509TrustManager() {
            @Override
            public void checkClientTrusted(X509Certificate[] chain, String authType) {
                throw new UnsupportedOperationException("client side only");
            }

            @Override
            public void checkServerTrusted(X509Certificate[] chain, String authType) {
                served.set(chain[0]);
            }

            @Override
            public X509Certificate[] getAcceptedIssuers() {
                return new X509Certificate[0];
            }
        };
        KeyManager clientKey = RaftTls.load(certs.resolve("first.pem"), certs.resolve("first.key"),
                certs.resolve("ca.pem"), Clock.systemUTC()).keyManager();
        SSLContext context = SSLContext.getInstance("TLS");
        context.init(new KeyManager[] {clientKey}, new TrustManager[] {recording}, null);
        int colon = raftAddress.lastIndexOf(':');
        String host = raftAddress.substring(0, colon);
        int port = Integer.parseInt(raftAddress.substring(colon + 1));
        try (Socket plain = new Socket(host, port);
             SSLSocket socket = (SSLSocket) context.getSocketFactory().createSocket(plain, host, port, true)) {
            socket.setSoTimeout(10_000);
            socket.startHandshake();
        }
        return served.get().getSerialNumber();
    }
}
