package io.omendb.storage.index;

import java.io.DataOutput;

/** {@code [index] model_type = "binary"}: no model, plain binary search. The baseline. */
public final class BinarySearchIndex implements KeyIndex {
    private final long[] keys;

    public BinarySearchIndex(long[] keys) {
        this.keys = keys;
    }

    @Override
    public int lowerBound(long key) {
        return Windows.lowerBound(keys, 0, keys.length, key);
    }

    @Override
    public IndexStats stats() {
        return new IndexStats(0, 0, 0, 0, 0, 0);
    }

    @Override
    public void writeTo(DataOutput out) {
        // nothing to store: the keys are the index
    }
}
