package io.omendb.raft.security;

import java.net.Socket;
import java.security.cert.CertificateException;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedTrustManager;

/**
 * A trust manager whose trusted CAs can be replaced while servers and clients run: TLS stacks call their trust
 * manager at every handshake (the JDK's, and Ratis' shaded Netty on BoringSSL through its verify callback), so a
 * context built once around this manager checks peers against whatever was installed last. Each check delegates
 * to one JDK PKIX trust manager read once from the reference, so it sees one consistent set of CAs, and the JDK's
 * host name check (gRPC asks for it on client engines) still runs. Thread-safe.
 */
public final class ReloadingTrustManager extends X509ExtendedTrustManager {
    private final AtomicReference<X509ExtendedTrustManager> current;

    ReloadingTrustManager(X509ExtendedTrustManager initial) {
        this.current = new AtomicReference<>(initial);
    }

    /** Handshakes from now on are checked against {@code next}. */
    void install(X509ExtendedTrustManager next) {
        current.set(next);
    }

    X509ExtendedTrustManager current() {
        return current.get();
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        current.get().checkClientTrusted(chain, authType);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType) throws CertificateException {
        current.get().checkServerTrusted(chain, authType);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        current.get().checkClientTrusted(chain, authType, socket);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, Socket socket)
            throws CertificateException {
        current.get().checkServerTrusted(chain, authType, socket);
    }

    @Override
    public void checkClientTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        current.get().checkClientTrusted(chain, authType, engine);
    }

    @Override
    public void checkServerTrusted(X509Certificate[] chain, String authType, SSLEngine engine)
            throws CertificateException {
        current.get().checkServerTrusted(chain, authType, engine);
    }

    @Override
    public X509Certificate[] getAcceptedIssuers() {
        return current.get().getAcceptedIssuers();
    }
}
