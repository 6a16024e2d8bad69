package io.omendb.storage;

import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Large values (64 KiB, and 1 KiB since the inline limit is 128 bytes) must not need heap proportional to the range
 * (docs/CHAOS.md bug 4): segments and compaction keep them on disk, and compaction tiers by bytes so new flushes do not re-merge the whole range.
 */
class LargeValueHeapTest {
    private static final int VALUE_BYTES = 64 * 1024;
    private static final long MIB = 1L << 20;

    @TempDir
    Path tmp;

    /**
     * 256 MiB loaded and fully compacted in a JVM of 96 MiB heap. Before values were streamed and kept on disk
     * this died with OutOfMemoryError in SegmentBuilder.grow: the segments alone held the 256 MiB.
     */
    @Test
    void loadsAndCompacts256MiBIn96MiBOfHeap() throws Exception {
        assertLoadsAndCompacts(96, 256, VALUE_BYTES);
    }

    /**
     * The same with 1 KiB values (262,144 records) in 128 MiB of heap. While values up to 1,024 bytes stayed resident
     * by default, this died with OutOfMemoryError in SegmentBuilder.grow, as three 2 GiB nodes did at ~1.2 GB of 1 KiB
     * values in one range (docs/BENCHMARKS.md, "One hot range split by load").
     */
    @Test
    void loadsAndCompacts256MiBOfOneKibValuesIn128MiBOfHeap() throws Exception {
        assertLoadsAndCompacts(128, 256, 1024);
    }

    private void assertLoadsAndCompacts(int heapMib, int dataMib, int valueBytes) throws Exception {
        String java = Path.of(System.getProperty("java.home"), "bin", "java").toString();
        Process p = new ProcessBuilder(java, "-Xmx" + heapMib + "m", "-ea", "-cp", System.getProperty("java.class.path"),
                LargeValueChild.class.getName(), tmp.resolve("e").toString(), Integer.toString(dataMib),
                Integer.toString(valueBytes), "false").redirectErrorStream(true).start();
        try {
            assertTrue(p.waitFor(120, TimeUnit.SECONDS), "child did not finish in 120 s");
            String out = new String(p.getInputStream().readAllBytes(), StandardCharsets.UTF_8);
            assertEquals(0, p.exitValue(), out);
            assertTrue(out.contains("\"records\":" + ((long) dataMib << 20) / valueBytes), out);
        } finally {
            p.destroyForcibly();
        }
    }

    /**
     * Seven memtables of 64 KiB values (16 MiB each): the first four flushes merge once into one tier-1 segment
     * and the next three stay beside it. Counting tiers in records, every segment was tier 0 and the fourth
     * segment after that merge pulled the merged one in again (176 MiB written instead of at most 112).
     */
    @Test
    void newFlushesDoNotReMergeTheRange() throws IOException {
        Path dir = tmp.resolve("tiers");
        long records = 7 * (StorageEngine.MEMTABLE_BYTES_MAX / (VALUE_BYTES + 8 + Memtable.ENTRY_OVERHEAD_BYTES) + 1);
        StorageEngine e = StorageEngine.open(dir, EngineOptions.defaults().withFsync(false));
        try {
            for (long i = 0; i < records; i++) {
                e.put(LargeValueChild.key(i), LargeValueChild.value(i, VALUE_BYTES));
            }
        } finally {
            e.close(); // waits for the background compactions
        }
        long written = e.compactionBytesWritten();
        long loaded = records * (VALUE_BYTES + 8);
        assertTrue(written > 0, "four flushes of the same tier must have merged");
        assertTrue(written <= loaded + MIB, "compactions wrote " + (written >> 20) + " MiB for "
                + (loaded >> 20) + " MiB loaded: a segment was merged twice");
        assertTrue(e.writerHeapBytesPeak() < MIB, "a segment writer held " + e.writerHeapBytesPeak() + " bytes");

        try (StorageEngine reopened = StorageEngine.open(dir, EngineOptions.defaults().withFsync(false))) {
            assertTrue(reopened.stats().segments() >= 2, "segments: " + reopened.stats().segments());
            assertTrue(reopened.segmentHeapBytes() < MIB, "segments hold " + reopened.segmentHeapBytes() + " bytes");
            for (long i = 0; i < records; i += 37) {
                assertArrayEquals(LargeValueChild.value(i, VALUE_BYTES), reopened.get(LargeValueChild.key(i)), "record " + i);
            }
            List<KeyValue> all = reopened.scan(new byte[0], null, Integer.MAX_VALUE);
            assertEquals(records, all.size());
        }
    }
}
