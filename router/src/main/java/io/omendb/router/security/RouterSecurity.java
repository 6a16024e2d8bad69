package io.omendb.router.security;

import com.sun.net.httpserver.Authenticator;
import io.netty.handler.ssl.SslContext;
import io.omendb.config.OmenConfig;
import io.omendb.router.http.RequestGate;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * Everything {@code [security]} asks of the router, built once at start: the {@link RequestGate} (an
 * {@link AuthGate} over the users and roles files, or open when authentication is off, with a loud warning),
 * the TLS contexts of the API and metrics servers, and the metrics endpoint's authenticator. A bad users, roles
 * or TLS file fails the start with a {@link SecurityFileException} naming it.
 */
public final class RouterSecurity implements AutoCloseable {
    /** Bounds (docs/SECURITY.md): sessions, failures before 429 and its window, bcrypt queue, success cache. */
    static final int SESSIONS_MAX = 10_000;
    static final int AUTH_FAILURES_MAX = 10;
    static final long AUTH_FAILURE_WINDOW_MS = 60_000;
    static final int FAILURE_ADDRESSES_MAX = 10_000;
    static final int BCRYPT_QUEUE_MAX = 64;
    static final long VERIFIED_CACHE_TTL_MS = 60_000;
    static final int VERIFIED_CACHE_ENTRIES_MAX = 10_000;

    private final RequestGate gate;
    private final AuthGate authGateOrNull;
    private final Authenticator metricsAuthenticatorOrNull;
    private final TlsFiles tlsOrNull;

    private RouterSecurity(RequestGate gate, AuthGate authGateOrNull, Authenticator metricsAuthenticatorOrNull,
                           TlsFiles tlsOrNull) {
        this.gate = gate;
        this.authGateOrNull = authGateOrNull;
        this.metricsAuthenticatorOrNull = metricsAuthenticatorOrNull;
        this.tlsOrNull = tlsOrNull;
    }

    /** Builds the router's security from {@code [security]}; relative file names are taken inside {@code dataDir}. */
    public static RouterSecurity start(OmenConfig.Security s, Path dataDir, LongSupplier nanoClock) {
        TlsFiles tls = s.tlsEnabled() ? TlsFiles.load(OmenConfig.Security.resolve(dataDir, s.tlsCertFile()),
                OmenConfig.Security.resolve(dataDir, s.tlsKeyFile())) : null;
        if (!s.authEnabled()) {
            LoggerFactory.getLogger(RouterSecurity.class).warn("AUTHENTICATION IS DISABLED (security.auth_enabled = "
                    + "false or OMENDB_AUTH_DISABLED=true): anyone who can reach the HTTP port can read, write and "
                    + "administer this database. Use this for local development only.");
            return new RouterSecurity(RequestGate.OPEN, null, null, tls);
        }
        UserStore users = UserStore.load(OmenConfig.Security.resolve(dataDir, s.usersFile()),
                OmenConfig.Security.resolve(dataDir, s.rolesFile()));
        if (users.size() == 0) {
            throw new SecurityFileException("security.users_file " + s.usersFile() + " lists no user; add one with "
                    + "bin/omendb user add");
        }
        SecureRandom random = new SecureRandom();
        CredentialVerifier verifier = new CredentialVerifier(users, BCRYPT_QUEUE_MAX, VERIFIED_CACHE_TTL_MS,
                VERIFIED_CACHE_ENTRIES_MAX, random, nanoClock);
        AuditLog audit = new AuditLog();
        AuthGate gate = new AuthGate(verifier, new SessionStore(s.sessionTimeoutSeconds(), SESSIONS_MAX, random,
                nanoClock), new FailureLimiter(AUTH_FAILURES_MAX, AUTH_FAILURE_WINDOW_MS, FAILURE_ADDRESSES_MAX,
                nanoClock), audit);
        Authenticator metricsAuth = s.metricsAuthEnabled() ? new MetricsAuthenticator(verifier, audit) : null;
        return new RouterSecurity(gate, gate, metricsAuth, tls);
    }

    public RequestGate gate() {
        return gate;
    }

    /** The API's TLS context, or null for plain HTTP. */
    public SslContext apiSslContextOrNull() {
        return tlsOrNull == null ? null : tlsOrNull.nettyServerContext();
    }

    /** The metrics endpoint's TLS context, or null for plain HTTP. */
    public SSLContext metricsSslContextOrNull() {
        return tlsOrNull == null ? null : tlsOrNull.jdkServerContext();
    }

    /** The metrics endpoint's authenticator, or null when scraping is open. */
    public Authenticator metricsAuthenticatorOrNull() {
        return metricsAuthenticatorOrNull;
    }

    /** "https" or "http", for the start-up banner. */
    public String scheme() {
        return tlsOrNull == null ? "http" : "https";
    }

    @Override
    public void close() {
        if (authGateOrNull != null) {
            authGateOrNull.close();
        }
    }
}
