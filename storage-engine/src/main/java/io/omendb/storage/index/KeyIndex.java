package io.omendb.storage.index;

import java.io.DataOutput;
import java.io.IOException;

/**
 * Finds positions in one sorted array of unsigned 64-bit keys (a segment's key heads).
 *
 * <p>Contract: {@code lowerBound(k)} returns the first position {@code i} with {@code keys[i] >= k}
 * (unsigned), or {@code keys.length} when there is none — for every {@code k}, present or not. Implementations
 * are immutable and safe for any number of concurrent readers.
 */
public interface KeyIndex {
    int lowerBound(long key);

    IndexStats stats();

    /** Writes the model parameters (never the keys) so {@link IndexCodec#read} can rebuild the index. */
    void writeTo(DataOutput out) throws IOException;
}
