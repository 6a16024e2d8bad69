package io.omendb.benchcluster;

import java.util.Random;

/**
 * Chooses the next key index in [0, keyCount). One instance per client thread (not thread-safe); each is
 * built from a seed so a run's key sequence can be replayed.
 */
interface KeyChooser {
    long next();

    static KeyChooser of(String distribution, long keyCount, long seed) {
        return switch (distribution) {
            case "uniform" -> new Uniform(keyCount, new Random(seed));
            case "zipfian" -> new ZipfianKeys(keyCount, ZipfianKeys.THETA_YCSB, new Random(seed), true);
            default -> throw new IllegalArgumentException(
                    "unknown key distribution '" + distribution + "' (use uniform or zipfian)");
        };
    }

    record Uniform(long keyCount, Random random) implements KeyChooser {
        @Override
        public long next() {
            return Math.floorMod(random.nextLong(), keyCount);
        }
    }
}
