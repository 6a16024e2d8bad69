package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

import io.omendb.config.OmenConfig;
import io.omendb.raft.TestCertificates;
import io.omendb.router.metrics.MetricsEndpoint;
import io.omendb.router.security.RouterSecurity;
import io.omendb.router.security.SecurityFileException;
import io.omendb.router.security.SecurityReloader;
import io.omendb.router.security.UserStore;
import java.io.IOException;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.security.cert.X509Certificate;
import java.time.Clock;
import java.time.Duration;
import java.time.Instant;
import java.time.ZoneOffset;
import java.util.List;
import java.util.concurrent.TimeUnit;
import javax.net.ssl.SSLContext;
import javax.net.ssl.SSLSocket;
import org.junit.jupiter.api.BeforeEach;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

/**
 * Reloading the TLS certificate and key while the API and metrics servers run, checked by the certificate served
 * in real TLS handshakes on free ports: a good new pair is served to new connections (a connection made before
 * keeps its certificate), and a bad pair (key of another certificate, expired by the injected clock, from another
 * CA than {@code tls_ca_file}, without clientAuth) is refused with the reason while the old certificate is still
 * served. The same checks refuse a
 * start. Certificates come from {@code bin/omendb-certs}, the bad one from openssl as an operator might misuse it.
 */
class TlsReloadApiTest {
    @TempDir
    Path dir;
    private final MovableClock wallClock = new MovableClock(Instant.now());

    @BeforeEach
    void certificates() throws Exception {
        TestCertificates.ca(dir);
        TestCertificates.node(dir, "first");
        TestCertificates.node(dir, "second");
        Files.writeString(dir.resolve("users.htpasswd"), "app:" + UserStore.hash("app-pass-1".toCharArray(), 10)
                + "\n");
        Files.writeString(dir.resolve("roles.txt"), "app:read\n");
        install("first");
    }

    @Test
    void aNewPairIsServedToNewConnectionsABadOneIsRefusedAndTheOldOneStays() throws Exception {
        BigInteger first = serial("first");
        BigInteger second = serial("second");
        assertNotEquals(first, second);
        try (RouterSecurity security = RouterSecurity.start(config(), dir, System::nanoTime, wallClock);
             TestServer t = TestServer.builder().guards(ServerGuards.open().withGate(security.gate())
                     .withSsl(security.apiSslContextOrNull())).start();
             MetricsEndpoint metrics = MetricsEndpoint.start("127.0.0.1", 0, t.metrics,
                     security.metricsSslContextOrNull(), security.metricsAuthenticatorOrNull())) {
            assertEquals(first, servedSerial(t.port()));
            assertEquals(first, servedSerial(metrics.port()));
            try (SSLSocket before = handshake(t.port())) {
                install("second");
                List<SecurityReloader.Outcome> outcomes = security.reloader().checkForChanges();
                assertEquals(1, outcomes.size(), outcomes.toString());
                assertTrue(outcomes.get(0).applied(), outcomes.toString());
                assertTrue(outcomes.get(0).message().contains("serial " + second.toString(16)), outcomes.toString());

                assertEquals(second, servedSerial(t.port()), "new API connections get the new certificate");
                assertEquals(second, servedSerial(metrics.port()), "so do new metrics connections");
                assertEquals(first, ((X509Certificate) before.getSession().getPeerCertificates()[0])
                        .getSerialNumber(), "an established connection keeps its certificate");
            }

            Files.copy(dir.resolve("first.pem"), dir.resolve("tls.pem"), StandardCopyOption.REPLACE_EXISTING);
            assertRefused(security, "does not match the private key in security.tls_key_file");
            assertEquals(second, servedSerial(t.port()), "the old pair is still served");

            TestCertificates.node(dir, "third");
            install("third");
            wallClock.now = wallClock.now.plus(Duration.ofDays(400));
            assertRefused(security, "expired on");
            assertEquals(second, servedSerial(t.port()));
            assertEquals(second, servedSerial(metrics.port()));
            wallClock.now = Instant.now();

            Path otherCa = dir.resolve("other-ca");
            TestCertificates.ca(otherCa);
            TestCertificates.node(otherCa, "foreign");
            Files.copy(otherCa.resolve("foreign.pem"), dir.resolve("tls.pem"), StandardCopyOption.REPLACE_EXISTING);
            Files.copy(otherCa.resolve("foreign.key"), dir.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
            assertRefused(security, "is not signed by a CA in security.tls_ca_file");
            assertEquals(second, servedSerial(t.port()));

            serverOnlyCertificate("serveronly");
            install("serveronly");
            assertRefused(security, "lacks extended key usage serverAuth and clientAuth");
            assertEquals(second, servedSerial(t.port()));

            install("third");
            assertTrue(security.reloader().reloadAll("SIGHUP").get(0).applied());
            assertEquals(serial("third"), servedSerial(t.port()));
        }
    }

    @Test
    void theSameChecksRefuseAStart() throws Exception {
        Files.copy(dir.resolve("second.pem"), dir.resolve("tls.pem"), StandardCopyOption.REPLACE_EXISTING);
        SecurityFileException e = assertThrows(SecurityFileException.class,
                () -> RouterSecurity.start(config(), dir, System::nanoTime, wallClock));
        assertTrue(e.getMessage().contains("does not match the private key"), e.getMessage());
    }

    private void assertRefused(RouterSecurity security, String reason) {
        List<SecurityReloader.Outcome> outcomes = security.reloader().checkForChanges();
        assertEquals(1, outcomes.size(), outcomes.toString());
        assertFalse(outcomes.get(0).applied(), outcomes.toString());
        assertTrue(outcomes.get(0).message().contains(reason), outcomes.get(0).message());
        assertTrue(outcomes.get(0).message().contains(dir.resolve("tls.pem").toString()), "names the file");
    }

    private OmenConfig.Security config() {
        return new OmenConfig.Security(true, "users.htpasswd", "roles.txt", 60, true, "tls.pem", "tls.key", "ca.pem",
                true, 0);
    }

    /** Copies {@code name.pem} and {@code name.key} to the files the config names (a rotation as operators do it). */
    private void install(String name) throws IOException {
        Files.copy(dir.resolve(name + ".pem"), dir.resolve("tls.pem"), StandardCopyOption.REPLACE_EXISTING);
        Files.copy(dir.resolve(name + ".key"), dir.resolve("tls.key"), StandardCopyOption.REPLACE_EXISTING);
    }

    private BigInteger serial(String name) throws Exception {
        return TestCertificates.serial(dir.resolve(name + ".pem"));
    }

    /** The serial of the certificate a new TLS connection to {@code port} is served. */
    private BigInteger servedSerial(int port) throws Exception {
        try (SSLSocket socket = handshake(port)) {
            return ((X509Certificate) socket.getSession().getPeerCertificates()[0]).getSerialNumber();
        }
    }

    private SSLSocket handshake(int port) throws Exception {
        SSLContext trusting = TlsApiTest.trusting(dir.resolve("ca.pem"));
        SSLSocket socket = (SSLSocket) trusting.getSocketFactory().createSocket("127.0.0.1", port);
        socket.setSoTimeout(10_000);
        socket.startHandshake();
        return socket;
    }

    /** A certificate from the cluster CA with extended key usage serverAuth only, as a web-server recipe makes. */
    private void serverOnlyCertificate(String name) throws Exception {
        Path ext = dir.resolve(name + ".ext");
        Files.writeString(ext, "basicConstraints=critical,CA:FALSE\nkeyUsage=critical,digitalSignature\n"
                + "extendedKeyUsage=serverAuth\nsubjectAltName=IP:127.0.0.1\n");
        openssl("genpkey", "-algorithm", "EC", "-pkeyopt", "ec_paramgen_curve:P-256", "-out", name + ".key");
        openssl("req", "-new", "-key", name + ".key", "-subj", "/CN=" + name, "-out", name + ".csr");
        openssl("x509", "-req", "-in", name + ".csr", "-CA", "ca.pem", "-CAkey", "ca.key", "-CAcreateserial",
                "-days", "30", "-sha256", "-extfile", ext.toString(), "-out", name + ".pem");
    }

    private void openssl(String... args) throws Exception {
        List<String> command = new java.util.ArrayList<>(List.of("openssl"));
        command.addAll(List.of(args));
        Process p = new ProcessBuilder(command).directory(dir.toFile()).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        assertTrue(p.waitFor(60, TimeUnit.SECONDS) && p.exitValue() == 0, command + ": " + out);
    }

    /** A wall clock the test moves (certificate expiry). */
    private static final class MovableClock extends Clock {
        volatile Instant now;

        MovableClock(Instant now) {
            this.now = now;
        }

        @Override
        public ZoneOffset getZone() {
            return ZoneOffset.UTC;
        }

        @Override
        public Clock withZone(java.time.ZoneId zone) {
            return this;
        }

        @Override
        public Instant instant() {
            return now;
        }
    }
}
