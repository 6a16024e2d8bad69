package io.omendb.raft.wire;

/**
 * Bytes that should hold a frame (a log entry, a query or a reply) failed the checksum or a structural check.
 * For a committed log entry this is fatal to the group: the entry is never skipped.
 */
public final class CorruptFrameException extends RuntimeException {
    public CorruptFrameException(String message) {
        super(message);
    }
}
