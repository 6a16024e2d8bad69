package io.omendb.storage;

import java.nio.ByteBuffer;
import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.Locale;
import java.util.SplittableRandom;

/**
 * Seeded key generators for the engine's differential tests and the {@code engine} benchmark: the SOSD-style
 * distributions a learned index is judged on, plus adversarial ones that break naive RMIs. Every generator
 * returns keys in {@code [0, 2^63)}, so signed and unsigned order agree and {@code Arrays.binarySearch} is a
 * fair baseline. {@link #encode} turns a key into the bytes stored in the engine.
 */
public enum KeyDistribution {
    /** Uniform 63-bit integers. */
    UNIFORM,
    /** exp(N(0, 2)) scaled by 1e9, as in SOSD's lognormal. */
    LOGNORMAL,
    /** Mostly consecutive ids with occasional large gaps (deleted ranges, id blocks). */
    SEQUENTIAL_GAPS,
    /** Dense clusters of very different sizes and widths scattered over the key space (OSM-cell-like). */
    CLUSTERED,
    /** "user:000000123"-style strings: long common prefix, decimal suffix. */
    STRING_PREFIX,
    /** Adversarial: powers of two with small offsets (each octave a cluster; breaks a linear root). */
    EXPONENTIAL,
    /** Adversarial: a dense block plus a few extreme outliers that squeeze every other key together. */
    OUTLIERS;

    public String configName() {
        return name().toLowerCase(Locale.ROOT);
    }

    public static KeyDistribution parse(String s) {
        for (KeyDistribution d : values()) {
            if (d.configName().equals(s)) {
                return d;
            }
        }
        throw new IllegalArgumentException("unknown distribution '" + s + "', expected one of "
                + Arrays.toString(Arrays.stream(values()).map(KeyDistribution::configName).toArray()));
    }

    /** {@code n} distinct keys, sorted ascending. Deterministic for a given seed. */
    public long[] sortedUniqueKeys(int n, long seed) {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] keys = new long[n];
        int have = 0;
        long seqNext = rnd.nextLong(1L << 40);
        while (have < n) {
            int batch = n - have;
            for (int i = 0; i < batch; i++) {
                keys[have + i] = next(rnd, have + i, n, seqNext);
                if (this == SEQUENTIAL_GAPS) {
                    seqNext = keys[have + i] + 1;
                }
            }
            Arrays.sort(keys, 0, n);
            have = dedupe(keys, n);
        }
        return keys;
    }

    private long next(SplittableRandom rnd, int i, int n, long seqNext) {
        return switch (this) {
            case UNIFORM -> rnd.nextLong() >>> 1;
            case LOGNORMAL -> Math.min(Long.MAX_VALUE - 1, (long) (Math.exp(gaussian(rnd) * 2.0) * 1e9));
            case SEQUENTIAL_GAPS -> seqNext + (rnd.nextInt(100) == 0 ? rnd.nextLong(1_000_000) : 0);
            case CLUSTERED -> clustered(rnd);
            case STRING_PREFIX -> rnd.nextLong(1_000_000_000_000L);
            case EXPONENTIAL -> (1L << rnd.nextInt(62)) + rnd.nextLong(1L << 20);
            case OUTLIERS -> i < 4 ? Long.MAX_VALUE - rnd.nextLong(1L << 20) : 1_000_000L + rnd.nextLong(Math.max(16L, 4L * n));
        };
    }

    /** Cluster c (of 4096) sits at a hashed position; cluster sizes follow a power law, widths vary by 2^20. */
    private static long clustered(SplittableRandom rnd) {
        int c = (int) Math.floor(4096 * Math.pow(rnd.nextDouble(), 3));
        long center = (mix(c) >>> 2) + (1L << 60);
        long width = 1L << (8 + (int) (mix(c + 7919) >>> 59) % 20);
        return center + (long) (gaussian(rnd) * width);
    }

    private static long mix(long z) {
        z = (z ^ (z >>> 33)) * 0xff51afd7ed558ccdL;
        z = (z ^ (z >>> 33)) * 0xc4ceb9fe1a85ec53L;
        return z ^ (z >>> 33);
    }

    private static double gaussian(SplittableRandom rnd) {
        double u = 1.0 - rnd.nextDouble();
        double v = rnd.nextDouble();
        return Math.sqrt(-2 * Math.log(u)) * Math.cos(2 * Math.PI * v);
    }

    private static int dedupe(long[] keys, int n) {
        int out = 0;
        for (int i = 0; i < n; i++) {
            if (out == 0 || keys[i] != keys[out - 1]) {
                keys[out++] = keys[i];
            }
        }
        return out;
    }

    /** The engine key for {@code k}: 8 bytes big-endian, or the "user:" decimal string for STRING_PREFIX. */
    public byte[] encode(long k) {
        if (this == STRING_PREFIX) {
            return String.format("user:%012d", k).getBytes(StandardCharsets.US_ASCII);
        }
        return ByteBuffer.allocate(8).putLong(k).array();
    }
}
