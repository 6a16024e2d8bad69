package io.omendb.benchcluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.Random;

/**
 * The benchmark's key space: {@code keyCount} keys of exactly {@value #KEY_BYTES} ASCII bytes
 * ({@code "key:"} + 12 decimal digits), so key order equals index order and every target can be split at
 * the same points. Values are {@value #VALUE_BYTES} printable ASCII bytes (valid UTF-8, so they travel in
 * OmenDB's JSON batch bodies unencoded), drawn from a seeded random: every target stores the same bytes.
 */
final class KeySpace {
    static final int KEY_BYTES = 16;
    static final int VALUE_BYTES = 100;
    private static final String PREFIX = "key:";
    private static final long INDEX_MAX = 999_999_999_999L;

    private final long keyCount;

    KeySpace(long keyCount) {
        if (keyCount < 1 || keyCount > INDEX_MAX) {
            throw new IllegalArgumentException("key count must be in 1.." + INDEX_MAX + ", got " + keyCount);
        }
        this.keyCount = keyCount;
    }

    long keyCount() {
        return keyCount;
    }

    String keyString(long index) {
        if (index < 0 || index >= keyCount) {
            throw new IllegalArgumentException("key index out of range: " + index);
        }
        return String.format("%s%012d", PREFIX, index);
    }

    byte[] key(long index) {
        return keyString(index).getBytes(StandardCharsets.US_ASCII);
    }

    /** The key just after the last one, as an exclusive scan end for index {@code index + count}. */
    byte[] keyOrEnd(long index) {
        return String.format("%s%012d", PREFIX, Math.min(index, INDEX_MAX)).getBytes(StandardCharsets.US_ASCII);
    }

    /** {@code rangeCount - 1} split keys cutting the key space into equal index intervals. */
    List<String> splitPoints(int rangeCount) {
        List<String> points = new ArrayList<>();
        for (int i = 1; i < rangeCount; i++) {
            points.add(keyString(keyCount * i / rangeCount));
        }
        return points;
    }

    static byte[] value(Random random) {
        return value(random, VALUE_BYTES);
    }

    /** {@code bytes} printable ASCII bytes drawn from {@code random}. */
    static byte[] value(Random random, int bytes) {
        byte[] v = new byte[bytes];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) ('a' + random.nextInt(26));
        }
        return v;
    }
}
