package io.omendb.storage;

import java.util.Arrays;

/**
 * Accumulates records in strictly ascending key order into columnar arrays, then freezes them into the pieces
 * of a {@link Segment}: the common prefix, the key heads the model is trained on, and the blobs.
 * Single-threaded; used by flush, compaction and segment loading.
 */
final class SegmentBuilder {
    private byte[] keyBlob = new byte[1024];
    private int keyBytes;
    private int[] keyOff = new int[65];
    private byte[] valBlob = new byte[1024];
    private int valBytes;
    private int[] valOff = new int[65];
    private long[] tombstones = new long[1];
    private boolean anyTombstone;
    private int count;

    /** Adds a record; {@code value == null} is a tombstone. Keys must arrive in strictly ascending order. */
    void add(byte[] key, byte[] value) {
        add(key, 0, key.length, value, 0, value == null ? -1 : value.length);
    }

    /** Same as {@link #add(byte[], byte[])} with slices; {@code valueLen < 0} is a tombstone. */
    void add(byte[] k, int kOff, int kLen, byte[] v, int vOff, int vLen) {
        assert count == 0 || Arrays.compareUnsigned(keyBlob, keyOff[count - 1], keyOff[count], k, kOff, kOff + kLen) < 0
                : "keys must be strictly ascending";
        ensure(count + 2);
        keyBlob = grow(keyBlob, keyBytes + kLen);
        System.arraycopy(k, kOff, keyBlob, keyBytes, kLen);
        keyBytes += kLen;
        keyOff[count + 1] = keyBytes;
        if (vLen < 0) {
            tombstones[count >>> 6] |= 1L << count;
            anyTombstone = true;
        } else {
            valBlob = grow(valBlob, valBytes + vLen);
            System.arraycopy(v, vOff, valBlob, valBytes, vLen);
            valBytes += vLen;
        }
        valOff[count + 1] = valBytes;
        count++;
    }

    int count() {
        return count;
    }

    /** Bytes buffered so far (keys + values), to cut segments at a size. */
    long bytes() {
        return (long) keyBytes + valBytes;
    }

    byte[] lastKey() {
        return Arrays.copyOfRange(keyBlob, keyOff[count - 1], keyOff[count]);
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
        byte[] prefix = count == 0 ? new byte[0]
                : Arrays.copyOf(keyBlob, commonPrefix(keyOff[0], keyOff[1], keyOff[count - 1], keyOff[count]));
        long[] heads = new long[count];
        for (int i = 0; i < count; i++) {
            heads[i] = Bytes.head(keyBlob, keyOff[i], keyOff[i + 1] - keyOff[i], prefix.length);
        }
        return new Columns(count, prefix, heads, Arrays.copyOf(keyBlob, keyBytes), Arrays.copyOf(keyOff, count + 1),
                Arrays.copyOf(valBlob, valBytes), Arrays.copyOf(valOff, count + 1),
                anyTombstone ? Arrays.copyOf(tombstones, (count >>> 6) + 1) : null);
    }

    private int commonPrefix(int aFrom, int aTo, int bFrom, int bTo) {
        int m = Arrays.mismatch(keyBlob, aFrom, aTo, keyBlob, bFrom, bTo);
        return m < 0 ? aTo - aFrom : m;
    }

    /** Columnar records: key i is {@code keyBlob[keyOff[i], keyOff[i+1])}; tombstone bitmap null when none. */
    record Columns(int count, byte[] prefix, long[] heads, byte[] keyBlob, int[] keyOff, byte[] valBlob,
                   int[] valOff, long[] tombstones) {
    }
}
