package io.omendb.raft;

import java.io.IOException;
import java.io.InputStream;
import java.math.BigInteger;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Makes CAs and node certificates at test time with {@code bin/omendb-certs} (openssl), the script
 * docs/SECURITY.md tells operators to use, so the tests prove the documented procedure.
 */
public final class TestCertificates {
    private static final long SCRIPT_TIMEOUT_S = 60;

    private TestCertificates() {
    }

    /** A new CA in {@code dir} ({@code ca.pem}, {@code ca.key}). */
    public static void ca(Path dir) throws IOException, InterruptedException {
        run(List.of("ca", dir.toString()));
    }

    /** {@code dir/name.pem} and {@code dir/name.key} signed by the CA in {@code dir}, valid for 127.0.0.1. */
    public static void node(Path dir, String name) throws IOException, InterruptedException {
        run(List.of("node", dir.toString(), name, "IP:127.0.0.1", "DNS:localhost"));
    }

    /** The serial number of the (first) certificate in the PEM file {@code pem}. */
    public static BigInteger serial(Path pem) throws IOException, GeneralSecurityException {
        try (InputStream in = Files.newInputStream(pem)) {
            return ((X509Certificate) CertificateFactory.getInstance("X.509").generateCertificate(in))
                    .getSerialNumber();
        }
    }

    private static void run(List<String> args) throws IOException, InterruptedException {
        Path script = repoRoot().resolve("bin/omendb-certs");
        List<String> command = new ArrayList<>(List.of("bash", script.toString()));
        command.addAll(args);
        Process p = new ProcessBuilder(command).redirectErrorStream(true).start();
        String out = new String(p.getInputStream().readAllBytes());
        if (!p.waitFor(SCRIPT_TIMEOUT_S, TimeUnit.SECONDS) || p.exitValue() != 0) {
            p.destroyForcibly();
            throw new IOException("bin/omendb-certs " + args + " failed: " + out);
        }
    }

    private static Path repoRoot() {
        Path dir = Path.of("").toAbsolutePath();
        while (dir != null && !Files.exists(dir.resolve("bin/omendb-certs"))) {
            dir = dir.getParent();
        }
        if (dir == null) {
            throw new IllegalStateException("bin/omendb-certs not found above " + Path.of("").toAbsolutePath());
        }
        return dir;
    }
}
