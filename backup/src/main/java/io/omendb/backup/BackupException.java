package io.omendb.backup;

/**
 * A backup operation failed in a way the user must act on. {@code exitCode} is what {@code bin/omendb backup}
 * exits with: {@link #USAGE} for bad arguments or a request the tool refuses, {@link #FAILED} for everything else
 * (unreachable cluster, I/O error, corrupt or incomplete backup). The message says what is wrong and what to do.
 */
public final class BackupException extends Exception {
    public static final int FAILED = 1;
    public static final int USAGE = 2;

    private final int exitCode;

    public BackupException(int exitCode, String message) {
        super(message);
        this.exitCode = exitCode;
    }

    public BackupException(int exitCode, String message, Throwable cause) {
        super(message, cause);
        this.exitCode = exitCode;
    }

    public static BackupException failed(String message) {
        return new BackupException(FAILED, message);
    }

    public static BackupException usage(String message) {
        return new BackupException(USAGE, message);
    }

    public int exitCode() {
        return exitCode;
    }
}
