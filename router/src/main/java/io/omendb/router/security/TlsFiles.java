package io.omendb.router.security;

import io.netty.handler.ssl.SslContext;
import io.netty.handler.ssl.SslContextBuilder;
import io.omendb.raft.security.RaftTls;
import java.io.IOException;
import java.security.GeneralSecurityException;
import javax.net.ssl.KeyManager;
import javax.net.ssl.SSLContext;

/**
 * The server side of TLS for the HTTP API (Netty) and the metrics endpoint (JDK HTTPS), from the node's
 * {@link RaftTls} material: both contexts are built once around its reloading key manager, which the TLS stack
 * asks for the certificate at every handshake, so they present the same certificate as Raft, and after a
 * {@link RaftTls#reload} new connections get the new one while established connections keep theirs. The files,
 * their checks and the reload are {@link RaftTls}'s. TLS 1.2 and 1.3 only. Thread-safe.
 */
public final class TlsFiles {
    static final String[] PROTOCOLS = {"TLSv1.3", "TLSv1.2"};

    private final RaftTls material;

    TlsFiles(RaftTls material) {
        this.material = material;
    }

    /** Netty server context for the HTTP API. */
    public SslContext nettyServerContext() {
        try {
            return SslContextBuilder.forServer(material.keyManager()).protocols(PROTOCOLS).build();
        } catch (IOException e) {
            throw new SecurityFileException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }

    /** JDK context for the metrics endpoint's HTTPS server. */
    public SSLContext jdkServerContext() {
        try {
            SSLContext context = SSLContext.getInstance("TLS");
            context.init(new KeyManager[] {material.keyManager()}, null, null);
            return context;
        } catch (GeneralSecurityException e) {
            throw new SecurityFileException("cannot build the TLS context: " + e.getMessage(), e);
        }
    }
}
