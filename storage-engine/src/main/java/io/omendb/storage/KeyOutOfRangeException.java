package io.omendb.storage;

/**
 * A write named a key the engine does not own: the caller routed it by a range table older than the engine's last
 * split or merge. Nothing of the batch was applied. The Raft layer maps it to its typed "key outside range" answer
 * carrying the current descriptor, so the router re-routes.
 */
public final class KeyOutOfRangeException extends IllegalArgumentException {
    private final transient byte[] key;
    private final KeyRange range;

    public KeyOutOfRangeException(byte[] key, KeyRange range) {
        super("key " + Bytes.hex(key) + " is outside the engine's range " + range);
        this.key = key.clone();
        this.range = range;
    }

    public byte[] key() {
        return key.clone();
    }

    public KeyRange range() {
        return range;
    }
}
