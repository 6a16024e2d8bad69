package io.omendb.raft.security;

import io.omendb.config.ConfigException;
import io.omendb.config.OmenConfig;
import java.io.ByteArrayInputStream;
import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.security.GeneralSecurityException;
import java.security.KeyFactory;
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.Signature;
import java.security.cert.CertificateException;
import java.security.cert.CertificateFactory;
import java.security.cert.X509Certificate;
import java.security.spec.PKCS8EncodedKeySpec;
import java.time.Clock;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.TrustManager;
import javax.net.ssl.TrustManagerFactory;
import javax.net.ssl.X509ExtendedTrustManager;
import org.apache.ratis.conf.Parameters;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.grpc.GrpcTlsConfig;

/**
 * The node's TLS material ({@code [security] tls_enabled}), one per process: the certificate chain and key of
 * {@code tls_cert_file}/{@code tls_key_file} and the cluster CA of {@code tls_ca_file}. It serves Raft's mutual
 * TLS (every gRPC connection between peers, and from routers to peers, is TLS, and both ends must present a
 * certificate signed by the cluster CA, so a peer or client with a certificate from any other CA can neither join a
 * group, vote, replicate, nor send commands) and the router's HTTPS ports, which present the same certificate.
 *
 * <p><b>Checks.</b> A chain and key are used only if the leaf has not expired (by the injected wall clock; one
 * not valid <i>yet</i> is accepted: a CA's clock a little ahead of this machine's is common, and peers judge
 * validity by their own clocks), its public key matches the key (a signature made with the key verifies with the
 * certificate), it carries the extended key usages serverAuth and clientAuth (each node's certificate is used
 * both as a server and as a client certificate), a key usage extension, if any, allows digitalSignature, and the
 * chain is signed by a CA of {@code tls_ca_file} (else the peers would refuse it). The same checks refuse a start and a
 * reload; the certificate also needs a subjectAltName matching the host of its {@code raft_address} (gRPC checks
 * host names). docs/SECURITY.md has the openssl commands.
 *
 * <p><b>How Ratis takes it, and reloads.</b> Ratis 3.3.0's {@code GrpcFactory} reads one {@link GrpcTlsConfig}
 * from the {@link Parameters} under {@link GrpcConfigKeys.TLS} for its server, client and admin channels. Built
 * from a key manager and a trust manager ({@code GrpcTlsConfig(KeyManager, TrustManager, boolean)}), it hands them
 * to Netty's {@code SslContextBuilder} ({@code GrpcUtil.initSslContextBuilderForServer}, {@code setKeyManager},
 * {@code setTrustManager}), whose contexts ask them at every handshake. This class passes a
 * {@link ReloadingKeyManager} and a {@link ReloadingTrustManager}, so {@link #reload} changes what new Raft
 * connections present and trust without a restart; established gRPC connections keep their session until they
 * reconnect. A reload installs the key pair, then the CA: a handshake between the two steps sees the new
 * certificate with the old CAs, which the rotation procedure (docs/SECURITY.md) makes harmless.
 *
 * <p>Thread-safe; {@link #reload} calls must not run concurrently (the router's reloader serializes them).
 */
public final class RaftTls {
    static final String SERVER_AUTH = "1.3.6.1.5.5.7.3.1";
    static final String CLIENT_AUTH = "1.3.6.1.5.5.7.3.2";
    private static final int KEY_USAGE_DIGITAL_SIGNATURE = 0;
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");

    private final Path certFile;
    private final Path keyFile;
    private final Path caFile;
    private final Clock wallClock;
    private final byte[] fingerprintAtLoad;
    private final ReloadingKeyManager keys;
    private final ReloadingTrustManager trust;

    private RaftTls(Path certFile, Path keyFile, Path caFile, Clock wallClock, byte[] fingerprintAtLoad,
                    Loaded loaded) {
        this.certFile = certFile;
        this.keyFile = keyFile;
        this.caFile = caFile;
        this.wallClock = wallClock;
        this.fingerprintAtLoad = fingerprintAtLoad;
        this.keys = new ReloadingKeyManager(loaded.keys());
        this.trust = new ReloadingTrustManager(loaded.trust());
    }

    private record Loaded(ReloadingKeyManager.Material keys, X509ExtendedTrustManager trust) {
    }

    /** The TLS material of {@code config}, read and checked now, or null when {@code tls_enabled} is false. */
    public static RaftTls fromOrNull(OmenConfig config) {
        OmenConfig.Security s = config.security();
        if (!s.tlsEnabled()) {
            return null;
        }
        Path dataDir = config.database().dataDir();
        try {
            return load(OmenConfig.Security.resolve(dataDir, s.tlsCertFile()),
                    OmenConfig.Security.resolve(dataDir, s.tlsKeyFile()),
                    OmenConfig.Security.resolve(dataDir, s.tlsCaFile()), Clock.systemUTC());
        } catch (TlsFileException e) {
            throw new ConfigException("security", e.getMessage());
        }
    }

    /** Reads and checks the three files; {@link TlsFileException} says what is wrong. */
    public static RaftTls load(Path certFile, Path keyFile, Path caFile, Clock wallClock) {
        byte[] seen = FileFingerprint.of(List.of(certFile, keyFile, caFile));
        return new RaftTls(certFile, keyFile, caFile, wallClock, seen, read(certFile, keyFile, caFile, wallClock));
    }

    /** Ratis parameters carrying this TLS configuration; empty parameters (plaintext) for {@code null}. */
    public static Parameters parameters(RaftTls tlsOrNull) {
        Parameters p = new Parameters();
        if (tlsOrNull != null) {
            GrpcConfigKeys.TLS.setConf(p, new GrpcTlsConfig(tlsOrNull.keys, tlsOrNull.trust, true));
        }
        return p;
    }

    /**
     * Reads and checks the files again and installs them for new handshakes; on any problem throws
     * {@link TlsFileException} and the material in force stays. Returns a description of what is now served.
     */
    public String reload() {
        Loaded next = read(certFile, keyFile, caFile, wallClock);
        keys.install(next.keys());
        trust.install(next.trust());
        return describe(servedCertificate()) + ", " + next.trust().getAcceptedIssuers().length + " trusted CAs";
    }

    /** The files, for change detection: certificate, key, CA. */
    public List<Path> files() {
        return List.of(certFile, keyFile, caFile);
    }

    /** {@link FileFingerprint} of {@link #files()} taken just before they were first read. */
    public byte[] fingerprintAtLoad() {
        return fingerprintAtLoad.clone();
    }

    /** Presents the current certificate; for the HTTPS servers of the router. */
    public ReloadingKeyManager keyManager() {
        return keys;
    }

    /** The leaf certificate new connections are presented. */
    X509Certificate servedCertificate() {
        return keys.current().chain()[0];
    }

    private static String describe(X509Certificate leaf) {
        return "certificate serial " + leaf.getSerialNumber().toString(16) + " subject "
                + leaf.getSubjectX500Principal().getName() + " valid until " + leaf.getNotAfter().toInstant();
    }

    private static Loaded read(Path certFile, Path keyFile, Path caFile, Clock wallClock) {
        try {
            X509Certificate[] chain = certificates(certFile, "tls_cert_file");
            PrivateKey key = privateKey(keyFile);
            X509Certificate[] cas = certificates(caFile, "tls_ca_file");
            checkUsable(chain, key, cas, certFile, keyFile, caFile, wallClock);
            return new Loaded(ReloadingKeyManager.Material.of(chain, key), trustManager(cas));
        } catch (IOException e) {
            throw new TlsFileException("cannot read security.tls_cert_file " + certFile + ", tls_key_file " + keyFile
                    + " or tls_ca_file " + caFile + ": " + e, e);
        } catch (GeneralSecurityException e) {
            throw new TlsFileException("security.tls_cert_file " + certFile + " / tls_key_file " + keyFile
                    + " / tls_ca_file " + caFile + " are not a usable certificate, key and CA: " + e.getMessage(), e);
        }
    }

    private static X509Certificate[] certificates(Path file, String key) throws IOException, CertificateException {
        X509Certificate[] certs = CertificateFactory.getInstance("X.509")
                .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(file))).stream()
                .map(X509Certificate.class::cast).toArray(X509Certificate[]::new);
        if (certs.length == 0) {
            throw new TlsFileException("security." + key + " " + file + " holds no PEM certificate");
        }
        return certs;
    }

    private static X509ExtendedTrustManager trustManager(X509Certificate[] cas) throws GeneralSecurityException {
        KeyStore store = KeyStore.getInstance("PKCS12");
        try {
            store.load(null, null);
        } catch (IOException e) {
            throw new GeneralSecurityException("cannot create an empty key store", e);
        }
        for (int i = 0; i < cas.length; i++) {
            store.setCertificateEntry("ca-" + i, cas[i]);
        }
        TrustManagerFactory tmf = TrustManagerFactory.getInstance("PKIX");
        tmf.init(store);
        for (TrustManager tm : tmf.getTrustManagers()) {
            if (tm instanceof X509ExtendedTrustManager x) {
                return x;
            }
        }
        throw new GeneralSecurityException("the JDK offers no X509 trust manager");
    }

    private static void checkUsable(X509Certificate[] chain, PrivateKey key, X509Certificate[] cas,
                                    Path certFile, Path keyFile, Path caFile, Clock wallClock)
            throws GeneralSecurityException {
        X509Certificate leaf = chain[0];
        String where = "security.tls_cert_file " + certFile;
        if (leaf.getNotAfter().toInstant().isBefore(wallClock.instant())) {
            throw new TlsFileException(where + " expired on " + leaf.getNotAfter().toInstant()
                    + "; issue a new one: bin/omendb-certs node ...");
        }
        if (!matches(leaf, key)) {
            throw new TlsFileException(where + " does not match the private key in security.tls_key_file " + keyFile
                    + " (its public key is not the key's)");
        }
        List<String> usages = leaf.getExtendedKeyUsage();
        if (usages == null || !usages.contains(SERVER_AUTH) || !usages.contains(CLIENT_AUTH)) {
            throw new TlsFileException(where + " lacks extended key usage serverAuth and clientAuth (it has "
                    + (usages == null ? "none" : usages) + "); Raft peers use it both ways: bin/omendb-certs node ...");
        }
        boolean[] keyUsage = leaf.getKeyUsage();
        if (keyUsage != null && !keyUsage[KEY_USAGE_DIGITAL_SIGNATURE]) {
            throw new TlsFileException(where + " has a key usage without digitalSignature, which TLS needs");
        }
        if (!signedBy(chain, cas)) {
            throw new TlsFileException(where + " is not signed by a CA in security.tls_ca_file " + caFile
                    + ", so the other nodes would refuse it");
        }
    }

    /**
     * True when each certificate of {@code chain} is signed by the next and the last is one of {@code cas} or
     * signed by one. Signatures only: dates are the expiry check's business, and a peer's own.
     */
    private static boolean signedBy(X509Certificate[] chain, X509Certificate[] cas) {
        try {
            for (int i = 0; i + 1 < chain.length; i++) {
                chain[i].verify(chain[i + 1].getPublicKey());
            }
        } catch (GeneralSecurityException brokenChain) {
            return false;
        }
        X509Certificate top = chain[chain.length - 1];
        for (X509Certificate ca : cas) {
            try {
                if (top.equals(ca)) {
                    return true;
                }
                top.verify(ca.getPublicKey());
                return true;
            } catch (GeneralSecurityException notThisCa) {
                // try the next CA of the bundle
            }
        }
        return false;
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
            throw new TlsFileException("security.tls_key_file " + keyFile + " holds no PEM block");
        }
        if (!m.group(1).equals("PRIVATE KEY")) {
            throw new TlsFileException("security.tls_key_file " + keyFile + " is a '" + m.group(1)
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
        throw new TlsFileException("security.tls_key_file " + keyFile + " is not an RSA, EC or Ed25519 key");
    }
}
