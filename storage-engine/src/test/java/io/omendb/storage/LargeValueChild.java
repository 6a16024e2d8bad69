package io.omendb.storage;

import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * Writes {@code mib} MiB of {@code valueBytes}-byte values into a fresh engine (default options, fsync as given),
 * fully compacts it, reads every value back, and prints one JSON line: seconds for all of that and for the full
 * compaction alone, the heap limit it ran in ({@code -Xmx}: finishing is the proof), the segments' resident
 * heap, the largest segment writer's heap, and the bytes compactions wrote. Run in a child JVM with a small
 * {@code -Xmx} by {@link LargeValueHeapTest}; also the measurement command in docs/STORAGE-ENGINE.md.
 *
 * <p>Usage: {@code LargeValueChild <dir> <mib> <valueBytes> <fsync:true|false>}
 */
public final class LargeValueChild {
    private LargeValueChild() {
    }

    static byte[] key(long i) {
        return ByteBuffer.allocate(8).putLong(i * 0x9E3779B97F4A7C15L >>> 1).array();
    }

    /** Deterministic, incompressible-looking content that differs per key. */
    static byte[] value(long i, int bytes) {
        byte[] v = new byte[bytes];
        new SplittableRandom(i).nextBytes(v);
        return v;
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long mib = Long.parseLong(args[1]);
        int valueBytes = Integer.parseInt(args[2]);
        boolean fsync = Boolean.parseBoolean(args[3]);
        long n = (mib << 20) / valueBytes;
        long t0 = System.nanoTime();
        long compactNanos;
        try (StorageEngine e = StorageEngine.open(dir, EngineOptions.defaults().withFsync(fsync))) {
            for (long i = 0; i < n; i++) {
                e.put(key(i), value(i, valueBytes));
            }
            e.flush();
            long t1 = System.nanoTime();
            e.compact();
            compactNanos = System.nanoTime() - t1;
            for (long i = 0; i < n; i++) {
                if (!Arrays.equals(value(i, valueBytes), e.get(key(i)))) {
                    throw new AssertionError("wrong value for record " + i);
                }
            }
            System.out.printf("{\"records\":%d,\"value_bytes\":%d,\"mib\":%d,\"load_compact_verify_s\":%.1f,"
                            + "\"full_compaction_s\":%.1f,\"heap_max_mib\":%d,"
                            + "\"segments\":%d,\"segment_heap_bytes\":%d,\"writer_heap_peak_bytes\":%d,"
                            + "\"compaction_written_mib\":%d}%n",
                    n, valueBytes, mib, (System.nanoTime() - t0) / 1e9, compactNanos / 1e9,
                    Runtime.getRuntime().maxMemory() >> 20, e.stats().segments(), e.segmentHeapBytes(),
                    e.writerHeapBytesPeak(), e.compactionBytesWritten() >> 20);
        }
    }
}
