package io.omendb.router.security;

import com.sun.net.httpserver.BasicAuthenticator;
import java.nio.charset.StandardCharsets;

/**
 * HTTP Basic on the metrics endpoint ({@code [security] metrics_auth_enabled}): any user of the users file
 * may scrape, whatever its roles. Runs on the metrics server's own threads, so the blocking bcrypt check (cached
 * by {@link CredentialVerifier}) never touches the API's event loops. Refusals are audit lines like the API's.
 */
final class MetricsAuthenticator extends BasicAuthenticator {
    private final CredentialVerifier verifier;
    private final AuditLog audit;

    MetricsAuthenticator(CredentialVerifier verifier, AuditLog audit) {
        super("omendb-metrics", StandardCharsets.UTF_8);
        this.verifier = verifier;
        this.audit = audit;
    }

    @Override
    public boolean checkCredentials(String user, String password) {
        boolean ok;
        try {
            ok = verifier.verifyBlocking(new Credentials.Basic(user, password.getBytes(StandardCharsets.UTF_8)));
        } catch (RuntimeException busy) {
            ok = false;
        }
        if (!ok) {
            audit.refused(401, "bad_credentials", user, "metrics", "GET", "/metrics");
        }
        return ok;
    }
}
