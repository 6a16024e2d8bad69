package io.omendb.storage;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.Arrays;
import java.util.SplittableRandom;

/**
 * What {@link StorageEngine#estimateMedianKey()} costs on a large range, and how far from the true byte median it
 * lands. Loads {@code mib} MiB of {@code valueBytes}-byte values under uniform random 8-byte keys (default options,
 * fsync on: tier compactions run as they would), then times 101 estimates (after 20 warm-up calls) and
 * measures the true byte median with one full scan, then splits the engine at the estimate (hard links, no copy)
 * and times that too. Prints one JSON line.
 *
 * <p>Usage: {@code MedianCostMain <dir> <mib> <valueBytes>} (the directory and {@code <dir>-right} must not exist).
 * Before the split 1,000 more writes are buffered, so its time includes a memtable flush and every fsync; the
 * line also says when each step of the split was reached ({@code split_intent-writtenMs}: after the flush and the
 * intent's manifest write, and so on).
 */
public final class MedianCostMain {
    private MedianCostMain() {
    }

    public static void main(String[] args) throws Exception {
        Path dir = Path.of(args[0]);
        long mib = Long.parseLong(args[1]);
        int valueBytes = Integer.parseInt(args[2]);
        if (Files.exists(dir)) {
            throw new IllegalArgumentException(dir + " exists");
        }
        long n = (mib << 20) / (valueBytes + 8);
        SplittableRandom rnd = new SplittableRandom(1);
        int segments;
        long[] nanos = new long[101];
        long below = 0;
        long total = 0;
        long splitNanos;
        StringBuilder steps = new StringBuilder(); // when each step of the split was reached, from its start
        try (StorageEngine e = StorageEngine.open(dir, EngineOptions.defaults())) {
            byte[] v = new byte[valueBytes];
            for (long i = 0; i < n; i++) {
                rnd.nextBytes(v);
                e.put(KeyDistribution.UNIFORM.encode(rnd.nextLong() >>> 1), v.clone());
            }
            e.flush();
            for (int i = 0; i < 20; i++) {
                e.estimateMedianKey();
            }
            byte[] m = null;
            for (int i = 0; i < nanos.length; i++) {
                long t0 = System.nanoTime();
                m = e.estimateMedianKey();
                nanos[i] = System.nanoTime() - t0;
            }
            Arrays.sort(nanos);
            for (KeyValue kv : e.scan(new byte[0], null, Integer.MAX_VALUE)) {
                total += kv.key().length + kv.value().length;
                if (Bytes.compare(kv.key(), m) < 0) {
                    below += kv.key().length + kv.value().length;
                }
            }
            segments = e.stats().segments();
            for (int i = 0; i < 1_000; i++) { // leave a memtable to flush, as a split under load would
                rnd.nextBytes(v);
                e.put(KeyDistribution.UNIFORM.encode(rnd.nextLong() >>> 1), v.clone());
            }
            long t0 = System.nanoTime();
            e.stepHook = step -> steps.append(String.format(",\"%sMs\":%.1f", step.replace(':', '_'),
                    (System.nanoTime() - t0) / 1e6));
            e.splitOff(m, e.appliedIndex() + 1, dir.resolveSibling(dir.getFileName() + "-right"), 0);
            splitNanos = System.nanoTime() - t0;
        }
        System.out.printf("{\"mib\":%d,\"valueBytes\":%d,\"records\":%d,\"segments\":%d,\"estimateMedianUs\":%.1f,"
                        + "\"estimateMaxUs\":%.1f,\"bytesBelow\":%d,\"bytesTotal\":%d,\"offFromMedianPct\":%.4f,"
                        + "\"splitMs\":%.1f%s}%n",
                mib, valueBytes, n, segments, nanos[50] / 1e3, nanos[100] / 1e3, below, total,
                100.0 * Math.abs(below - total / 2) / total, splitNanos / 1e6, steps);
    }
}
