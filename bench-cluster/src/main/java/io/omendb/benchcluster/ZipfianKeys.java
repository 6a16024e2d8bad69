package io.omendb.benchcluster;

import java.util.Random;

/**
 * Zipfian key choice as in YCSB (Gray et al., "Quickly generating billion-record synthetic databases"):
 * rank r in [0, n) is drawn with probability proportional to 1 / (r + 1)^theta. With {@code scrambled}, the
 * rank is hashed (FNV-1a 64) onto the key space, so the hot keys are spread over all ranges instead of all
 * sitting in the first one (YCSB's ScrambledZipfian does the same; a few keys collide and are never chosen).
 *
 * <p>Construction sums n terms once (about 10 ms for 1M keys); {@link #next()} is O(1). Not thread-safe: one
 * instance per client thread, each with its own seeded {@link Random}.
 */
final class ZipfianKeys implements KeyChooser {
    static final double THETA_YCSB = 0.99;

    private final long n;
    private final double theta;
    private final double zetaN;
    private final double alpha;
    private final double eta;
    private final Random random;
    private final boolean scrambled;

    ZipfianKeys(long n, double theta, Random random, boolean scrambled) {
        if (n < 2) {
            throw new IllegalArgumentException("zipfian needs at least 2 items, got " + n);
        }
        if (!(theta > 0 && theta < 1)) {
            throw new IllegalArgumentException("zipfian theta must be in (0, 1), got " + theta);
        }
        this.n = n;
        this.theta = theta;
        this.zetaN = zeta(n, theta);
        this.alpha = 1.0 / (1.0 - theta);
        double zeta2 = zeta(2, theta);
        this.eta = (1 - Math.pow(2.0 / n, 1 - theta)) / (1 - zeta2 / zetaN);
        this.random = random;
        this.scrambled = scrambled;
    }

    static double zeta(long n, double theta) {
        double sum = 0;
        for (long i = 1; i <= n; i++) {
            sum += 1.0 / Math.pow(i, theta);
        }
        return sum;
    }

    /** Probability of rank 0 (the hottest item): 1 / zeta(n). */
    double hottestProbability() {
        return 1.0 / zetaN;
    }

    long nextRank() {
        double u = random.nextDouble();
        double uz = u * zetaN;
        if (uz < 1.0) {
            return 0;
        }
        if (uz < 1.0 + Math.pow(0.5, theta)) {
            return 1;
        }
        long rank = (long) (n * Math.pow(eta * u - eta + 1, alpha));
        return Math.min(rank, n - 1);
    }

    @Override
    public long next() {
        long rank = nextRank();
        return scrambled ? Math.floorMod(fnv1a64(rank), n) : rank;
    }

    static long fnv1a64(long value) {
        long hash = 0xcbf29ce484222325L;
        for (int i = 0; i < 8; i++) {
            hash ^= (value >>> (8 * i)) & 0xff;
            hash *= 0x100000001b3L;
        }
        return hash;
    }
}
