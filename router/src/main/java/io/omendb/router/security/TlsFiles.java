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
import java.security.KeyStore;
import java.security.PrivateKey;
import java.security.cert.Certificate;
import java.security.cert.CertificateFactory;
import java.security.spec.PKCS8EncodedKeySpec;
import java.util.Base64;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLContext;

/**
 * The server side of TLS for the HTTP API (Netty) and the metrics endpoint (JDK HTTPS), from the PEM files of
 * {@code [security] tls_cert_file} (the certificate chain, leaf first) and {@code tls_key_file} (an unencrypted
 * PKCS#8 key, {@code -----BEGIN PRIVATE KEY-----}, RSA or EC). Both servers are built from one
 * {@link KeyManagerFactory}, so they present the same certificate. TLS 1.2 and 1.3 only. Files are read once
 * at start; rotating a certificate means replacing the files and restarting (docs/SECURITY.md).
 */
public final class TlsFiles {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};
    private static final Pattern PEM = Pattern.compile(
            "-----BEGIN ([A-Z ]+)-----([A-Za-z0-9+/=\\s]+)-----END \\1-----");
    private static final char[] NO_PASSWORD = new char[0];

    private final KeyManagerFactory keyManagers;

    private TlsFiles(KeyManagerFactory keyManagers) {
        this.keyManagers = keyManagers;
    }

    /** Reads and checks the certificate chain and key; {@link SecurityFileException} says what is wrong. */
    public static TlsFiles load(Path certFile, Path keyFile) {
        try {
            List<Certificate> chain = List.copyOf(CertificateFactory.getInstance("X.509")
                    .generateCertificates(new ByteArrayInputStream(Files.readAllBytes(certFile))));
            if (chain.isEmpty()) {
                throw new SecurityFileException("security.tls_cert_file " + certFile + " holds no PEM certificate");
            }
            PrivateKey key = privateKey(keyFile);
            KeyStore store = KeyStore.getInstance("PKCS12");
            store.load(null, null);
            store.setKeyEntry("omendb", key, NO_PASSWORD, chain.toArray(Certificate[]::new));
            KeyManagerFactory kmf = KeyManagerFactory.getInstance(KeyManagerFactory.getDefaultAlgorithm());
            kmf.init(store, NO_PASSWORD);
            return new TlsFiles(kmf);
        } catch (IOException e) {
            throw new SecurityFileException("cannot read TLS file: " + e.getMessage(), e);
        } catch (GeneralSecurityException e) {
            throw new SecurityFileException("security.tls_cert_file " + certFile + " / tls_key_file " + keyFile
                    + " are not a usable certificate and key: " + e.getMessage(), e);
        }
    }

    /** Netty server context for the HTTP API. */
    public SslContext nettyServerContext() {
        try {
            return SslContextBuilder.forServer(keyManagers).protocols(PROTOCOLS).build();
        } catch (IOException e) {
            throw new SecurityFileException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    /** JDK context for the metrics endpoint's HTTPS server. */
    public SSLContext jdkServerContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(keyManagers.getKeyManagers(), null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new SecurityFileException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    private static PrivateKey privateKey(Path keyFile) throws IOException, GeneralSecurityException {
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
