package io.omendb.bench;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

import io.omendb.storage.KeyDistribution;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.SplittableRandom;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;

/** The tuned peer (direct buffers, bloom, hash index) answers exactly as the default one on the same data. */
class RocksPeerTest {
    private static final long CACHE_BYTES = 8L << 20;

    @Test
    void tunedAnswersLikeDefaultForIntegerKeys(@TempDir Path dir) throws Exception {
        differential(dir, KeyDistribution.LOGNORMAL);
    }

    @Test
    void tunedAnswersLikeDefaultForStringKeys(@TempDir Path dir) throws Exception {
        differential(dir, KeyDistribution.STRING_PREFIX);
    }

    private static void differential(Path dir, KeyDistribution d) throws Exception {
        long[] sorted = d.sortedUniqueKeys(3000, 5);
        byte[][] keys = new byte[sorted.length][];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = d.encode(sorted[i]);
        }
        SplittableRandom rnd = new SplittableRandom(3);
        try (RocksPeer plain = RocksPeer.open(Files.createDirectories(dir.resolve("default")),
                RocksPeer.Tuning.DEFAULT, CACHE_BYTES);
             RocksPeer tuned = RocksPeer.open(Files.createDirectories(dir.resolve("tuned")),
                     RocksPeer.Tuning.POINT_LOOKUP, CACHE_BYTES)) {
            // every other key, in memtables, then flushed; the rest after; then one compacted run
            for (int pass = 0; pass < 2; pass++) {
                for (int i = pass; i < keys.length; i += 2) {
                    byte[] v = new byte[1 + rnd.nextInt(40)];
                    rnd.nextBytes(v);
                    plain.put(keys[i], v);
                    tuned.put(keys[i], v);
                }
                assertSameAnswers(plain, tuned, keys, pass == 0 ? 2 : 1);
                plain.flush();
                tuned.flush();
            }
            plain.compact();
            tuned.compact();
            assertSameAnswers(plain, tuned, keys, 1);
        }
    }

    /** Every {@code step}-th key present in both with equal values, absent keys absent, and equal scans. */
    private static void assertSameAnswers(RocksPeer plain, RocksPeer tuned, byte[][] keys, int step)
            throws RocksDBException {
        for (int i = 0; i < keys.length; i += step) {
            byte[] expected = bytes(plain.get(keys[i]));
            assertNotNull(expected, "key " + i);
            assertEquals(ByteBuffer.wrap(expected), tuned.get(keys[i]), "key " + i);
            byte[] absent = java.util.Arrays.copyOf(keys[i], keys[i].length + 1);
            assertNull(plain.get(absent));
            assertNull(tuned.get(absent));
        }
        try (RocksIterator a = plain.newIterator(); RocksIterator b = tuned.newIterator()) {
            for (int i = 0; i < keys.length; i += 97) {
                assertEquals(plain.scan(a, keys[i], 100), tuned.scan(b, keys[i], 100), "scan from key " + i);
            }
        }
    }

    private static byte[] bytes(ByteBuffer b) {
        if (b == null) {
            return null;
        }
        byte[] out = new byte[b.remaining()];
        b.duplicate().get(out);
        return out;
    }
}
