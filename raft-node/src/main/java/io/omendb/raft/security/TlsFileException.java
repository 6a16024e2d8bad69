package io.omendb.raft.security;

/**
 * A TLS certificate, key or CA file that cannot be used. The message names the file and says what is wrong and
 * what to do; it never contains key material.
 */
public final class TlsFileException extends RuntimeException {
    public TlsFileException(String message) {
        super(message);
    }

    public TlsFileException(String message, Throwable cause) {
        super(message, cause);
    }
}
