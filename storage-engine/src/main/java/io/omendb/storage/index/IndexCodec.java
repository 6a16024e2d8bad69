package io.omendb.storage.index;

import io.omendb.storage.ModelType;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * Builds the index a {@link ModelType} asks for, and (de)serializes any index with a one-byte tag. The tag names
 * the stored model's format, so segments written by an older build keep reading: tag 1 (the recursive model tree
 * that {@code recursive} built before the radix index, and that {@code linear} still builds) stays readable
 * next to tag 2 ({@link RadixLinearIndex}). The segment's index block carries a CRC32C checked before this runs.
 */
public final class IndexCodec {
    private static final byte TAG_BINARY = 0;
    private static final byte TAG_MODEL_TREE = 1;
    private static final byte TAG_RADIX_LINEAR = 2;

    private IndexCodec() {
    }

    public static KeyIndex build(ModelType type, long[] keys, int maxError) {
        return switch (type) {
            case RECURSIVE -> RadixLinearIndex.build(keys, maxError);
            case LINEAR -> RecursiveModelIndex.buildLinear(keys);
            case BINARY -> new BinarySearchIndex(keys);
        };
    }

    public static void write(KeyIndex index, DataOutput out) throws IOException {
        out.writeByte(tag(index));
        index.writeTo(out);
    }

    public static KeyIndex read(DataInput in, long[] keys) throws IOException {
        byte tag = in.readByte();
        return switch (tag) {
            case TAG_BINARY -> new BinarySearchIndex(keys);
            case TAG_MODEL_TREE -> RecursiveModelIndex.read(in, keys);
            case TAG_RADIX_LINEAR -> RadixLinearIndex.read(in, keys);
            default -> throw new IOException("unknown index tag " + tag);
        };
    }

    private static byte tag(KeyIndex index) {
        if (index instanceof BinarySearchIndex) {
            return TAG_BINARY;
        }
        if (index instanceof RadixLinearIndex) {
            return TAG_RADIX_LINEAR;
        }
        if (index instanceof RecursiveModelIndex) {
            return TAG_MODEL_TREE;
        }
        throw new IllegalArgumentException("no stored form for " + index.getClass().getName());
    }
}
