package io.omendb.storage.index;

import io.omendb.storage.Bytes;
import io.omendb.storage.KeyDistribution;
import io.omendb.storage.ModelType;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.EnumSource;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.util.Arrays;
import java.util.SplittableRandom;
import java.util.stream.Stream;

import static io.omendb.storage.index.RecursiveModelIndexTest.assertLowerBoundsExact;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class RadixLinearIndexTest {

    static Stream<Arguments> distributionsAndBounds() {
        return Arrays.stream(KeyDistribution.values())
                .flatMap(d -> Stream.of(1, 4, 32, 256).map(e -> Arguments.of(d, e)));
    }

    /**
     * The property the lookup relies on: for every distribution and bound, every present key is found at its
     * first position, and every absent key (each key's neighbours, random probes, the extremes) gets the
     * position of the next larger key — so it is never "found" — and no leaf records more than the bound.
     */
    @ParameterizedTest(name = "{0} max_error={1}")
    @MethodSource("distributionsAndBounds")
    void everyKeyIsFoundAbsentKeysAreNotAndTheBoundHolds(KeyDistribution dist, int maxError) {
        long[] keys = dist.sortedUniqueKeys(80_000, 31 + maxError);
        RadixLinearIndex index = RadixLinearIndex.build(keys, maxError);
        assertTrue(index.stats().maxError() <= maxError, dist + ": leaf error " + index.stats().maxError());
        assertLowerBoundsExact(keys, index, 23);
    }

    /** The engine trains on 8-byte heads after a common prefix: string keys give repeated heads and stairs. */
    @ParameterizedTest
    @EnumSource(KeyDistribution.class)
    void headsOfEncodedKeysAsTheEngineSeesThem(KeyDistribution dist) {
        long[] heads = heads(dist, 50_000, 8);
        assertLowerBoundsExact(heads, RadixLinearIndex.build(heads, 32), 29);
    }

    @ParameterizedTest(name = "max_error={0}")
    @MethodSource("io.omendb.storage.index.RecursiveModelIndexTest#bounds")
    void duplicateRunsLongerThanTheWindowStillKeepTheBound(int maxError) {
        long[] keys = RecursiveModelIndexTest.keysWithLongRuns(true);
        RadixLinearIndex index = RadixLinearIndex.build(keys, maxError);
        assertTrue(index.stats().maxError() <= maxError);
        assertLowerBoundsExact(keys, index, 13);
    }

    @Test
    void keysAcrossTheUnsignedRangeAndRunsAtItsEnds() {
        long[] keys = {0, 0, 0, 1, 5, Long.MAX_VALUE, Long.MIN_VALUE, Long.MIN_VALUE + 1, -2L, -1L, -1L, -1L};
        for (int maxError : new int[]{1, 32}) {
            assertLowerBoundsExact(keys, RadixLinearIndex.build(keys, maxError), 37);
        }
        long[] allMax = new long[200];
        Arrays.fill(allMax, -1L);
        assertLowerBoundsExact(allMax, RadixLinearIndex.build(allMax, 4), 41);
    }

    /** More leaves than the largest radix table has buckets: buckets then hold several leaves each. */
    @Test
    void moreLeavesThanTheLargestTable() {
        long[] keys = new long[4 * ((1 << 19) + 1)];
        for (int i = 0; i < keys.length; i++) {
            keys[i] = (i / 4) * 3L; // runs of four with a gap after each: two leaves a run at max_error 1
        }
        RadixLinearIndex index = RadixLinearIndex.build(keys, 1);
        assertTrue(index.stats().leaves() > 1 << 20, "leaves " + index.stats().leaves());
        assertLowerBoundsExact(keys, index, 53, 7);
    }

    @Test
    void recursiveModelTypeBuildsTheRadixIndex() {
        long[] keys = KeyDistribution.LOGNORMAL.sortedUniqueKeys(10_000, 1);
        assertInstanceOf(RadixLinearIndex.class, IndexCodec.build(ModelType.RECURSIVE, keys, 32));
    }

    @ParameterizedTest
    @EnumSource(KeyDistribution.class)
    void serializedIndexAnswersTheSame(KeyDistribution dist) throws IOException {
        long[] keys = dist.sortedUniqueKeys(30_000, 9);
        KeyIndex index = IndexCodec.build(ModelType.RECURSIVE, keys, 16);
        KeyIndex copy = IndexCodec.read(input(serialize(index)), keys);
        assertInstanceOf(RadixLinearIndex.class, copy);
        assertEquals(index.stats(), copy.stats());
        assertLowerBoundsExact(keys, copy, 17);
    }

    /** Segments written before the radix index hold the recursive model tree (tag 1): they still read. */
    @ParameterizedTest
    @EnumSource(value = KeyDistribution.class, names = {"LOGNORMAL", "CLUSTERED", "OUTLIERS"})
    void modelTreesWrittenBeforeStillRead(KeyDistribution dist) throws IOException {
        long[] keys = dist.sortedUniqueKeys(30_000, 9);
        byte[] old = serialize(RecursiveModelIndex.buildRecursive(keys, 16));
        assertEquals(1, old[0], "tag of the recursive model tree");
        KeyIndex copy = IndexCodec.read(input(old), keys);
        assertInstanceOf(RecursiveModelIndex.class, copy);
        assertLowerBoundsExact(keys, copy, 43);
    }

    @Test
    void malformedModelsAreRejected() throws IOException {
        long[] keys = KeyDistribution.UNIFORM.sortedUniqueKeys(5_000, 2);
        byte[] good = serialize(IndexCodec.build(ModelType.RECURSIVE, keys, 8));
        // layout: tag, transform, logBase:8, shift, bits, alphabet flag (false here), leafCount:4, leaves
        int leaves = 1 + 1 + 8 + 1 + 1 + 1 + 4;
        assertRejected(with(good, 1, (byte) 7), keys, "unknown transform");
        assertRejected(with(good, 10, (byte) 0), keys, "shift 0");
        assertRejected(with(good, 11, (byte) 40), keys, "too many bucket bits");
        assertRejected(withInt(good, 13, 0), keys, "no leaves");
        assertRejected(withLong(good, leaves + 8, Double.doubleToRawLongBits(-1.0)), keys, "negative slope");
        assertRejected(withLong(good, leaves + 16, Double.doubleToRawLongBits(Double.NaN)), keys, "NaN intercept");
        assertRejected(withLong(good, leaves + 24, -1), keys, "negative error");
        assertRejected(withLong(good, leaves + 32, ByteBuffer.wrap(good, leaves, 8).getLong()), keys, "leaves out of order");
        assertRejected(Arrays.copyOf(good, good.length - 3), keys, "truncated");
    }

    /** Decimal strings: the index maps heads through their byte alphabet, stored with the model. */
    @Test
    void stringHeadsUseTheByteAlphabetAndItsStoredFormReads() throws IOException {
        long[] heads = heads(KeyDistribution.STRING_PREFIX, 40_000, 12);
        KeyIndex index = IndexCodec.build(ModelType.RECURSIVE, heads, 32);
        KeyIndex copy = IndexCodec.read(input(serialize(index)), heads);
        assertEquals(index.stats(), copy.stats());
        assertLowerBoundsExact(heads, copy, 47);
        byte[] bytes = serialize(index);
        assertEquals(1, bytes[12], "alphabet flag");
        byte[] everyByte = bytes.clone();
        Arrays.fill(everyByte, 13, 13 + 32 * 8, (byte) 0xFF);
        assertRejected(everyByte, heads, "an alphabet that does not compress");
        long[] few = heads(KeyDistribution.STRING_PREFIX, 10_000, 12);
        assertEquals(0, serialize(IndexCodec.build(ModelType.RECURSIVE, few, 32))[12], "no 16 KiB table for 80 KB of keys");
    }

    @Test
    void byteAlphabetIsMonotoneAndKeepsTrainedKeysApart() {
        long[] keys = heads(KeyDistribution.STRING_PREFIX, 5_000, 3);
        ByteAlphabet alphabet = ByteAlphabet.of(keys);
        long[] images = alphabet.applyAll(keys);
        for (int i = 1; i < keys.length; i++) {
            assertTrue(images[i - 1] < images[i] || keys[i - 1] == keys[i], "trained keys keep order and stay apart");
        }
        SplittableRandom rnd = new SplittableRandom(4);
        long[] probes = new long[20_000];
        for (int i = 0; i < probes.length; i++) {
            long k = keys[rnd.nextInt(keys.length)];
            probes[i] = switch (i % 3) { // near trained keys: one byte changed to any value, or a random key
                case 0 -> k ^ ((long) rnd.nextInt(256) << (8 * rnd.nextInt(8)));
                case 1 -> k + rnd.nextInt(1 << 20) - (1 << 19);
                default -> rnd.nextLong();
            };
        }
        long[] sorted = Arrays.stream(probes).map(k -> k ^ Long.MIN_VALUE).sorted().map(k -> k ^ Long.MIN_VALUE).toArray();
        for (int i = 1; i < sorted.length; i++) {
            assertTrue(alphabet.apply(sorted[i - 1]) <= alphabet.apply(sorted[i]), "monotone at " + i);
            assertTrue(alphabet.apply(sorted[i]) >= 0);
        }
        assertEquals(null, ByteAlphabet.of(KeyDistribution.UNIFORM.sortedUniqueKeys(5_000, 3)), "uniform keys use every byte");
    }

    private static long[] heads(KeyDistribution dist, int n, long seed) {
        long[] raw = dist.sortedUniqueKeys(n, seed);
        int prefix = Bytes.commonPrefix(dist.encode(raw[0]), dist.encode(raw[raw.length - 1]));
        long[] heads = new long[raw.length]; // in unsigned order, as the keys are
        for (int i = 0; i < raw.length; i++) {
            heads[i] = Bytes.head(dist.encode(raw[i]), prefix);
        }
        return heads;
    }

    private static void assertRejected(byte[] bytes, long[] keys, String what) {
        assertThrows(IOException.class, () -> IndexCodec.read(input(bytes), keys), what);
    }

    private static byte[] with(byte[] b, int at, byte v) {
        byte[] c = b.clone();
        c[at] = v;
        return c;
    }

    private static byte[] withInt(byte[] b, int at, int v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putInt(at, v);
        return c;
    }

    private static byte[] withLong(byte[] b, int at, long v) {
        byte[] c = b.clone();
        ByteBuffer.wrap(c).putLong(at, v);
        return c;
    }

    private static byte[] serialize(KeyIndex index) throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        IndexCodec.write(index, new DataOutputStream(bytes));
        return bytes.toByteArray();
    }

    private static DataInputStream input(byte[] bytes) {
        return new DataInputStream(new ByteArrayInputStream(bytes));
    }
}
