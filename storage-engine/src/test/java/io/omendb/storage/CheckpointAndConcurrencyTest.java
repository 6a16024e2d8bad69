package io.omendb.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.atomic.AtomicBoolean;
import java.util.concurrent.atomic.AtomicReference;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

class CheckpointAndConcurrencyTest {
    @TempDir
    Path tmp;

    private static byte[] k(int i) {
        return ByteBuffer.allocate(4).putInt(i).array();
    }

    @Test
    void checkpointHoldsExactlyTheStateAtItsIndex() throws IOException {
        EngineOptions opts = EngineOptions.defaults().withRetrainThreshold(500).withFsync(false);
        try (StorageEngine e = StorageEngine.open(tmp.resolve("live"), opts)) {
            for (int i = 0; i < 3_000; i++) {
                e.apply(new WriteBatch().put(k(i), k(i * 2)), i + 1);
            }
            byte[] digestAtCheckpoint = e.digest();
            CheckpointInfo cp = e.checkpoint(tmp.resolve("cp"));
            assertEquals(3_000, cp.appliedIndex());
            for (int i = 0; i < 1_000; i++) {
                e.apply(new WriteBatch().delete(k(i)), 3_001 + i);
            }
            e.compact(); // deletes the live directory's old segment files; the checkpoint's links survive
            try (StorageEngine copy = StorageEngine.open(cp.dir(), opts)) {
                assertArrayEquals(digestAtCheckpoint, copy.digest());
                assertEquals(3_000, copy.durableIndex());
                assertArrayEquals(k(0), copy.get(k(0)));
            }
            assertNull(e.get(k(0)));
        }
    }

    /**
     * Large values freeze the memtable by bytes long before retrainThreshold entries: with the default 200 000
     * entries, 64 values of 1 MiB would all stay on the heap. The writer stalls once immutableMemtablesMax frozen
     * memtables wait, so after (immutableMemtablesMax + 1) full memtables and one more value a flush must have
     * finished.
     */
    @Test
    void largeValuesFreezeTheMemtableByBytesSoMemoryStaysBounded() throws IOException {
        EngineOptions opts = EngineOptions.defaults().withFsync(false);
        byte[] value = new byte[1 << 20];
        Arrays.fill(value, (byte) 'v');
        long perMemtable = StorageEngine.MEMTABLE_BYTES_MAX / value.length + 1;
        long writes = (opts.immutableMemtablesMax() + 1) * perMemtable + 1;
        try (StorageEngine e = StorageEngine.open(tmp.resolve("big"), opts)) {
            for (int i = 0; i < writes; i++) {
                e.apply(new WriteBatch().put(k(i), value.clone()), i + 1);
                assertTrue(e.stats().memtableEntries() <= (opts.immutableMemtablesMax() + 1) * perMemtable,
                        () -> "buffered " + e.stats().memtableEntries() + " values of 1 MiB");
            }
            assertTrue(e.durableIndex() > 0, "a memtable of large values was flushed");
            assertArrayEquals(value, e.get(k(0)));
            assertArrayEquals(value, e.get(k((int) writes - 1)));
        }
    }

    @Test
    void scansSeeWholeBatchesOnlyWhileTheWriterFlushesAndCompacts() throws Exception {
        EngineOptions opts = EngineOptions.defaults().withRetrainThreshold(300).withFsync(false).withCompactionFanIn(2);
        int keys = 64;
        try (StorageEngine e = StorageEngine.open(tmp.resolve("mvcc"), opts)) {
            AtomicBoolean done = new AtomicBoolean();
            AtomicReference<Throwable> failure = new AtomicReference<>();
            List<Thread> readers = new ArrayList<>();
            for (int r = 0; r < 2; r++) {
                Thread t = new Thread(() -> {
                    try {
                        while (!done.get()) {
                            List<KeyValue> all = e.scan(new byte[0], null, Integer.MAX_VALUE);
                            if (all.isEmpty()) {
                                continue;
                            }
                            assertEquals(keys, all.size(), "a batch was seen partially");
                            byte[] first = all.get(0).value();
                            for (KeyValue kv : all) {
                                assertTrue(Arrays.equals(first, kv.value()), "a batch was seen partially");
                            }
                        }
                    } catch (Throwable t2) {
                        failure.compareAndSet(null, t2);
                    }
                });
                t.start();
                readers.add(t);
            }
            for (int round = 1; round <= 400; round++) {
                WriteBatch b = new WriteBatch();
                for (int i = 0; i < keys; i++) {
                    b.put(k(i), k(round));
                }
                e.apply(b, round);
            }
            done.set(true);
            for (Thread t : readers) {
                t.join();
            }
            assertNull(failure.get(), () -> "reader failed: " + failure.get());
            assertArrayEquals(k(400), e.get(k(7)));
            assertFalse(e.stats().segments() == 0 && e.stats().memtableEntries() == 0);
        }
    }
}
