package io.omendb.storage;

import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.EnumSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;

import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * {@link StorageEngine#estimateMedianKey()} lands on the true byte median (keys + values, measured by a full scan):
 * within one record when no key is in two segments, within 5 % of the bytes with 20 % of the keys overwritten in
 * newer segments, and within one record again after a full compaction. Values are skewed (small in the low half of
 * the keys, up to 2 KiB in the high half, some kept on disk), so a median by record count would fail.
 */
class MedianEstimatorTest {
    private static final int KEYS = 20_000;
    private static final int FLUSH_EVERY = 4_000;

    @TempDir
    Path tmp;

    @ParameterizedTest
    @EnumSource(value = KeyDistribution.class, names = {"UNIFORM", "LOGNORMAL", "STRING_PREFIX", "CLUSTERED"})
    void estimateLandsOnTheByteMedian(KeyDistribution dist) throws IOException {
        EngineOptions opts = EngineOptions.defaults().withFsync(false).withRetrainThreshold(1 << 20)
                .withValueBytesInlineMax(256);
        long[] keys = dist.sortedUniqueKeys(KEYS, 11);
        SplittableRandom rnd = new SplittableRandom(11);
        try (StorageEngine e = StorageEngine.open(tmp.resolve(dist.name()), opts)) {
            assertNull(e.estimateMedianKey(), "an empty engine has no split key");
            for (int i = 0; i < KEYS; i++) {
                int rank = (int) ((i * 7_919L) % KEYS); // a stride coprime with KEYS: every key once, scattered
                e.put(dist.encode(keys[rank]), value(rank, rnd));
                if ((i + 1) % FLUSH_EVERY == 0) {
                    e.flush();
                }
            }
            e.flush();
            assertWithin(e, maxRecordBytes(e), "distinct keys in several segments");
            for (int i = 0; i < KEYS / 5; i++) {
                int rank = rnd.nextInt(KEYS);
                e.put(dist.encode(keys[rank]), value(rank, rnd));
            }
            e.flush();
            assertWithin(e, totalBytes(e) / 20, "20 % of keys overwritten in a newer segment");
            e.compact();
            assertWithin(e, maxRecordBytes(e), "after a full compaction");
        }
    }

    private static void assertWithin(StorageEngine e, long toleranceBytes, String what) {
        byte[] m = e.estimateMedianKey();
        assertNotNull(m);
        long total = 0;
        long below = 0;
        for (KeyValue kv : e.scan(new byte[0], null, Integer.MAX_VALUE)) {
            long bytes = kv.key().length + kv.value().length;
            total += bytes;
            if (Bytes.compare(kv.key(), m) < 0) {
                below += bytes;
            }
        }
        long off = Math.abs(below - total / 2);
        assertTrue(off <= toleranceBytes, what + ": " + below + " of " + total + " bytes below the estimate, "
                + off + " from the median, tolerance " + toleranceBytes);
    }

    private static long totalBytes(StorageEngine e) {
        long total = 0;
        for (KeyValue kv : e.scan(new byte[0], null, Integer.MAX_VALUE)) {
            total += kv.key().length + kv.value().length;
        }
        return total;
    }

    private static long maxRecordBytes(StorageEngine e) {
        long max = 0;
        for (KeyValue kv : e.scan(new byte[0], null, Integer.MAX_VALUE)) {
            max = Math.max(max, kv.key().length + kv.value().length);
        }
        return max;
    }

    /** Small values for the low half of the keys, up to 2 KiB (some on disk) for the high half. */
    private static byte[] value(int rank, SplittableRandom rnd) {
        int len = rank < KEYS / 2 ? rnd.nextInt(32) : rnd.nextInt(2048);
        byte[] v = new byte[len];
        rnd.nextBytes(v);
        return v;
    }
}
