package io.omendb.router.security;

import com.sun.net.httpserver.Authenticator;
import io.netty.handler.ssl.SslContext;
import io.omendb.config.OmenConfig;
import io.omendb.raft.security.FileFingerprint;
import io.omendb.raft.security.RaftTls;
import io.omendb.raft.security.TlsFileException;
import io.omendb.router.http.RequestGate;
import java.nio.file.Path;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Objects;
import java.util.function.LongSupplier;
import javax.net.ssl.SSLContext;
import org.slf4j.LoggerFactory;

/**
 * Everything {@code [security]} asks of the router, built at start: the {@link RequestGate} (an
 * {@link AuthGate} over the users and roles files, or open when authentication is off, with a loud warning),
 * the TLS contexts of the API and metrics servers, and the metrics endpoint's authenticator. A bad users, roles
 * or TLS file fails the start with a {@link SecurityFileException} naming it.
 *
 * <p>The users and roles files and the TLS certificate, key and CA (the process's {@link RaftTls}, which Raft
 * shares) are then reloaded while the router runs, on
 * {@link #reloader()}'s triggers (SIGHUP from the app, and a check for changed files every
 * {@code reload_check_interval_s}), atomically: a file that would refuse a start is refused with an ERROR line
 * and the old version stays in force (docs/SECURITY.md, "Reloading users and certificates").
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
    private final SecurityReloader reloader;

    private RouterSecurity(RequestGate gate, AuthGate authGateOrNull, Authenticator metricsAuthenticatorOrNull,
                           TlsFiles tlsOrNull, SecurityReloader reloader) {
        this.gate = gate;
        this.authGateOrNull = authGateOrNull;
        this.metricsAuthenticatorOrNull = metricsAuthenticatorOrNull;
        this.tlsOrNull = tlsOrNull;
        this.reloader = reloader;
    }

    /** Builds the router's security from {@code [security]}; relative file names are taken inside {@code dataDir}. */
    public static RouterSecurity start(OmenConfig.Security s, Path dataDir, LongSupplier nanoClock) {
        return start(s, dataDir, nanoClock, Clock.systemUTC());
    }

    /**
     * As {@link #start(OmenConfig.Security, Path, LongSupplier)}, reading the TLS files itself with certificates
     * checked for expiry by {@code wallClock}.
     */
    public static RouterSecurity start(OmenConfig.Security s, Path dataDir, LongSupplier nanoClock, Clock wallClock) {
        RaftTls tls = null;
        if (s.tlsEnabled()) {
            try {
                tls = RaftTls.load(OmenConfig.Security.resolve(dataDir, s.tlsCertFile()),
                        OmenConfig.Security.resolve(dataDir, s.tlsKeyFile()),
                        OmenConfig.Security.resolve(dataDir, s.tlsCaFile()), wallClock);
            } catch (TlsFileException e) {
                throw new SecurityFileException(e.getMessage(), e);
            }
        }
        return start(s, dataDir, nanoClock, tls);
    }

    /**
     * As {@link #start(OmenConfig.Security, Path, LongSupplier)}, serving HTTPS with {@code tlsOrNull}, the TLS
     * material of this process's Raft server and clients (null when {@code tls_enabled} is off): one reload then
     * renews the certificate of the API, the metrics port and Raft together.
     */
    public static RouterSecurity start(OmenConfig.Security s, Path dataDir, LongSupplier nanoClock,
                                       RaftTls tlsOrNull) {
        List<SecurityReloader.Source> sources = new ArrayList<>();
        List<byte[]> seenAtLoad = new ArrayList<>();
        TlsFiles tls = null;
        if (s.tlsEnabled()) {
            tls = new TlsFiles(Objects.requireNonNull(tlsOrNull, "tls_enabled needs the TLS material"));
            seenAtLoad.add(tlsOrNull.fingerprintAtLoad());
            sources.add(SecurityReloader.tlsSource(tlsOrNull));
        }
        if (!s.authEnabled()) {
            LoggerFactory.getLogger(RouterSecurity.class).warn("AUTHENTICATION IS DISABLED (security.auth_enabled = "
                    + "false or OMENDB_AUTH_DISABLED=true): anyone who can reach the HTTP port can read, write and "
                    + "administer this database. Use this for local development only.");
            return new RouterSecurity(RequestGate.OPEN, null, null, tls,
                    new SecurityReloader(sources, seenAtLoad).start(s.reloadCheckIntervalS()));
        }
        Path usersFile = OmenConfig.Security.resolve(dataDir, s.usersFile());
        Path rolesFile = OmenConfig.Security.resolve(dataDir, s.rolesFile());
        seenAtLoad.add(FileFingerprint.of(List.of(usersFile, rolesFile)));
        UserStore users = loadUsers(usersFile, rolesFile);
        SecureRandom random = new SecureRandom();
        CredentialVerifier verifier = new CredentialVerifier(users, BCRYPT_QUEUE_MAX, VERIFIED_CACHE_TTL_MS,
                VERIFIED_CACHE_ENTRIES_MAX, random, nanoClock);
        AuditLog audit = new AuditLog();
        AuthGate gate = new AuthGate(verifier, new SessionStore(s.sessionTimeoutSeconds(), SESSIONS_MAX, random,
                nanoClock), new FailureLimiter(AUTH_FAILURES_MAX, AUTH_FAILURE_WINDOW_MS, FAILURE_ADDRESSES_MAX,
                nanoClock), audit);
        Authenticator metricsAuth = s.metricsAuthEnabled() ? new MetricsAuthenticator(verifier, audit) : null;
        sources.add(new SecurityReloader.Source("users (users_file " + usersFile + ", roles_file " + rolesFile + ")",
                List.of(usersFile, rolesFile), () -> {
                    UserStore next = loadUsers(usersFile, rolesFile);
                    int revoked = gate.replaceUsers(next);
                    return next.size() + " users, " + revoked + " sessions revoked";
                }));
        return new RouterSecurity(gate, gate, metricsAuth, tls,
                new SecurityReloader(sources, seenAtLoad).start(s.reloadCheckIntervalS()));
    }

    /** The users and roles, refusing an empty users file (it would lock every client out). */
    private static UserStore loadUsers(Path usersFile, Path rolesFile) {
        UserStore users = UserStore.load(usersFile, rolesFile);
        if (users.size() == 0) {
            throw new SecurityFileException("security.users_file " + usersFile + " lists no user; add one with "
                    + "bin/omendb user add");
        }
        return users;
    }

    /** Reloads the security files: on SIGHUP ({@link SecurityReloader#requestReloadAll}) and by its own checks. */
    public SecurityReloader reloader() {
        return reloader;
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
        reloader.close();
        if (authGateOrNull != null) {
            authGateOrNull.close();
        }
    }
}
