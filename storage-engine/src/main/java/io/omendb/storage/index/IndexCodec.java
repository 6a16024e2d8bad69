package io.omendb.storage.index;

import io.omendb.storage.ModelType;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/** Builds the index a {@link ModelType} asks for, and (de)serializes any index with a one-byte tag. */
public final class IndexCodec {
    private static final byte TAG_BINARY = 0;
    private static final byte TAG_MODEL_TREE = 1;

    private IndexCodec() {
    }

    public static KeyIndex build(ModelType type, long[] keys, int maxError) {
        return switch (type) {
            case RECURSIVE -> RecursiveModelIndex.buildRecursive(keys, maxError);
            case LINEAR -> RecursiveModelIndex.buildLinear(keys);
            case BINARY -> new BinarySearchIndex(keys);
        };
    }

    public static void write(KeyIndex index, DataOutput out) throws IOException {
        out.writeByte(index instanceof BinarySearchIndex ? TAG_BINARY : TAG_MODEL_TREE);
        index.writeTo(out);
    }

    public static KeyIndex read(DataInput in, long[] keys) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case TAG_BINARY -> new BinarySearchIndex(keys);
            case TAG_MODEL_TREE -> RecursiveModelIndex.read(in, keys);
            default -> throw new IOException("unknown index tag " + tag);
        };
    }
}
