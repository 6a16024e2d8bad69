package io.omendb.storage.index;

import io.omendb.storage.KeyDistribution;
import io.omendb.storage.ModelType;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RecursiveModelIndexTest {

    static Stream<Arguments> distributionsAndBounds() {
        return Arrays.stream(KeyDistribution.values())
                .flatMap(d -> Stream.of(4, 32, 256).map(e -> Arguments.of(d, e)));
    }

    @ParameterizedTest(name = "{0} max_error={1}")
    @MethodSource("distributionsAndBounds")
    void everyLeafKeepsTheBoundAndEveryLookupIsExact(KeyDistribution dist, int maxError) {
        long[] keys = dist.sortedUniqueKeys(60_000, 42 + maxError);
        RecursiveModelIndex index = RecursiveModelIndex.buildRecursive(keys, maxError);
        IndexStats stats = index.stats();
        assertTrue(stats.maxError() <= maxError, dist + ": leaf error " + stats.maxError() + " > " + maxError);
        assertLowerBoundsExact(keys, index, 7);
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void everyModelTypeAnswersExactLowerBounds(ModelType type) {
        for (KeyDistribution dist : KeyDistribution.values()) {
            long[] keys = dist.sortedUniqueKeys(20_000, 3);
            assertLowerBoundsExact(keys, IndexCodec.build(type, keys, 16), 11);
        }
    }

    @ParameterizedTest(name = "max_error={0}")
    @MethodSource("bounds")
    void duplicateRunsLongerThanTheBoundStillKeepIt(int maxError) {
        long[] keys = keysWithLongRuns(false);
        RecursiveModelIndex index = RecursiveModelIndex.buildRecursive(keys, maxError);
        assertTrue(index.stats().maxError() <= maxError);
        assertLowerBoundsExact(keys, index, 13);
    }

    /**
     * 50,000 sorted keys where one run in ten repeats a key up to 2,000 times; with {@code adjacentRuns} one
     * key in five also follows the previous one at distance 1 or 2 (a run that ends right before key + 1).
     */
    static long[] keysWithLongRuns(boolean adjacentRuns) {
        SplittableRandom rnd = new SplittableRandom(5);
        long[] keys = new long[50_000];
        long k = 0;
        for (int i = 0; i < keys.length; ) {
            int run = rnd.nextInt(10) == 0 ? 1 + rnd.nextInt(2_000) : 1;
            k += 1 + rnd.nextInt(adjacentRuns && rnd.nextInt(5) == 0 ? 2 : 1_000);
            for (int j = 0; j < run && i < keys.length; j++) {
                keys[i++] = k;
            }
        }
        return keys;
    }

    static Stream<Integer> bounds() {
        return Stream.of(1, 8, 64);
    }

    @ParameterizedTest
    @EnumSource(value = KeyDistribution.class, names = {"UNIFORM", "CLUSTERED", "OUTLIERS"})
    void serializedModelAnswersTheSame(KeyDistribution dist) throws IOException {
        long[] keys = dist.sortedUniqueKeys(30_000, 9);
        KeyIndex index = IndexCodec.build(ModelType.RECURSIVE, keys, 16);
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        IndexCodec.write(index, new DataOutputStream(bytes));
        KeyIndex copy = IndexCodec.read(new DataInputStream(new ByteArrayInputStream(bytes.toByteArray())), keys);
        assertEquals(index.stats(), copy.stats());
        assertLowerBoundsExact(keys, copy, 17);
    }

    @ParameterizedTest
    @EnumSource(ModelType.class)
    void tinyAndEmptyArrays(ModelType type) {
        for (long[] keys : new long[][]{{}, {5}, {5, 5, 5}, {0, -1L}, {1, 2}, {Long.MIN_VALUE, -1L}}) {
            assertLowerBoundsExact(keys, IndexCodec.build(type, keys, 1), 19);
        }
    }

    /** Every key, its neighbours, and random probes must match a plain unsigned lower bound. */
    static void assertLowerBoundsExact(long[] keys, KeyIndex index, long seed) {
        assertLowerBoundsExact(keys, index, seed, 1);
    }

    /** The same, probing every {@code keyStride}-th key and its neighbours (for arrays of millions). */
    static void assertLowerBoundsExact(long[] keys, KeyIndex index, long seed, int keyStride) {
        for (int i = 0; i < keys.length; i += keyStride) {
            for (long probe : new long[]{keys[i], keys[i] - 1, keys[i] + 1}) {
                assertEquals(reference(keys, probe), index.lowerBound(probe), "probe " + Long.toUnsignedString(probe));
            }
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = 0; i < 20_000; i++) {
            long probe = rnd.nextLong();
            assertEquals(reference(keys, probe), index.lowerBound(probe));
        }
        assertEquals(reference(keys, 0), index.lowerBound(0));
        assertEquals(reference(keys, -1L), index.lowerBound(-1L));
    }

    private static int reference(long[] keys, long key) {
        int lo = 0;
        int hi = keys.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(keys[mid], key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }
}
