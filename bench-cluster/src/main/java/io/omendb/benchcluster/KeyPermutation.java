package io.omendb.benchcluster;

import java.math.BigInteger;

/**
 * A permutation of the key indices {@code 0..keyCount-1} that spreads any prefix of it evenly over the key space:
 * {@code index(i) = i * stride mod keyCount}, with {@code stride} the integer nearest {@code keyCount / phi} (phi the
 * golden ratio) that is coprime with {@code keyCount}. Coprime makes it a bijection, so an ingest that writes
 * {@code index(0), index(1), ...} writes every key exactly once; the golden-ratio stride makes the first {@code n}
 * indices a low-discrepancy sequence, so at every moment of the ingest each part of the key space has received about
 * its share (every range grows at the same pace), unlike sequential keys, which fill one range at a time.
 *
 * <p>Immutable and thread-safe. The product is taken in {@link BigInteger} (it may pass 2^63); its cost is noise
 * beside the HTTP write it picks the key of.
 */
final class KeyPermutation {
    private static final double GOLDEN_RATIO = (1 + Math.sqrt(5)) / 2;

    private final long keyCount;
    private final long stride;

    KeyPermutation(long keyCount) {
        if (keyCount < 1) {
            throw new IllegalArgumentException("key count must be >= 1, got " + keyCount);
        }
        this.keyCount = keyCount;
        long s = Math.max(1, Math.round(keyCount / GOLDEN_RATIO));
        while (BigInteger.valueOf(s).gcd(BigInteger.valueOf(keyCount)).longValue() != 1) {
            s++;
        }
        this.stride = s;
    }

    long keyCount() {
        return keyCount;
    }

    long stride() {
        return stride;
    }

    /** The key index written {@code i}-th, {@code 0 <= i < keyCount}. */
    long index(long i) {
        if (i < 0 || i >= keyCount) {
            throw new IllegalArgumentException("position out of range 0.." + (keyCount - 1) + ": " + i);
        }
        return BigInteger.valueOf(i).multiply(BigInteger.valueOf(stride)).mod(BigInteger.valueOf(keyCount)).longValue();
    }
}
