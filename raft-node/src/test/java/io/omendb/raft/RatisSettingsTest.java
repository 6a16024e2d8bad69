package io.omendb.raft;

import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.ConcurrentUtils;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;
import java.util.concurrent.CountDownLatch;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.ThreadPoolExecutor;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The per-group costs RatisSettings bounds, checked against what Ratis 3.3.0 builds from the properties. */
class RatisSettingsTest {
    @TempDir
    Path dir;

    private RaftProperties defaults() {
        return RatisSettings.server(ConfigLoader.defaults(), dir.resolve("raft"), dir.resolve("removed"), "127.0.0.1",
                0);
    }

    @Test
    void eachGroupsServerExecutorRunsOneThreadAtMost() throws Exception {
        RaftProperties p = defaults();
        // built exactly as RaftServerImpl builds each division's server executor
        ExecutorService pool = ConcurrentUtils.newThreadPoolWithMax(RaftServerConfigKeys.ThreadPool.serverCached(p),
                RaftServerConfigKeys.ThreadPool.serverSize(p), "test-server");
        CountDownLatch release = new CountDownLatch(1);
        CountDownLatch firstRunning = new CountDownLatch(1);
        try {
            pool.execute(() -> {
                firstRunning.countDown();
                awaitQuietly(release);
            });
            // the first task must have left the queue before the second is counted there (a loaded machine may not
            // have started the worker yet)
            assertTrue(firstRunning.await(10, TimeUnit.SECONDS), "the group's thread runs the first task");
            pool.execute(() -> awaitQuietly(release));
            ThreadPoolExecutor tpe = (ThreadPoolExecutor) pool;
            assertEquals(1, tpe.getPoolSize(), "a second task waits for the group's one thread");
            assertEquals(1, tpe.getQueue().size());
            assertEquals(RatisSettings.SERVER_THREADS_PER_GROUP_MAX, tpe.getMaximumPoolSize());
            assertEquals(0, tpe.getCorePoolSize(), "the thread ends when the group is idle");
        } finally {
            release.countDown();
            pool.shutdown();
            assertTrue(pool.awaitTermination(10, TimeUnit.SECONDS));
        }
    }

    @Test
    void theDefaultWriteBufferHoldsTheLargestEntryAndNoMore() {
        RaftProperties p = defaults();
        OmenConfig.Performance perf = ConfigLoader.defaults().performance();
        long buffer = RaftServerConfigKeys.Log.writeBufferSize(p).getSize();
        long entryMax = RaftServerConfigKeys.Log.Appender.bufferByteLimit(p).getSize();
        // SegmentedRaftLogWorker refuses a buffer below the entry limit + 8 (length + checksum)
        assertEquals(buffer, entryMax + OmenConfig.Performance.ENTRY_FRAMING_BYTES);
        assertEquals(entryMax, perf.commandBytesMax() + OmenConfig.Performance.ENTRY_OVERHEAD_BYTES);
        assertEquals(2304L * 1024, buffer, "direct memory per group replica");
        // GrpcServicesImpl refuses a message limit less than 1 MB above the entry limit
        SizeInBytes messageMax = GrpcConfigKeys.messageSizeMax(p, s -> { });
        assertTrue(messageMax.getSize() - entryMax >= SizeInBytes.ONE_MB.getSize(), messageMax.toString());
    }

    private static void awaitQuietly(CountDownLatch latch) {
        try {
            latch.await();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
