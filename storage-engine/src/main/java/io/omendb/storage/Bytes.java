package io.omendb.storage;

import java.util.Arrays;
import java.util.Comparator;

/**
 * Byte-string helpers shared by the engine. Keys order as unsigned bytes everywhere (memtable, segments,
 * scans), so every comparison in the engine goes through {@link #compare}.
 *
 * <p>The "head" of a key is the first 8 bytes after a segment's common prefix, read big-endian and
 * zero-padded, as an unsigned 64-bit number. Heads are what the learned index is trained on: for any two
 * suffixes s &lt; t, head(s) &lt;= head(t), so a lower bound on heads is a lower bound on keys.
 */
public final class Bytes {
    public static final Comparator<byte[]> UNSIGNED = Arrays::compareUnsigned;

    private Bytes() {
    }

    public static int compare(byte[] a, byte[] b) {
        return Arrays.compareUnsigned(a, b);
    }

    /** Length of the longest common prefix of {@code a} and {@code b}. */
    public static int commonPrefix(byte[] a, byte[] b) {
        int mismatch = Arrays.mismatch(a, b);
        return mismatch < 0 ? a.length : mismatch;
    }

    /** The 8 bytes of {@code key} starting at {@code from}, big-endian, zero-padded, as an unsigned long. */
    public static long head(byte[] key, int from) {
        long h = 0;
        int end = Math.min(key.length, from + 8);
        int i = from;
        for (; i < end; i++) {
            h = (h << 8) | (key[i] & 0xFF);
        }
        return h << (8 * (8 - (end - from)));
    }

    /** Same as {@link #head(byte[], int)} for a key stored at {@code blob[off, off+len)}. */
    public static long head(byte[] blob, int off, int len, int from) {
        long h = 0;
        int end = Math.min(len, from + 8);
        int i = from;
        for (; i < end; i++) {
            h = (h << 8) | (blob[off + i] & 0xFF);
        }
        return h << (8 * (8 - (end - from)));
    }

    /** True when {@code key} starts with {@code prefix}. */
    public static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length
                && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    /** The smallest key greater than {@code key} in unsigned byte order: {@code key} followed by a zero byte. */
    public static byte[] successor(byte[] key) {
        return Arrays.copyOf(key, key.length + 1);
    }

    /** {@code a} followed by {@code b}. */
    public static byte[] concat(byte[] a, byte[] b) {
        byte[] out = Arrays.copyOf(a, a.length + b.length);
        System.arraycopy(b, 0, out, a.length, b.length);
        return out;
    }

    /** Lower-case hex, for messages and file digests. */
    public static String hex(byte[] bytes) {
        StringBuilder sb = new StringBuilder(bytes.length * 2);
        for (byte b : bytes) {
            sb.append(Character.forDigit((b >> 4) & 0xF, 16)).append(Character.forDigit(b & 0xF, 16));
        }
        return sb.toString();
    }
}
