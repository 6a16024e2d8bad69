package io.omendb.storage;

import io.omendb.storage.index.IndexStats;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Differential test: random operation sequences applied to the engine and to a {@code TreeMap} oracle must
 * agree on every get and scan, across key distributions and {@code [index]}/{@code [storage]} settings, with
 * flushes, compactions and reopenings in between. Seeds are in the test names, so a failure replays exactly.
 */
class EngineOracleTest {
    @TempDir
    Path tmp;

    static Stream<Arguments> configurations() {
        List<Arguments> out = new ArrayList<>();
        long seed = 1;
        for (KeyDistribution dist : KeyDistribution.values()) {
            for (ModelType type : ModelType.values()) {
                boolean compress = (seed % 2) == 0;
                int threshold = seed % 3 == 0 ? 37 : 400;
                // values are 0-39 bytes: with 16, segments mix inline values and values read from the file
                int inlineMax = (seed / 2) % 2 == 0 ? 16 : EngineOptions.VALUE_BYTES_INLINE_MAX_DEFAULT;
                out.add(Arguments.of(dist, type, compress, threshold, inlineMax, seed++));
            }
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} {1} compress={2} retrain={3} inlineMax={4} seed={5}")
    @MethodSource("configurations")
    void matchesTreeMapOracle(KeyDistribution dist, ModelType type, boolean compress, int threshold, int inlineMax,
                              long seed) throws IOException {
        EngineOptions opts = EngineOptions.defaults().withModelType(type).withCompression(compress)
                .withRetrainThreshold(threshold).withValueBytesInlineMax(inlineMax).withMaxError(8).withFsync(false).withCompactionFanIn(3);
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] universe = dist.sortedUniqueKeys(3_000, seed);
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        Path dir = tmp.resolve("engine");
        StorageEngine engine = StorageEngine.open(dir, opts);
        try {
            for (int step = 0; step < 6_000; step++) {
                int op = rnd.nextInt(1000);
                if (op < 500) {
                    byte[] k = key(dist, universe, rnd);
                    byte[] v = value(rnd);
                    engine.put(k, v);
                    oracle.put(k, v);
                } else if (op < 620) {
                    byte[] k = key(dist, universe, rnd);
                    engine.delete(k);
                    oracle.remove(k);
                } else if (op < 680) {
                    applyBatch(engine, oracle, dist, universe, rnd);
                } else if (op < 900) {
                    byte[] k = key(dist, universe, rnd);
                    assertArrayEquals(oracle.get(k), engine.get(k), "get at step " + step);
                } else if (op < 990) {
                    checkScan(engine, oracle, dist, universe, rnd);
                } else if (op < 994) {
                    engine.flush();
                } else if (op < 997) {
                    engine.compact();
                } else {
                    engine.close();
                    engine = StorageEngine.open(dir, opts);
                }
                if (step % 1000 == 0) {
                    checkErrorBound(engine, opts);
                }
            }
            engine.flush();
            checkAll(engine, oracle);
            engine.compact();
            checkAll(engine, oracle);
            checkErrorBound(engine, opts);
            long applied = engine.appliedIndex();
            engine.close();
            engine = StorageEngine.open(dir, opts);
            assertEquals(applied, engine.durableIndex(), "a clean close flushes everything");
            checkAll(engine, oracle);
        } finally {
            engine.close();
        }
    }

    private static void applyBatch(StorageEngine engine, TreeMap<byte[], byte[]> oracle, KeyDistribution dist,
                                   long[] universe, SplittableRandom rnd) throws IOException {
        WriteBatch batch = new WriteBatch();
        int n = 1 + rnd.nextInt(8);
        for (int i = 0; i < n; i++) {
            int kind = rnd.nextInt(10);
            if (kind < 6) {
                byte[] k = key(dist, universe, rnd);
                byte[] v = value(rnd);
                batch.put(k, v);
                oracle.put(k, v);
            } else if (kind < 9) {
                byte[] k = key(dist, universe, rnd);
                batch.delete(k);
                oracle.remove(k);
            } else {
                byte[] a = key(dist, universe, rnd);
                byte[] b = key(dist, universe, rnd);
                byte[] start = Bytes.compare(a, b) <= 0 ? a : b;
                byte[] end = start == a ? b : a;
                batch.deleteRange(start, end);
                oracle.subMap(start, true, end, false).clear();
            }
        }
        engine.apply(batch, engine.appliedIndex() + 1);
    }

    private static void checkScan(StorageEngine engine, TreeMap<byte[], byte[]> oracle, KeyDistribution dist,
                                  long[] universe, SplittableRandom rnd) {
        byte[] a = key(dist, universe, rnd);
        byte[] b = rnd.nextInt(5) == 0 ? null : key(dist, universe, rnd);
        byte[] start = b == null || Bytes.compare(a, b) <= 0 ? a : b;
        byte[] end = b == null ? null : (start == a ? b : a);
        int limit = rnd.nextInt(5) == 0 ? Integer.MAX_VALUE : rnd.nextInt(50);
        List<KeyValue> got = engine.scan(start, end, limit);
        Map<byte[], byte[]> want = end == null ? oracle.tailMap(start, true) : oracle.subMap(start, true, end, false);
        int i = 0;
        for (Map.Entry<byte[], byte[]> e : want.entrySet()) {
            if (i == limit) {
                break;
            }
            assertTrue(i < got.size(), "scan returned too few entries");
            assertArrayEquals(e.getKey(), got.get(i).key());
            assertArrayEquals(e.getValue(), got.get(i).value());
            i++;
        }
        assertEquals(i, got.size(), "scan returned too many entries");
    }

    static void checkAll(StorageEngine engine, TreeMap<byte[], byte[]> oracle) {
        List<KeyValue> all = engine.scan(new byte[0], null, Integer.MAX_VALUE);
        assertEquals(oracle.size(), all.size());
        int i = 0;
        for (Map.Entry<byte[], byte[]> e : oracle.entrySet()) {
            assertArrayEquals(e.getKey(), all.get(i).key());
            assertArrayEquals(e.getValue(), all.get(i).value());
            assertArrayEquals(e.getValue(), engine.get(e.getKey()));
            i++;
        }
    }

    static void checkErrorBound(StorageEngine engine, EngineOptions opts) {
        if (opts.modelType() != ModelType.RECURSIVE) {
            return;
        }
        for (IndexStats s : engine.segmentIndexStats()) {
            assertTrue(s.maxError() <= opts.maxError(), "segment leaf error " + s.maxError() + " > " + opts.maxError());
        }
    }

    private static byte[] key(KeyDistribution dist, long[] universe, SplittableRandom rnd) {
        if (rnd.nextInt(50) == 0) {
            // keys outside the distribution: empty, short, long, 0xFF-heavy
            return switch (rnd.nextInt(4)) {
                case 0 -> new byte[]{(byte) rnd.nextInt(256)};
                case 1 -> new byte[]{(byte) 0xFF, (byte) 0xFF, (byte) rnd.nextInt(256)};
                case 2 -> Arrays.copyOf(dist.encode(universe[rnd.nextInt(universe.length)]), 20);
                default -> new byte[]{0, 0, (byte) rnd.nextInt(3)};
            };
        }
        return dist.encode(universe[rnd.nextInt(universe.length)]);
    }

    private static byte[] value(SplittableRandom rnd) {
        byte[] v = new byte[rnd.nextInt(40)];
        for (int i = 0; i < v.length; i++) {
            v[i] = (byte) rnd.nextInt(256);
        }
        return v;
    }
}
