package io.omendb.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Many engines on one small shared pool: every engine's flushes and compactions still run, in order. */
class MaintenancePoolTest {
    @TempDir
    Path tmp;

    private static byte[] k(int engine, int i) {
        return ByteBuffer.allocate(8).putInt(engine).putInt(i * 7919).array();
    }

    @Test
    void twentyEnginesShareTwoThreads() throws Exception {
        int engines = 20;
        int records = 3_000;
        EngineOptions opts = EngineOptions.defaults().withRetrainThreshold(200).withFsync(false).withCompactionFanIn(3);
        List<StorageEngine> open = new ArrayList<>();
        try (MaintenancePool pool = MaintenancePool.create(2, "test-maintenance")) {
            for (int e = 0; e < engines; e++) {
                open.add(StorageEngine.open(tmp.resolve("e" + e), opts, pool));
            }
            ExecutorService writers = Executors.newFixedThreadPool(4);
            List<Future<?>> done = new ArrayList<>();
            for (int e = 0; e < engines; e++) {
                int id = e;
                done.add(writers.submit(() -> {
                    for (int i = 0; i < records; i++) {
                        open.get(id).put(k(id, i), k(i, id));
                    }
                    return null;
                }));
            }
            for (Future<?> f : done) {
                f.get();
            }
            writers.shutdown();
            for (int e = 0; e < engines; e++) {
                StorageEngine engine = open.get(e);
                engine.flush();
                assertEquals(records, engine.scan(new byte[0], null, Integer.MAX_VALUE).size());
                assertTrue(engine.stats().segments() < records / 200, "compactions ran on the shared pool");
                engine.close();
            }
        }
        try (StorageEngine reopened = StorageEngine.open(tmp.resolve("e7"), opts)) {
            assertArrayEquals(k(123, 7), reopened.get(k(7, 123)));
            assertEquals(records, reopened.durableIndex());
        }
    }

    @Test
    void closingAnEngineLeavesTheSharedPoolWorking() throws IOException {
        EngineOptions opts = EngineOptions.defaults().withRetrainThreshold(50).withFsync(false);
        try (MaintenancePool pool = MaintenancePool.create(1, "test-maintenance")) {
            StorageEngine first = StorageEngine.open(tmp.resolve("a"), opts, pool);
            first.put(k(1, 1), k(1, 1));
            first.close();
            try (StorageEngine second = StorageEngine.open(tmp.resolve("b"), opts, pool)) {
                for (int i = 0; i < 500; i++) {
                    second.put(k(2, i), k(i, 2));
                }
                second.flush();
                assertEquals(500, second.durableIndex());
            }
        }
    }

    /**
     * The split pause seen in the 4 GiB growth run: a split's flush waited in the shared pool's queue behind other
     * ranges' compactions. Here the pool's only thread is held for the whole test, so every flush the writer and the
     * split need must run on their own thread; before that change this test never finished.
     */
    @Test
    void writesAndASplitDoNotWaitForOtherEnginesWorkOnThePool() throws Exception {
        int records = 1_000; // 20 memtables of 50: the writer passes immutableMemtablesMax many times
        EngineOptions opts = EngineOptions.defaults().withRetrainThreshold(50).withFsync(false);
        CountDownLatch release = new CountDownLatch(1);
        ExecutorService caller = Executors.newSingleThreadExecutor();
        try (MaintenancePool pool = MaintenancePool.create(1, "test-maintenance")) {
            pool.newQueue().execute(() -> awaitUninterruptibly(release)); // another engine's long compaction
            try (StorageEngine engine = StorageEngine.open(tmp.resolve("left"), opts, pool)) {
                Future<StorageEngine.SplitResult> split = caller.submit(() -> {
                    for (int i = 0; i < records; i++) {
                        engine.put(k(1, i), k(i, 1));
                    }
                    return engine.splitOff(k(1, records / 2), records + 1, tmp.resolve("right"), 0);
                });
                StorageEngine.SplitResult result;
                try {
                    result = split.get(2, TimeUnit.MINUTES); // a hang guard, not a speed goal
                } finally {
                    release.countDown();
                }
                assertEquals(records + 1, engine.durableIndex());
                int left = engine.scan(new byte[0], null, Integer.MAX_VALUE).size();
                try (StorageEngine right = StorageEngine.open(result.rightDir(), opts)) {
                    assertEquals(records, left + right.scan(new byte[0], null, Integer.MAX_VALUE).size());
                    assertTrue(left > 0 && left < records, "both halves hold records: " + left);
                }
            }
        } finally {
            caller.shutdownNow();
        }
    }

    private static void awaitUninterruptibly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
