package io.omendb.router.security;

/**
 * Audit lines for authentication: every refusal (401, 403, 429) and every login and logout, on the logger
 * {@code io.omendb.audit}. A line names the outcome, reason, user, remote address, method and path, e.g.
 * {@code auth refused status=401 reason=bad_credentials user="bob" remote=/10.0.0.7:51234 method=GET path=/v1/kv/a}.
 * Passwords and tokens are never passed in, so they cannot appear; user names and paths come from the client, so
 * they are sanitized (non-printable characters, quotes and backslashes become '?', at most 64 characters, 256 for paths) and a
 * client cannot forge extra log lines. Stateless, thread-safe.
 */
public final class AuditLog {
    public static final String LOGGER = "io.omendb.audit";
    private static final System.Logger LOG = System.getLogger(LOGGER);

    public void refused(int status, String reason, String userOrNull, String remote, String method, String path) {
        LOG.log(System.Logger.Level.WARNING, "auth refused status=" + status + " reason=" + reason + " user=\""
                + (userOrNull == null ? "-" : UserStore.sanitize(userOrNull)) + "\" remote=" + remote + " method="
                + method + " path=" + UserStore.sanitize(path, 256));
    }

    public void session(String event, String user, String remote) {
        LOG.log(System.Logger.Level.INFO, "auth " + event + " user=\"" + UserStore.sanitize(user) + "\" remote="
                + remote);
    }
}
