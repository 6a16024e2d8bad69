package io.omendb.storage.index;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;

/**
 * A monotone map from 8-byte keys to dense integers that removes the byte values no trained key uses — the
 * stairs that decimal or hex digits ({@code "user:000123"}: 10 of 256 values in each byte) put into the keys'
 * distribution, which otherwise cost a learned index one leaf per few dozen keys.
 *
 * <p><b>Map.</b> Byte position {@code i} (big-endian) keeps the set {@code A_i} of values the trained keys have
 * there and gets radix {@code R_i = |A_i| + 1} (just {@code 256} when every value occurs). A key maps to the
 * mixed-radix number whose digit {@code i} is the rank of its byte in {@code A_i} (how many members are
 * smaller). At the first byte that is not in {@code A_i} the remaining digits are 0: such a key maps to the
 * smallest image of the keys above it, never past it.
 *
 * <p><b>Guarantees.</b> Non-decreasing in the key (unsigned order); one-to-one on the trained keys, whose images
 * keep their order; every image is below {@code 2^63}. A lower bound found by a model on images is therefore a
 * lower bound on keys. Built only where it compresses: {@link #of} returns {@code null} when the radices'
 * product does not leave at least {@link #SAVED_BITS_MIN} bits unused.
 *
 * <p><b>Cost.</b> Eight independent loads from a 16 KiB table and a running mask (no branches). Immutable.
 */
final class ByteAlphabet {
    private static final int POSITIONS = 8;
    private static final int SEEN_WORDS = POSITIONS * 4;
    private static final int SAVED_BITS_MIN = 8;
    /** Memory of the lookup table. */
    static final int TABLE_BYTES = POSITIONS * 256 * Long.BYTES;

    private final long[] seen;
    /** {@code rank * weight} per (position, byte); the sign bit marks a value the trained keys lack there. */
    private final long[] table;

    private ByteAlphabet(long[] seen, long[] table) {
        this.seen = seen;
        this.table = table;
    }

    /** The alphabet of {@code keys}, or {@code null} when it would not shrink the key space by a byte. */
    static ByteAlphabet of(long[] keys) {
        if (keys.length == 0) {
            return null;
        }
        long[] seen = new long[SEEN_WORDS];
        for (long k : keys) {
            for (int i = 0; i < POSITIONS; i++) {
                int b = byteAt(k, i);
                seen[i * 4 + (b >>> 6)] |= 1L << b;
            }
        }
        return fromSeen(seen);
    }

    private static ByteAlphabet fromSeen(long[] seen) {
        long[] radix = new long[POSITIONS];
        long product = 1;
        for (int i = 0; i < POSITIONS; i++) {
            int count = 0;
            for (int w = 0; w < 4; w++) {
                count += Long.bitCount(seen[i * 4 + w]);
            }
            if (count == 0) {
                return null;
            }
            radix[i] = count == 256 ? 256 : count + 1;
            if (product > (Long.MAX_VALUE >>> SAVED_BITS_MIN) / radix[i]) {
                return null;
            }
            product *= radix[i];
        }
        long[] table = new long[POSITIONS * 256];
        long weight = 1;
        for (int i = POSITIONS - 1; i >= 0; i--) {
            long rank = 0;
            for (int b = 0; b < 256; b++) {
                boolean present = (seen[i * 4 + (b >>> 6)] & (1L << b)) != 0;
                table[i * 256 + b] = rank * weight | (present ? 0 : Long.MIN_VALUE);
                if (present) {
                    rank++;
                }
            }
            weight *= radix[i];
        }
        return new ByteAlphabet(seen, table);
    }

    private static int byteAt(long key, int position) {
        return (int) (key >>> (56 - 8 * position)) & 0xFF;
    }

    long apply(long key) {
        long t = 0;
        long mask = -1;
        for (int i = 0; i < POSITIONS; i++) {
            long e = table[i * 256 + byteAt(key, i)];
            t += e & mask & Long.MAX_VALUE;
            mask &= ~(e >> 63); // after the first byte outside the alphabet, the lower digits stay 0
        }
        return t;
    }

    /** Images of sorted keys, in the same order. */
    long[] applyAll(long[] keys) {
        long[] t = new long[keys.length];
        for (int i = 0; i < keys.length; i++) {
            t[i] = apply(keys[i]);
        }
        return t;
    }

    void writeTo(DataOutput out) throws IOException {
        for (long w : seen) {
            out.writeLong(w);
        }
    }

    static ByteAlphabet read(DataInput in) throws IOException {
        long[] seen = new long[SEEN_WORDS];
        for (int i = 0; i < SEEN_WORDS; i++) {
            seen[i] = in.readLong();
        }
        ByteAlphabet a = fromSeen(seen);
        if (a == null) {
            throw new IOException("byte alphabet does not compress the keys");
        }
        return a;
    }
}
