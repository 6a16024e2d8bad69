package io.omendb.storage;

import java.util.Arrays;

/**
 * Accumulates records in strictly ascending key order into columnar arrays, then freezes them into the pieces
 * of a {@link Segment}: the common prefix, the key heads the model is trained on, the keys, the small values
 * and the {@link ValueRefs} of large values (which stay in the segment file: {@link #addRef}).
 * Single-threaded; used by {@link SegmentFile.Writer} (flush, compaction) and by segment loading.
 *
 * <p>The prefix is fixed up front (every key must start with it) because the writer streams blocks, which store
 * keys without the prefix, before it has seen the last key. Heap held: {@link #retainedBytes()}, which is about
 * keys + small values + 24 bytes per large value, never the large values themselves.
 */
final class SegmentBuilder {
    private final byte[] prefix;
    private final ValueRefs refs = new ValueRefs();
    private byte[] keyBlob = new byte[1024];
    private int keyBytes;
    private int[] keyOff = new int[65];
    private byte[] valBlob = new byte[1024];
    private int valBytes;
    private int[] valOff = new int[65];
    private long[] tombstones = new long[1];
    private boolean anyTombstone;
    private int count;
    private long dataBytes;

    SegmentBuilder(byte[] prefix) {
        this.prefix = prefix;
    }

    /** Adds a record; {@code value == null} is a tombstone. Keys must arrive in strictly ascending order. */
    void add(byte[] key, byte[] value) {
        add(key, 0, key.length, value, 0, value == null ? -1 : value.length);
    }

    /** Same as {@link #add(byte[], byte[])} with slices; {@code valueLen < 0} is a tombstone. */
    void add(byte[] k, int kOff, int kLen, byte[] v, int vOff, int vLen) {
        addKey(k, kOff, kLen);
        if (vLen < 0) {
            tombstones[count >>> 6] |= 1L << count;
            anyTombstone = true;
        } else {
            valBlob = grow(valBlob, valBytes + vLen);
            System.arraycopy(v, vOff, valBlob, valBytes, vLen);
            valBytes += vLen;
        }
        valOff[count + 1] = valBytes;
        dataBytes += kLen + Math.max(0, vLen);
        count++;
    }

    /**
     * Adds a record whose value stays on disk: {@code vLen} bytes at {@code vOff} of the raw payload of the block
     * starting at file position {@code blockStart} (its length is given later by {@link #closeBlock}).
     */
    void addRef(byte[] k, int kOff, int kLen, long blockStart, int vOff, int vLen) {
        addKey(k, kOff, kLen);
        refs.add(count, blockStart, vOff, vLen);
        valOff[count + 1] = valBytes;
        dataBytes += kLen + vLen;
        count++;
    }

    /** The block holding the refs added since the last call takes {@code bytes} bytes in the file. */
    void closeBlock(int bytes) {
        refs.closeBlock(bytes);
    }

    private void addKey(byte[] k, int kOff, int kLen) {
        assert count == 0 || Arrays.compareUnsigned(keyBlob, keyOff[count - 1], keyOff[count], k, kOff, kOff + kLen) < 0
                : "keys must be strictly ascending";
        assert kLen >= prefix.length && Arrays.equals(k, kOff, kOff + prefix.length, prefix, 0, prefix.length)
                : "every key must start with the segment's prefix";
        ensure(count + 2);
        keyBlob = grow(keyBlob, keyBytes + kLen);
        System.arraycopy(k, kOff, keyBlob, keyBytes, kLen);
        keyBytes += kLen;
        keyOff[count + 1] = keyBytes;
    }

    int count() {
        return count;
    }

    /** Bytes of the records added so far (keys + all values, inline or not): the segment's logical size. */
    long dataBytes() {
        return dataBytes;
    }

    /** Heap held by this builder's arrays (capacities): keys, small values, offsets, tombstones, value refs. */
    long retainedBytes() {
        return (long) keyBlob.length + valBlob.length + 4L * (keyOff.length + valOff.length) + 8L * tombstones.length
                + refs.retainedBytes();
    }

    private void ensure(int slots) {
        if (slots > keyOff.length) {
            int n = Math.max(slots, keyOff.length * 2);
            keyOff = Arrays.copyOf(keyOff, n);
            valOff = Arrays.copyOf(valOff, n);
        }
        if ((slots >>> 6) + 1 > tombstones.length) {
            tombstones = Arrays.copyOf(tombstones, Math.max((slots >>> 6) + 1, tombstones.length * 2));
        }
    }

    private static byte[] grow(byte[] a, int needed) {
        if (needed <= a.length) {
            return a;
        }
        if (needed < 0) {
            throw new IllegalStateException("segment exceeds 2 GiB of keys or values");
        }
        return Arrays.copyOf(a, (int) Math.min(Integer.MAX_VALUE - 8, Math.max(needed, (long) a.length * 2)));
    }

    /** The frozen columns. Arrays are trimmed; the builder must not be used afterwards. */
    Columns finish() {
        long[] heads = new long[count];
        for (int i = 0; i < count; i++) {
            heads[i] = Bytes.head(keyBlob, keyOff[i], keyOff[i + 1] - keyOff[i], prefix.length);
        }
        return new Columns(count, prefix, heads, Arrays.copyOf(keyBlob, keyBytes), Arrays.copyOf(keyOff, count + 1),
                Arrays.copyOf(valBlob, valBytes), Arrays.copyOf(valOff, count + 1),
                anyTombstone ? Arrays.copyOf(tombstones, (count >>> 6) + 1) : null,
                refs.isEmpty() ? ValueRefs.NONE : refs.trim(), dataBytes);
    }

    /**
     * Columnar records: key i is {@code keyBlob[keyOff[i], keyOff[i+1])}; its value is {@code valBlob[valOff[i],
     * valOff[i+1])} unless {@code refs} has it on disk; tombstone bitmap null when none; {@code dataBytes} = keys +
     * all values.
     */
    record Columns(int count, byte[] prefix, long[] heads, byte[] keyBlob, int[] keyOff, byte[] valBlob,
                   int[] valOff, long[] tombstones, ValueRefs refs, long dataBytes) {
    }
}
