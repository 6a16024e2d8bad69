package io.omendb.raft.security;

import java.net.Socket;
import java.security.GeneralSecurityException;
import java.security.KeyStore;
import java.security.Principal;
import java.security.PrivateKey;
import java.security.cert.X509Certificate;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import javax.net.ssl.KeyManagerFactory;
import javax.net.ssl.SSLEngine;
import javax.net.ssl.X509ExtendedKeyManager;
import javax.net.ssl.X509KeyManager;

/**
 * A key manager whose certificate and key can be replaced while servers run: TLS stacks ask their key manager for
 * an alias, then for that alias's chain and key, at every handshake, so a context built once around this manager
 * serves whatever was installed last. That holds for the JDK's stack (the router's Netty API server and the JDK
 * HTTPS metrics server) and for Ratis' shaded Netty on BoringSSL (Raft's gRPC server and clients), which wraps a
 * plain key manager in a non-caching key material provider that asks it at each handshake.
 *
 * <p><b>Atomic per handshake.</b> Each installed {@link Material} has its own alias ({@code omendb-<n>}), and the
 * chain and key are looked up by the alias the handshake chose, among the current and the previous material. A
 * handshake that chose its alias just before an {@link #install} therefore still gets that material's chain
 * <i>and</i> key, never the new chain with the old key. (A handshake spanning two installs finds neither and
 * fails; its client reconnects and gets the current pair.)
 *
 * <p>Key-type matching is the JDK's own: each material wraps a SunX509 key manager over a one-entry key store.
 * Thread-safe: the installed pair is one immutable value in an {@link AtomicReference}.
 */
public final class ReloadingKeyManager extends X509ExtendedKeyManager {
    private static final AtomicLong GENERATIONS = new AtomicLong();
    private static final char[] NO_PASSWORD = new char[0];

    /** One checked certificate chain (leaf first) and its key, under an alias no other material has. */
    record Material(String alias, X509Certificate[] chain, PrivateKey key, X509KeyManager jdk) {
        static Material of(X509Certificate[] chain, PrivateKey key) throws GeneralSecurityException {
            String alias = "omendb-" + GENERATIONS.incrementAndGet();
            KeyStore store = KeyStore.getInstance("PKCS12");
            try {
                store.load(null, null);
            } catch (java.io.IOException e) {
                throw new GeneralSecurityException("cannot create an empty key store", e);
            }
            store.setKeyEntry(alias, key, NO_PASSWORD, chain);
            KeyManagerFactory kmf = KeyManagerFactory.getInstance("SunX509");
            kmf.init(store, NO_PASSWORD);
            return new Material(alias, chain.clone(), key, (X509KeyManager) kmf.getKeyManagers()[0]);
        }
    }

    private record Installed(Material current, Material previousOrNull) {
        Material byAliasOrNull(String alias) {
            if (current.alias().equals(alias)) {
                return current;
            }
            return previousOrNull != null && previousOrNull.alias().equals(alias) ? previousOrNull : null;
        }
    }

    private final AtomicReference<Installed> installed;

    ReloadingKeyManager(Material initial) {
        this.installed = new AtomicReference<>(new Installed(initial, null));
    }

    /** New handshakes use {@code next} from now on. */
    void install(Material next) {
        installed.updateAndGet(i -> new Installed(next, i.current()));
    }

    Material current() {
        return installed.get().current();
    }

    @Override
    public String chooseServerAlias(String keyType, Principal[] issuers, Socket socket) {
        return current().jdk().chooseServerAlias(keyType, issuers, socket);
    }

    @Override
    public String chooseEngineServerAlias(String keyType, Principal[] issuers, SSLEngine engine) {
        return current().jdk().chooseServerAlias(keyType, issuers, null);
    }

    /**
     * Ignores the issuers the server asks for: a server lists the CAs it trusted when its context was built, so
     * after a CA rotation that list can be stale, and presenting our certificate is always right (it is the only one).
     */
    @Override
    public String chooseClientAlias(String[] keyTypes, Principal[] issuers, Socket socket) {
        return current().jdk().chooseClientAlias(keyTypes, null, socket);
    }

    @Override
    public String chooseEngineClientAlias(String[] keyTypes, Principal[] issuers, SSLEngine engine) {
        return current().jdk().chooseClientAlias(keyTypes, null, null);
    }

    @Override
    public String[] getServerAliases(String keyType, Principal[] issuers) {
        return current().jdk().getServerAliases(keyType, issuers);
    }

    @Override
    public String[] getClientAliases(String keyType, Principal[] issuers) {
        return current().jdk().getClientAliases(keyType, issuers);
    }

    @Override
    public X509Certificate[] getCertificateChain(String alias) {
        Material m = installed.get().byAliasOrNull(alias);
        return m == null ? null : m.chain().clone();
    }

    @Override
    public PrivateKey getPrivateKey(String alias) {
        Material m = installed.get().byAliasOrNull(alias);
        return m == null ? null : m.key();
    }
}
