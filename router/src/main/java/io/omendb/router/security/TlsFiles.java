package io.omendb.router.security;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.SSLContext;

/**
 * The server side of TLS for the HTTP API (Netty) and the metrics endpoint (JDK HTTPS), from the PEM files of
 * {@code [security] tls_cert_file} (the certificate chain, leaf first) and {@code tls_key_file} (an unencrypted
 * PKCS#8 key, {@code -----BEGIN PRIVATE KEY-----}, RSA, EC or Ed25519). TLS 1.2 and 1.3 only.
 *
 * <p><b>Checks.</b> A pair is used only if the leaf certificate has not expired (by the injected wall clock; one
 * not valid <i>yet</i> is accepted: a CA's clock a little ahead of this machine's is common, and clients judge
 * validity by their own clocks), its public key matches the private key (a signature made with the key verifies
 * with the certificate), it carries the extended key usages serverAuth and clientAuth (Raft peers use the same
 * certificate both ways) and, when it has a key usage extension, digitalSignature. The same checks refuse a start
 * and a reload.
 *
 * <p><b>Reload.</b> Both servers' contexts are built once around one {@link ReloadingKeyManager}, which the TLS
 * stack asks for the certificate at every handshake. {@link #reload} reads and checks the files and only then
 * installs the new pair in one step: new connections get the new certificate, connections already established
 * keep theirs, and a refused pair leaves the old one in force. Thread-safe.
 */
public final class TlsFiles {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private final Path certFile;
    private final Path keyFile;
    private final Clock wallClock;
    private final ReloadingKeyManager keyManager;

    private TlsFiles(Path certFile, Path keyFile, Clock wallClock, ReloadingKeyManager keyManager) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.wallClock = wallClock;
        this.keyManager = keyManager;
    }

    /** Reads and checks the certificate chain and key; {@link SecurityFileException} says what is wrong. */
    public static TlsFiles load(Path certFile, Path keyFile, Clock wallClock) {
        return new TlsFiles(certFile, keyFile, wallClock,
                new ReloadingKeyManager(read(certFile, keyFile, wallClock)));
    }

    /** The files this pair is read from, for change detection. */
    List<Path> files() {
        return List.of(certFile, keyFile);
    }

    /**
     * Reads and checks the files again and serves the new pair to new connections; on any problem throws
     * {@link SecurityFileException} and the pair in force stays. Returns a description of what is now served.
     */
    String reload() {
        keyManager.install(read(certFile, keyFile, wallClock));
        return describe(served());
    }

    /** The leaf certificate new connections get. */
    X509Certificate served() {
        return keyManager.current().chain()[0];
    }

    /** Netty server context for the HTTP API. */
    public SslContext nettyServerContext() {
        try {
            return SslContextBuilder.forServer(keyManager).protocols(PROTOCOLS).build();
        } catch (IOException e) {
            throw new SecurityFileException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    /** JDK context for the metrics endpoint's HTTPS server. */
    public SSLContext jdkServerContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new javax.net.ssl.KeyManager[] {keyManager}, null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new SecurityFileException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    static String describe(X509Certificate leaf) {
        return "certificate serial " + leaf.getSerialNumber().toString(16) + " subject "
                + leaf.getSubjectX500Principal().getName() + " valid until " + leaf.getNotAfter().toInstant();
    }

    private static ReloadingKeyManager.Material read(Path certFile, Path keyFile, Clock wallClock) {
        try {
            X509Certificate[] chain = CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certFile))).stream()
                    .map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
            if (chain.length == 0) {
                throw new SecurityFileException("security.tls_cert_file " + certFile + " holds no PEM certificate");
            }
            PrivateKey key = privateKey(keyFile);
            checkUsable(chain[0], key, certFile, keyFile, wallClock);
            return ReloadingKeyManager.Material.of(chain, key);
        } catch (IOException e) {
            throw new SecurityFileException("cannot read security.tls_cert_file " + certFile + " or tls_key_file "
                    + keyFile + ": " + e, e);
        } catch (GeneralSecurityException e) {
            throw new SecurityFileException("security.tls_cert_file " + certFile + " / tls_key_file " + keyFile
                    + " are not a usable certificate and key: " + e.getMessage(), e);
        }
    }

    private static void checkUsable(X509Certificate leaf, PrivateKey key, Path certFile, Path keyFile,
                                    Clock wallClock) throws GeneralSecurityException {
        String where = "security.tls_cert_file " + certFile;
        if (leaf.getNotAfter().toInstant().isBefore(wallClock.instant())) {
            throw new SecurityFileException(where + " expired on " + leaf.getNotAfter().toInstant()
                    + "; issue a new one: bin/omendb-certs node ...");
        }
        if (!matches(leaf, key)) {
            throw new SecurityFileException(where + " does not match the private key in security.tls_key_file "
                    + keyFile + " (its public key is not the key's)");
        }
        List<String> usages = leaf.getExtendedKeyUsage();
        if (usages == null || !usages.contains(SERVER_AUTH) || !usages.contains(CLIENT_AUTH)) {
            throw new SecurityFileException(where + " lacks extended key usage serverAuth and clientAuth (it has "
                    + (usages == null ? "none" : usages) + "); Raft peers use it both ways: bin/omendb-certs node ...");
        }
        boolean[] keyUsage = leaf.getKeyUsage();
        if (keyUsage != null && !keyUsage[KEY_USAGE_DIGITAL_SIGNATURE]) {
            throw new SecurityFileException(where + " has a key usage without digitalSignature, which TLS needs");
        }
    }

    /** True when {@code key} signs what {@code leaf}'s public key verifies. */
    private static boolean matches(X509Certificate leaf, PrivateKey key) throws GeneralSecurityException {
        String algorithm = switch (key.getAlgorithm()) {
            case "EC" -> "SHA256withECDSA";
            case "RSA" -> "SHA256withRSA";
            default -> key.getAlgorithm(); // EdDSA signs without a separate digest
        };
        byte[] challenge = "omendb key match check".getBytes(StandardCharsets.US_ASCII);
        Signature signer = Signature.getInstance(algorithm);
        signer.initSign(key);
        signer.update(challenge);
        byte[] signature = signer.sign();
        Signature verifier = Signature.getInstance(algorithm);
        try {
            verifier.initVerify(leaf.getPublicKey());
            verifier.update(challenge);
            return verifier.verify(signature);
        } catch (GeneralSecurityException wrongKeyType) {
            return false;
        }
    }

    private static PrivateKey privateKey(Path keyFile) throws IOException {
        Matcher m = PEM.matcher(Files.readString(keyFile, StandardCharsets.US_ASCII));
        if (!m.find()) {
            throw new SecurityFileException("security.tls_key_file " + keyFile + " holds no PEM block");
        }
        if (!m.group(1).equals("PRIVATE KEY")) {
            throw new SecurityFileException("security.tls_key_file " + keyFile + " is a '" + m.group(1)
                    + "'; convert it to unencrypted PKCS#8: openssl pkcs8 -topk8 -nocrypt -in OLD -out NEW");
        }
        byte[] der = Base64.getMimeDecoder().decode(m.group(2));
        for (String algorithm : List.of("EC", "RSA", "Ed25519")) {
            try {
                return KeyFactory.getInstance(algorithm).generatePrivate(new PKCS8EncodedKeySpec(der));
            } catch (GeneralSecurityException wrongAlgorithm) {
                // try the next algorithm
            }
        }
        throw new SecurityFileException("security.tls_key_file " + keyFile + " is not an RSA, EC or Ed25519 key");
    }
}
