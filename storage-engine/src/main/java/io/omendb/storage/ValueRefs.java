package io.omendb.storage;

import java.util.Arrays;

/**
 * Where a segment's large values are on disk. A value longer than {@code valueBytesInlineMax} is not kept in
 * the heap: the segment remembers the data block that holds it (file position and length, so one positional
 * read fetches the block and its CRC32C) and the value's offset and length inside the block's raw payload.
 *
 * <p>Records are added in ascending position order, so {@link #indexOf} is a binary search. About 24 bytes of
 * heap per large value, whatever its size: this is what keeps a segment's heap (and a compaction's) bounded by
 * its record count instead of its bytes. Single-threaded while built; immutable once {@link #trim()}med.
 */
final class ValueRefs {
    static final ValueRefs NONE = new ValueRefs().trim();

    private int[] position = new int[8];
    private long[] blockPos = new long[8];
    private int[] blockLen = new int[8];
    private int[] offset = new int[8];
    private int[] length = new int[8];
    private long[] bytesBefore = new long[1]; // bytesBefore[i]: sum of the lengths of refs 0..i-1 (set by trim)
    private int count;
    private int openFrom; // first ref whose block has not been written yet (block length unknown)

    /** Records that record {@code pos} has its value at {@code off, len} of the block starting at {@code blockStart}. */
    void add(int pos, long blockStart, int off, int len) {
        assert count == 0 || position[count - 1] < pos : "positions must ascend";
        if (count == position.length) {
            int n = count * 2;
            position = Arrays.copyOf(position, n);
            blockPos = Arrays.copyOf(blockPos, n);
            blockLen = Arrays.copyOf(blockLen, n);
            offset = Arrays.copyOf(offset, n);
            length = Arrays.copyOf(length, n);
        }
        position[count] = pos;
        blockPos[count] = blockStart;
        offset[count] = off;
        length[count] = len;
        count++;
    }

    /** The block that the refs added since the last call live in was written with {@code bytes} bytes on disk. */
    void closeBlock(int bytes) {
        for (int i = openFrom; i < count; i++) {
            blockLen[i] = bytes;
        }
        openFrom = count;
    }

    ValueRefs trim() {
        assert openFrom == count : "a ref's block was never closed";
        position = Arrays.copyOf(position, count);
        blockPos = Arrays.copyOf(blockPos, count);
        blockLen = Arrays.copyOf(blockLen, count);
        offset = Arrays.copyOf(offset, count);
        length = Arrays.copyOf(length, count);
        bytesBefore = new long[count + 1];
        for (int i = 0; i < count; i++) {
            bytesBefore[i + 1] = bytesBefore[i] + length[i];
        }
        return this;
    }

    boolean isEmpty() {
        return count == 0;
    }

    int count() {
        return count;
    }

    /** Index of record {@code pos}'s ref, or a negative number when its value is inline. */
    int indexOf(int pos) {
        return Arrays.binarySearch(position, 0, count, pos);
    }

    long blockPos(int ref) {
        return blockPos[ref];
    }

    int blockLen(int ref) {
        return blockLen[ref];
    }

    int offset(int ref) {
        return offset[ref];
    }

    int length(int ref) {
        return length[ref];
    }

    /** Sum of the lengths of the values referred to. */
    long valueBytes() {
        return bytesBefore[count];
    }

    /** Sum of the lengths of the values of records at positions {@code < pos} (after {@link #trim()}). */
    long bytesBefore(int pos) {
        if (count == 0) {
            return 0;
        }
        int i = Arrays.binarySearch(position, 0, count, pos);
        return bytesBefore[i >= 0 ? i : -i - 1];
    }

    /** Heap held by the arrays (capacity, not count). */
    long retainedBytes() {
        return (long) position.length * (4 + 8 + 4 + 4 + 4 + 8);
    }
}
