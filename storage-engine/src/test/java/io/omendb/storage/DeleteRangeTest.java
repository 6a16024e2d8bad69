package io.omendb.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;
import org.junit.jupiter.params.ParameterizedTest;
import org.junit.jupiter.params.provider.ValueSource;

import java.io.IOException;
import java.nio.file.Path;
import java.util.SplittableRandom;
import java.util.TreeMap;

import static org.junit.jupiter.api.Assertions.assertEquals;

/**
 * Delete-range walks its range in chunks of {@link StorageEngine#DELETE_RANGE_CHUNK_KEYS_MAX} live keys. Checked
 * against a {@code TreeMap} over random sequences of puts, deletes, batches mixing puts and deletes with
 * delete-ranges of up to several chunks (keys live in the memtable, in segments, in both, and written earlier in
 * the same batch), flushes, compactions and reopenings; and at exact chunk boundaries.
 */
class DeleteRangeTest {
    private static final int CHUNK = StorageEngine.DELETE_RANGE_CHUNK_KEYS_MAX;
    private static final EngineOptions OPTS = EngineOptions.defaults().withFsync(false).withRetrainThreshold(2_000)
            .withCompactionFanIn(3).withValueBytesInlineMax(16);

    @TempDir
    Path tmp;

    @ParameterizedTest(name = "seed={0}")
    @ValueSource(longs = {1, 2, 3, 4})
    void matchesTheOracle(long seed) throws IOException {
        SplittableRandom rnd = new SplittableRandom(seed);
        int universe = 6 * CHUNK;
        TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
        Path dir = tmp.resolve("e");
        StorageEngine e = StorageEngine.open(dir, OPTS);
        try {
            for (int step = 0; step < 1_500; step++) {
                int op = rnd.nextInt(100);
                if (op < 60) {
                    byte[] k = key(rnd.nextInt(universe));
                    byte[] v = new byte[rnd.nextInt(24)];
                    rnd.nextBytes(v);
                    e.put(k, v);
                    oracle.put(k, v);
                } else if (op < 70) {
                    byte[] k = key(rnd.nextInt(universe));
                    e.delete(k);
                    oracle.remove(k);
                } else if (op < 90) {
                    WriteBatch b = new WriteBatch();
                    int from = rnd.nextInt(universe);
                    int to = Math.min(universe, from + rnd.nextInt(3 * CHUNK));
                    byte[] inside = key(from + rnd.nextInt(Math.max(1, to - from)));
                    b.put(inside, new byte[]{1}); // written earlier in the batch: the delete-range sees it
                    b.deleteRange(key(from), key(to));
                    byte[] after = key(from + rnd.nextInt(Math.max(1, to - from)));
                    b.put(after, new byte[]{2}); // written after: survives
                    oracle.put(inside, new byte[]{1});
                    oracle.subMap(key(from), true, key(to), false).clear();
                    oracle.put(after, new byte[]{2});
                    e.apply(b, e.appliedIndex() + 1);
                } else if (op < 95) {
                    e.flush();
                } else if (op < 98) {
                    e.compact();
                } else {
                    e.close();
                    e = StorageEngine.open(dir, OPTS);
                }
                if (step % 100 == 0) {
                    EngineOracleTest.checkAll(e, oracle);
                }
            }
            EngineOracleTest.checkAll(e, oracle);
        } finally {
            e.close();
        }
    }

    @Test
    void rangesOfExactlyOneChunkAndAroundIt() throws IOException {
        try (StorageEngine e = StorageEngine.open(tmp.resolve("b"), OPTS)) {
            for (int live : new int[]{CHUNK - 1, CHUNK, CHUNK + 1, 2 * CHUNK, 2 * CHUNK + 1}) {
                TreeMap<byte[], byte[]> oracle = new TreeMap<>(Bytes.UNSIGNED);
                for (int i = 0; i < live + 10; i++) {
                    e.put(key(i), key(i));
                    oracle.put(key(i), key(i));
                }
                if (live % 2 == 0) {
                    e.flush(); // half the cases from segments, half from the memtable
                }
                e.apply(new WriteBatch().deleteRange(key(5), key(5 + live)), e.appliedIndex() + 1);
                oracle.subMap(key(5), true, key(5 + live), false).clear();
                EngineOracleTest.checkAll(e, oracle);
                assertEquals(10, e.scan(new byte[0], null, Integer.MAX_VALUE).size());
                e.apply(new WriteBatch().deleteRange(new byte[0], key(Integer.MAX_VALUE)), e.appliedIndex() + 1);
            }
        }
    }

    private static byte[] key(int i) {
        return KeyDistribution.UNIFORM.encode(i * 2654435761L);
    }
}
