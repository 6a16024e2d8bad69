package io.omendb.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.Arguments;
import org.junit.jupiter.params.provider.MethodSource;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Stream;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Split ({@link StorageEngine#splitOff}) and merge ({@link StorageEngine#absorb}) against a {@code TreeMap} oracle:
 * random puts, deletes, delete-ranges, flushes, compactions and reopenings before and after each split and merge,
 * across key distributions; after every phase each engine holds exactly the oracle's keys inside its range and
 * nothing outside, and the ranges tile the key space. Crash tests stop a split or merge at each step (a hook throws
 * there, the engine is abandoned without flushing) and check that reopening gives the old or the new state.
 */
class SplitMergeTest {
    private static final EngineOptions OPTS = EngineOptions.defaults().withFsync(false).withRetrainThreshold(300)
            .withCompactionFanIn(3).withMaxError(8).withValueBytesInlineMax(16);

    @TempDir
    Path tmp;

    /** One engine and its directory; the list of sides is kept in key order and tiles the key space. */
    private static final class Side {
        StorageEngine engine;
        final Path dir;

        Side(StorageEngine engine, Path dir) {
            this.engine = engine;
            this.dir = dir;
        }

        long nextIndex() {
            return engine.appliedIndex() + 1;
        }
    }

    static Stream<Arguments> distributions() {
        List<Arguments> out = new ArrayList<>();
        long seed = 100;
        for (KeyDistribution d : KeyDistribution.values()) {
            out.add(Arguments.of(d, seed++));
            out.add(Arguments.of(d, seed++));
        }
        return out.stream();
    }

    @ParameterizedTest(name = "{0} seed={1}")
    @MethodSource("distributions")
    void splitAndMergeMatchTheOracle(KeyDistribution dist, long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        long[] universe = dist.sortedUniqueKeys(3_000, seed);
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        List<Side> sides = new ArrayList<>();
        sides.add(new Side(StorageEngine.open(tmp.resolve("p"), OPTS), tmp.resolve("p")));
        try {
            randomOps(sides, oracle, dist, universe, rnd, 1_500);
            check(sides, oracle);

            // split the only range: at its byte median for even seeds, at a random key for odd ones
            byte[] key = seed % 2 == 0 ? sides.get(0).engine.estimateMedianKey() : splitKeyIn(sides.get(0), dist, universe, rnd);
            split(sides, 0, key, tmp.resolve("r1"));
            check(sides, oracle);
            randomOps(sides, oracle, dist, universe, rnd, 1_500);
            check(sides, oracle);

            // split the right half again, then work on three ranges
            split(sides, 1, splitKeyIn(sides.get(1), dist, universe, rnd), tmp.resolve("r2"));
            randomOps(sides, oracle, dist, universe, rnd, 1_500);
            check(sides, oracle);

            // merge back, right to left, with work in between
            merge(sides, 1);
            randomOps(sides, oracle, dist, universe, rnd, 800);
            check(sides, oracle);
            merge(sides, 0);
            assertEquals(KeyRange.ALL, sides.get(0).engine.range());
            randomOps(sides, oracle, dist, universe, rnd, 800);
            sides.get(0).engine.compact();
            check(sides, oracle);
            reopen(sides.get(0));
            check(sides, oracle);
            assertFalse(Files.exists(tmp.resolve("r1")), "a merged-in directory is removed");
            assertFalse(Files.exists(tmp.resolve("r2")), "a merged-in directory is removed");
        } finally {
            for (Side s : sides) {
                s.engine.close();
            }
        }
    }

    @Test
    void replicasApplyingTheSameSplitGetTheSameRightEngine() throws IOException {
        // two replicas apply the same log; they flush and compact at different points, as real replicas do
        List<Side> a = List.of(new Side(StorageEngine.open(tmp.resolve("a"), OPTS), tmp.resolve("a")));
        List<Side> b = List.of(new Side(StorageEngine.open(tmp.resolve("b"), OPTS.withRetrainThreshold(97)), tmp.resolve("b")));
        long[] universe = KeyDistribution.LOGNORMAL.sortedUniqueKeys(2_000, 7);
        for (List<Side> replica : List.of(a, b)) {
            SplittableRandom rnd = new SplittableRandom(7); // the same log on both
            TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
            for (int i = 0; i < 3_000; i++) {
                randomWrite(replica, oracle, KeyDistribution.LOGNORMAL, universe, rnd);
            }
        }
        b.get(0).engine.compact();
        byte[] key = KeyDistribution.LOGNORMAL.encode(universe[1_000]);
        long index = a.get(0).nextIndex();
        assertEquals(index, b.get(0).nextIndex());
        StorageEngine.SplitResult ra = a.get(0).engine.splitOff(key, index, tmp.resolve("a-right"), 0);
        StorageEngine.SplitResult rb = b.get(0).engine.splitOff(key, index, tmp.resolve("b-right"), 0);
        assertEquals(ra.left(), rb.left());
        assertEquals(ra.right(), rb.right());
        try (StorageEngine x = StorageEngine.open(tmp.resolve("a-right"), OPTS);
             StorageEngine y = StorageEngine.open(tmp.resolve("b-right"), OPTS)) {
            assertEquals(x.range(), y.range());
            assertEquals(0, x.durableIndex());
            assertEquals(0, y.durableIndex());
            assertArrayEquals(x.digest(), y.digest());
        }
        assertArrayEquals(a.get(0).engine.digest(), b.get(0).engine.digest());
        assertEquals(index, a.get(0).engine.durableIndex());
        a.get(0).engine.close();
        b.get(0).engine.close();
    }

    @Test
    void splitOutsideTheRangeAndWritesOutsideItAreRefused() throws IOException {
        byte[] k10 = {10};
        byte[] k20 = {20};
        try (StorageEngine e = StorageEngine.open(tmp.resolve("e"), OPTS, null, new KeyRange(k10, k20))) {
            e.put(new byte[]{12}, new byte[]{1});
            for (byte[] bad : List.of(new byte[]{5}, k10, k20, new byte[]{30})) {
                assertThrows(IllegalArgumentException.class, () -> e.splitOff(bad, 2, tmp.resolve("r"), 0));
            }
            assertFalse(Files.exists(tmp.resolve("r")));
            WriteBatch mixed = new WriteBatch().put(new byte[]{13}, new byte[]{1}).put(new byte[]{25}, new byte[]{1});
            KeyOutOfRangeException out = assertThrows(KeyOutOfRangeException.class, () -> e.apply(mixed, 2));
            assertEquals(new KeyRange(k10, k20), out.range());
            assertNull(e.get(new byte[]{13}), "nothing of a refused batch is applied");
            assertThrows(KeyOutOfRangeException.class, () -> e.put(new byte[]{9}, new byte[]{1}));
            e.apply(new WriteBatch().deleteRange(new byte[0], new byte[]{(byte) 0xFF}), 2); // clipped, not refused
            assertNull(e.get(new byte[]{12}));
            Files.createDirectories(tmp.resolve("exists"));
            assertThrows(IOException.class, () -> e.splitOff(new byte[]{15}, 3, tmp.resolve("exists"), 0));
            assertEquals(new KeyRange(k10, k20), e.range());
        }
        try (StorageEngine e = StorageEngine.open(tmp.resolve("e"), OPTS)) {
            assertEquals(new KeyRange(k10, k20), e.range(), "the range is kept in the manifest");
        }
    }

    @Test
    void checkpointCarriesTheRangeAndSharedFilesAreTrimmedByCompaction() throws IOException {
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        Path right = tmp.resolve("right");
        try (StorageEngine e = StorageEngine.open(tmp.resolve("p"), OPTS)) {
            putKeys(e, oracle, KeyDistribution.UNIFORM, 2_000, 1_000_003L);
            byte[] key = KeyDistribution.UNIFORM.encode(1_000 * 1_000_003L);
            e.flush();
            long before = e.dataBytes();
            StorageEngine.SplitResult r = e.splitOff(key, e.appliedIndex() + 1, right, 0);
            assertTrue(r.segmentsLinked() > 0);
            try (StorageEngine c = StorageEngine.open(right, OPTS)) {
                assertEquals(before, e.dataBytes() + c.dataBytes(), "the halves' sizes add up to the parent's");
                assertEquals(before / 2, e.dataBytes(), "equal keys and values on both sides");
            }
            CheckpointInfo cp = e.checkpoint(tmp.resolve("cp"));
            try (StorageEngine c = StorageEngine.open(cp.dir(), OPTS)) {
                assertEquals(r.left(), c.range());
                assertArrayEquals(e.digest(), c.digest());
            }
            e.compact();
            long leftRecords = e.stats().segmentRecords();
            assertEquals(1_000, leftRecords, "compaction keeps only the left half's records");
            try (StorageEngine c = StorageEngine.open(right, OPTS)) {
                assertEquals(1_000, c.scan(new byte[0], null, Integer.MAX_VALUE).size());
                assertEquals(oracle.tailMap(key, true).size(), c.stats().segmentRecords());
            }
        }
    }

    /**
     * The right half opened from the parent's loaded segments ({@link LoadedSegments}), after its directory was renamed
     * as a new range's replica does, holds exactly the right half: keys, inline values and values on disk, also once
     * the parent is closed and its files are gone (the reopened segments read through channels of their own). A file
     * that is not the loaded one (here a copy put in place of a link) is read from disk instead.
     */
    @ParameterizedTest
    @ValueSource(booleans = {false, true})
    void theRightHalfOpensFromTheParentsLoadedSegments(boolean oneFileReplacedByACopy) throws IOException {
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        Path staged = tmp.resolve("staged");
        Path adopted = tmp.resolve("adopted");
        byte[] key = KeyDistribution.UNIFORM.encode(1_000 * 1_000_003L);
        StorageEngine.SplitResult r;
        // No background compaction before the split (fan-in never reached): with OPTS' fan-in of 3, a merge that
        // happened to run just before the split could leave the right half in one segment (seen once in CI)
        try (StorageEngine e = StorageEngine.open(tmp.resolve("p"), OPTS.withCompactionFanIn(64))) {
            for (int i = 0; i < 2_000; i++) {
                byte[] k = KeyDistribution.UNIFORM.encode(i * 1_000_003L);
                byte[] v = i % 2 == 0 ? k : ByteBuffer.allocate(64).put(k).array(); // inline, or on disk (> 16 bytes)
                e.put(k, v);
                oracle.put(k, v);
            }
            r = e.splitOff(key, e.appliedIndex() + 1, staged, 0);
            assertTrue(r.segmentsLinked() > 1);
            assertEquals(r.segmentsLinked(), r.rightSegments().size(), "every linked segment can be reused");
            e.compact(); // the parent's own links of the shared files are replaced
        }
        Files.move(staged, adopted);
        if (oneFileReplacedByACopy) {
            Path f = Files.list(adopted).filter(p -> p.getFileName().toString().endsWith(".oseg")).findFirst()
                    .orElseThrow();
            Path copy = tmp.resolve("copy");
            Files.copy(f, copy);
            Files.move(copy, f, java.nio.file.StandardCopyOption.REPLACE_EXISTING);
        }
        try (StorageEngine c = StorageEngine.open(adopted, OPTS, null, KeyRange.ALL, r.rightSegments())) {
            assertEquals(r.right(), c.range());
            List<KeyValue> all = c.scan(new byte[0], null, Integer.MAX_VALUE);
            assertEquals(oracle.tailMap(key, true).size(), all.size());
            for (KeyValue kv : all) {
                assertArrayEquals(oracle.get(kv.key()), kv.value());
                assertArrayEquals(oracle.get(kv.key()), c.get(kv.key()));
            }
            assertNull(c.get(oracle.firstKey()), "left keys stay outside the right half");
        }
    }

    @Test
    void checksumsOfTheRightEngineAreVerifiedOnOpen() throws IOException {
        Path right = tmp.resolve("right");
        try (StorageEngine e = StorageEngine.open(tmp.resolve("p"), OPTS)) {
            for (int i = 0; i < 500; i++) {
                e.put(KeyDistribution.UNIFORM.encode(i * 7919L), new byte[]{(byte) i});
            }
            e.splitOff(KeyDistribution.UNIFORM.encode(250 * 7919L), e.appliedIndex() + 1, right, 0);
        }
        CorruptionTest.flip(right.resolve(Manifest.FILE), 30);
        CorruptDataException err = assertThrows(CorruptDataException.class, () -> StorageEngine.open(right, OPTS));
        assertTrue(err.getMessage().contains("MANIFEST"), err.getMessage());
    }

    @Test
    void splitWhileCompactionsAndReadersRun() throws Exception {
        // small memtables and a fan-in of 2 keep background compactions running while the split applies; their
        // windows are re-bounded by the split, so they are thrown away and picked again from the new list
        EngineOptions busy = OPTS.withRetrainThreshold(50).withCompactionFanIn(2);
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        Path right = tmp.resolve("right");
        try (StorageEngine e = StorageEngine.open(tmp.resolve("p"), busy)) {
            putKeys(e, oracle, KeyDistribution.SEQUENTIAL_GAPS, 4_000, 3L);
            byte[] key = e.estimateMedianKey();
            KeyRange left = KeyRange.ALL.leftOf(key);
            AtomicReference<Throwable> failure = new AtomicReference<>();
            AtomicBoolean split = new AtomicBoolean();
            AtomicBoolean stop = new AtomicBoolean();
            Thread reader = new Thread(() -> {
                try {
                    while (!stop.get()) {
                        boolean after = split.get(); // read before the scan: a scan after the split is bounded
                        for (KeyValue kv : e.scan(new byte[0], null, Integer.MAX_VALUE)) {
                            if (after && !left.contains(kv.key())) {
                                throw new AssertionError("scan after the split returned " + Bytes.hex(kv.key()));
                            }
                        }
                    }
                } catch (Throwable t) {
                    failure.set(t);
                }
            });
            reader.start();
            e.splitOff(key, e.appliedIndex() + 1, right, 0);
            split.set(true);
            for (int i = 0; i < 2_000; i++) { // keeps flushing and compacting the left half
                byte[] k = KeyDistribution.SEQUENTIAL_GAPS.encode(i * 3L + 1);
                if (left.contains(k)) {
                    e.put(k, k);
                    oracle.put(k, k);
                }
            }
            stop.set(true);
            reader.join();
            if (failure.get() != null) {
                throw new AssertionError(failure.get());
            }
            List<Side> sides = new ArrayList<>(List.of(new Side(e, tmp.resolve("p"))));
            sides.add(new Side(StorageEngine.open(right, busy), right));
            check(sides, oracle);
            sides.get(1).engine.close();
        }
    }

    @Test
    void aFormatOneManifestOpensAsAnEngineOwningEveryKey() throws IOException {
        Path dir = tmp.resolve("v1");
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        try (StorageEngine e = StorageEngine.open(dir, OPTS)) {
            putKeys(e, oracle, KeyDistribution.UNIFORM, 1_000, 7_919L);
        }
        Manifest m = Manifest.readOrEmpty(dir, KeyRange.ALL);
        // the layout written before ranges existed: magic, durable index, next id, count, ids, CRC32C
        ByteBuffer b = ByteBuffer.allocate(32 + 8 * m.segments().size());
        b.putLong(0x4f4d4d414e493031L).putLong(m.durableIndex()).putLong(m.nextSegmentId()).putInt(m.segments().size());
        for (long id : m.segmentIds()) {
            b.putLong(id);
        }
        b.putInt(SegmentFile.crc(b.array(), 0, b.capacity() - 4));
        Files.write(dir.resolve(Manifest.FILE), b.array());
        List<Side> sides = new ArrayList<>(List.of(new Side(StorageEngine.open(dir, OPTS), dir)));
        assertEquals(KeyRange.ALL, sides.get(0).engine.range());
        assertEquals(m.durableIndex(), sides.get(0).engine.durableIndex());
        check(sides, oracle);
        split(sides, 0, sides.get(0).engine.estimateMedianKey(), tmp.resolve("v1-right")); // written as format 2
        check(sides, oracle);
        for (Side s : sides) {
            reopen(s);
        }
        check(sides, oracle);
        for (Side s : sides) {
            s.engine.close();
        }
    }

    // ------------------------------------------------------------------ crashes

    @ParameterizedTest(name = "crash at {0}")
    @ValueSource(strings = {"split:intent-written", "split:right-linked", "split:right-committed"})
    void crashDuringSplitLeavesTheOldOrTheNewState(String step) throws IOException {
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        Path p = tmp.resolve("p");
        Path r = tmp.resolve("r");
        Side parent = new Side(StorageEngine.open(p, OPTS), p);
        SplittableRandom rnd = new SplittableRandom(step.hashCode());
        long[] universe = KeyDistribution.UNIFORM.sortedUniqueKeys(1_000, 3);
        for (int i = 0; i < 1_500; i++) {
            randomWrite(List.of(parent), oracle, KeyDistribution.UNIFORM, universe, rnd);
        }
        long before = parent.engine.appliedIndex();
        byte[] key = parent.engine.estimateMedianKey();
        parent.engine.stepHook = s -> {
            if (s.equals(step)) {
                throw new IOException("crash at " + s);
            }
        };
        assertThrows(IOException.class, () -> parent.engine.splitOff(key, before + 1, r, 0));
        assertThrows(IOException.class, () -> parent.engine.put(key, key), "writes wait for the reopen");
        parent.engine.crashForTest();
        parent.engine = StorageEngine.open(p, OPTS);
        List<Side> sides = new ArrayList<>(List.of(parent));
        if (step.equals("split:right-committed")) {
            assertEquals(KeyRange.ALL.leftOf(key), parent.engine.range(), "a committed split is finished at open");
            assertEquals(before + 1, parent.engine.durableIndex());
            sides.add(new Side(StorageEngine.open(r, OPTS), r));
        } else {
            assertFalse(Files.exists(r), "an uncommitted right engine is removed at open");
            assertEquals(KeyRange.ALL, parent.engine.range());
            assertEquals(before, parent.engine.durableIndex(), "the Raft layer re-applies the split");
            split(sides, 0, key, r); // which it then does
        }
        check(sides, oracle);
        for (Side s : sides) {
            s.engine.close();
        }
    }

    @ParameterizedTest(name = "crash at {0}")
    @ValueSource(strings = {"absorb:linked", "absorb:committed"})
    void crashDuringMergeLeavesTheOldOrTheNewState(String step) throws IOException {
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        long[] universe = KeyDistribution.STRING_PREFIX.sortedUniqueKeys(1_000, 5);
        SplittableRandom rnd = new SplittableRandom(step.hashCode());
        List<Side> sides = new ArrayList<>(List.of(new Side(StorageEngine.open(tmp.resolve("l"), OPTS), tmp.resolve("l"))));
        for (int i = 0; i < 1_000; i++) {
            randomWrite(sides, oracle, KeyDistribution.STRING_PREFIX, universe, rnd);
        }
        split(sides, 0, sides.get(0).engine.estimateMedianKey(), tmp.resolve("r"));
        for (int i = 0; i < 1_000; i++) {
            randomWrite(sides, oracle, KeyDistribution.STRING_PREFIX, universe, rnd);
        }
        Side left = sides.get(0);
        KeyRange leftRange = left.engine.range();
        long before = left.engine.appliedIndex();
        sides.get(1).engine.close();
        left.engine.stepHook = s -> {
            if (s.equals(step)) {
                throw new IOException("crash at " + s);
            }
        };
        assertThrows(IOException.class, () -> left.engine.absorb(tmp.resolve("r"), before + 1));
        left.engine.crashForTest();
        left.engine = StorageEngine.open(left.dir, OPTS);
        if (step.equals("absorb:committed")) {
            assertEquals(KeyRange.ALL, left.engine.range());
            assertEquals(before + 1, left.engine.durableIndex());
            assertFalse(Files.exists(tmp.resolve("r")), "the merged-in directory is removed at open");
            sides.remove(1);
        } else {
            assertEquals(leftRange, left.engine.range());
            assertEquals(before, left.engine.durableIndex());
            sides.get(1).engine = StorageEngine.open(tmp.resolve("r"), OPTS);
            merge(sides, 0); // the Raft layer re-applies the merge
        }
        check(sides, oracle);
        sides.get(0).engine.close();
    }

    // ------------------------------------------------------------------ helpers

    private static void split(List<Side> sides, int at, byte[] key, Path rightDir) throws IOException {
        Side s = sides.get(at);
        KeyRange before = s.engine.range();
        StorageEngine.SplitResult r = s.engine.splitOff(key, s.nextIndex(), rightDir, 0);
        assertEquals(before.leftOf(key), s.engine.range());
        assertEquals(before.rightOf(key), r.right());
        sides.add(at + 1, new Side(StorageEngine.open(rightDir, OPTS), rightDir));
        assertEquals(r.right(), sides.get(at + 1).engine.range());
    }

    /** Merges side {@code at + 1} into side {@code at}. */
    private static void merge(List<Side> sides, int at) throws IOException {
        Side left = sides.get(at);
        Side right = sides.remove(at + 1);
        KeyRange union = left.engine.range().unionWithRightNeighbour(right.engine.range());
        right.engine.close();
        assertEquals(union, left.engine.absorb(right.dir, left.nextIndex()));
        assertEquals(union, left.engine.range());
        assertFalse(Files.exists(right.dir));
    }

    /** Puts keys {@code dist.encode(i * stride)} for {@code i < n}, each its own value. */
    private static void putKeys(StorageEngine e, TreeMap<byte[], byte[]> oracle, KeyDistribution dist, int n,
                                long stride) throws IOException {
        for (int i = 0; i < n; i++) {
            byte[] k = dist.encode(i * stride);
            e.put(k, k);
            oracle.put(k, k);
        }
    }

    private static void reopen(Side s) throws IOException {
        s.engine.close();
        s.engine = StorageEngine.open(s.dir, OPTS);
    }

    private static byte[] splitKeyIn(Side s, KeyDistribution dist, long[] universe, SplittableRandom rnd) {
        for (int tries = 0; tries < 10_000; tries++) {
            byte[] k = dist.encode(universe[rnd.nextInt(universe.length)]);
            if (s.engine.range().canSplitAt(k)) {
                return k;
            }
        }
        throw new AssertionError("no key of the universe splits " + s.engine.range());
    }

    private static Side owner(List<Side> sides, byte[] key) {
        for (Side s : sides) {
            if (s.engine.range().contains(key)) {
                return s;
            }
        }
        throw new AssertionError("no engine owns " + Bytes.hex(key));
    }

    private static void randomOps(List<Side> sides, TreeMap<byte[], byte[]> oracle, KeyDistribution dist,
                                  long[] universe, SplittableRandom rnd, int steps) throws IOException {
        for (int i = 0; i < steps; i++) {
            int op = rnd.nextInt(1000);
            Side s = sides.get(rnd.nextInt(sides.size()));
            if (op < 960) {
                randomWrite(sides, oracle, dist, universe, rnd);
            } else if (op < 980) {
                s.engine.flush();
            } else if (op < 990) {
                s.engine.compact();
            } else {
                reopen(s);
            }
        }
    }

    /** A put, delete or delete-range (which may span several engines, each applying its part) on the right engines. */
    private static void randomWrite(List<Side> sides, TreeMap<byte[], byte[]> oracle, KeyDistribution dist,
                                    long[] universe, SplittableRandom rnd) throws IOException {
        int op = rnd.nextInt(100);
        byte[] k = dist.encode(universe[rnd.nextInt(universe.length)]);
        if (op < 75) {
            byte[] v = new byte[rnd.nextInt(40)];
            rnd.nextBytes(v);
            Side s = owner(sides, k);
            s.engine.apply(new WriteBatch().put(k, v), s.nextIndex());
            oracle.put(k, v);
        } else if (op < 95) {
            Side s = owner(sides, k);
            s.engine.apply(new WriteBatch().delete(k), s.nextIndex());
            oracle.remove(k);
        } else {
            byte[] b = dist.encode(universe[rnd.nextInt(universe.length)]);
            byte[] start = Bytes.compare(k, b) <= 0 ? k : b;
            byte[] end = start == k ? b : k;
            for (Side s : sides) {
                s.engine.apply(new WriteBatch().deleteRange(start, end), s.nextIndex());
            }
            oracle.subMap(start, true, end, false).clear();
        }
    }

    /** The ranges tile the key space and each engine holds exactly the oracle's entries in its range. */
    private static void check(List<Side> sides, TreeMap<byte[], byte[]> oracle) {
        assertArrayEquals(new byte[0], sides.get(0).engine.range().start());
        assertNull(sides.get(sides.size() - 1).engine.range().end());
        for (int i = 0; i + 1 < sides.size(); i++) {
            assertTrue(sides.get(i).engine.range().isLeftNeighbourOf(sides.get(i + 1).engine.range()));
        }
        for (Side s : sides) {
            KeyRange r = s.engine.range();
            Map<byte[], byte[]> want = r.end() == null ? oracle.tailMap(r.start(), true)
                    : oracle.subMap(r.start(), true, r.end(), false);
            List<KeyValue> got = s.engine.scan(new byte[0], null, Integer.MAX_VALUE);
            assertEquals(want.size(), got.size(), "entries of " + r);
            int i = 0;
            for (Map.Entry<byte[], byte[]> e : want.entrySet()) {
                assertArrayEquals(e.getKey(), got.get(i).key());
                assertArrayEquals(e.getValue(), got.get(i).value());
                assertArrayEquals(e.getValue(), s.engine.get(e.getKey()));
                i++;
            }
            for (byte[] k : oracle.keySet()) {
                if (!r.contains(k)) {
                    assertNull(s.engine.get(k), "a key outside the range is not returned");
                }
            }
        }
    }

    @Test
    void widenAcceptsTheNewKeysButNeverShowsASharedSegmentsKeysBeyondTheOldEnd() throws IOException {
        Path right = tmp.resolve("right");
        Path dir = tmp.resolve("p");
        byte[] splitKey = KeyDistribution.UNIFORM.encode(250 * 7919L);
        try (StorageEngine e = StorageEngine.open(dir, OPTS)) {
            for (int i = 0; i < 500; i++) {
                e.put(KeyDistribution.UNIFORM.encode(i * 7919L), new byte[]{(byte) i});
            }
            e.splitOff(splitKey, e.appliedIndex() + 1, right, 0);
            byte[] shared = KeyDistribution.UNIFORM.encode(300 * 7919L); // in a segment both halves link
            KeyRange narrow = e.range();
            assertEquals(narrow, e.widenTo(KeyDistribution.UNIFORM.encode(100 * 7919L)), "never shrinks");
            byte[] end = KeyDistribution.UNIFORM.encode(400 * 7919L);
            assertEquals(new KeyRange(narrow.start(), end), e.widenTo(end));
            assertNull(e.get(shared), "a linked segment answers only for the range it had");
            e.apply(new WriteBatch().put(KeyDistribution.UNIFORM.encode(301 * 7919L), new byte[]{9}),
                    e.appliedIndex() + 1);
            assertThrows(KeyOutOfRangeException.class, () -> e.apply(new WriteBatch().put(end, new byte[]{1}),
                    e.appliedIndex() + 1));
        }
        try (StorageEngine e = StorageEngine.open(dir, OPTS)) {
            assertArrayEquals(KeyDistribution.UNIFORM.encode(400 * 7919L), e.range().end(), "the wider range is durable");
            assertEquals(KeyRange.ALL.end(), e.widenTo(null).end());
            e.apply(new WriteBatch().put(KeyDistribution.UNIFORM.encode(450 * 7919L), new byte[]{2}),
                    e.appliedIndex() + 1);
            assertNull(e.get(KeyDistribution.UNIFORM.encode(300 * 7919L)));
            assertEquals(250, e.scan(new byte[0], splitKey, Integer.MAX_VALUE).size());
        }
    }
}
