package io.omendb.router.security;

/**
 * A users, roles or TLS file the router refuses to start with. The message names the file and line and says what
 * to do; it never contains a password or a hash.
 */
public final class SecurityFileException extends RuntimeException {
    public SecurityFileException(String message) {
        super(message);
    }

    public SecurityFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
