package io.omendb.storage;

/**
 * A forward iterator over unique keys in ascending unsigned order. {@link #value()} is {@code null} for a
 * tombstone. Arrays returned are shared with the source: callers copy what they keep.
 */
interface Cursor {
    boolean valid();

    byte[] key();

    byte[] value();

    void next();
}
