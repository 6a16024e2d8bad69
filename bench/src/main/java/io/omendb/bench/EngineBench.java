package io.omendb.bench;

import io.omendb.benchcommon.JsonLine;
import io.omendb.benchcommon.MachineInfo;
import io.omendb.storage.Bytes;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.EngineStats;
import io.omendb.storage.FileOps;
import io.omendb.storage.KeyDistribution;
import io.omendb.storage.KeyValue;
import io.omendb.storage.ModelType;
import io.omendb.storage.StorageEngine;
import io.omendb.storage.index.IndexCodec;
import io.omendb.storage.index.KeyIndex;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import picocli.CommandLine.Command;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.TreeMap;
import java.util.concurrent.Callable;

/**
 * {@code omendb-bench engine}: the learned-index engine against {@code Arrays.binarySearch}, {@code TreeMap} and
 * RocksDB JNI (default options, and tuned for point lookups: {@link RocksPeer}), on the same generated keys in the
 * same JVM run, single-threaded.
 *
 * <ul>
 *   <li>{@code index_lookup}: the engine's learned index ({@code model_type recursive}) alone vs {@code Arrays.binarySearch} over the same sorted {@code long[]}.</li>
 *   <li>{@code ingest}: every record in random order until flushed and searchable (OmenDB: puts + flush;
 *       RocksDB: puts with the WAL off + a waiting flush; TreeMap: puts).</li>
 *   <li>{@code get}: random point reads of present keys on a compacted, warm store.</li>
 *   <li>{@code scan}: 100 consecutive records from a random present key.</li>
 *   <li>{@code bytes_per_record}: on-disk bytes / records after full compaction (8-byte keys, {@code --value-bytes}
 *   values, 16 by default).</li>
 * </ul>
 * Each measured loop runs once to warm up and once measured; results are checked (a wrong answer aborts).
 * {@code resident_bytes}: OmenDB's heap growth from open to compacted (full GC before each reading), and
 * {@code rocksdb-tuned}'s block cache usage plus memtables. Both RocksDB peers get a block cache that holds the
 * whole data set ({@link #wholeDataSetCacheBytes}), so every store answers from memory and the two resident sizes
 * say what that costs each; {@code --rocksdb-tuned-cache omendb} instead caps the tuned peer's cache at OmenDB's
 * measured footprint (same memory; RocksDB's larger blocks then miss to the OS page cache).
 *
 * <p>stdout: one JSON line per measurement, then a {@code machine} record ({@link MachineInfo}, probed in the
 * work directory at the start, load average read again at the end). The same results go to
 * {@code engine-report.md} in {@code --report-dir}, under the machine header.
 */
@Command(name = "engine", mixinStandardHelpOptions = true,
        description = "Storage engine benchmark: OmenDB vs binary search, TreeMap and RocksDB.")
final class EngineBench implements Callable<Integer> {
    /** Least value size: a value carries two longs derived from its record number. */
    static final int VALUE_BYTES_MIN = 16;
    private static final int SCAN_LENGTH = 100;

    @Option(names = "--keys", description = "records per distribution (default ${DEFAULT-VALUE})")
    int keys = 1_000_000;

    @Option(names = "--value-bytes", description = "bytes per value, at least 16 (default ${DEFAULT-VALUE}; the engine keeps"
            + " values up to 128 bytes in the heap and larger ones in its segment files)")
    int valueBytes = VALUE_BYTES_MIN;

    @Option(names = "--value-bytes-inline-max", description = "OmenDB keeps values up to this many bytes in the heap"
            + " (default ${DEFAULT-VALUE}, the engine's): to measure what the limit costs a get")
    int valueBytesInlineMax = EngineOptions.VALUE_BYTES_INLINE_MAX_DEFAULT;

    static final List<String> IMPLS = List.of("omendb", "binary_search", "treemap", "rocksdb", "rocksdb-tuned");

    @Spec
    CommandSpec spec;

    @Option(names = "--dist", split = ",", description = "comma list of uniform, lognormal, sequential_gaps, clustered, string_prefix, exponential, outliers; or all (default ${DEFAULT-VALUE})")
    List<String> dist = List.of("all");

    @Option(names = "--lookups", description = "point operations per measurement (default ${DEFAULT-VALUE})")
    int lookups = 2_000_000;

    @Option(names = "--max-error", description = "[index] max_error (default ${DEFAULT-VALUE})")
    int maxError = EngineOptions.MAX_ERROR_DEFAULT;

    @Option(names = "--work-dir", description = "scratch directory (default: a temp dir, deleted afterwards)")
    Path workDir;

    @Option(names = "--impls", split = ",", description = "omendb,binary_search,treemap,rocksdb,rocksdb-tuned (default: all)")
    List<String> impls = IMPLS;

    @Option(names = "--rocksdb-tuned-cache", description = "block cache of rocksdb-tuned: whole (holds the whole"
            + " data set, as the default peer's) or omendb (OmenDB's measured resident bytes; default ${DEFAULT-VALUE})")
    String tunedCache = "whole";

    @Option(names = "--report-dir", defaultValue = "${sys:omendb.home:-.}/bench/target",
            description = "where engine-report.md goes (default ${DEFAULT-VALUE})")
    Path reportDir;

    @Option(names = "--ops", split = ",", description = "index_lookup,store (store = ingest, get, scan, bytes_per_record; default: both)")
    List<String> ops = List.of("index_lookup", "store");

    private long sink;
    private final List<EngineReport.Row> rows = new ArrayList<>();

    @Override
    public Integer call() throws Exception {
        if (keys < 1000 || lookups < 1 || valueBytes < VALUE_BYTES_MIN || valueBytesInlineMax < 0) {
            System.err.println("--keys must be >= 1000, --lookups >= 1, --value-bytes >= " + VALUE_BYTES_MIN
                    + " and --value-bytes-inline-max >= 0");
            return 2;
        }
        if (!tunedCache.equals("whole") && !tunedCache.equals("omendb")) {
            System.err.println("--rocksdb-tuned-cache must be whole or omendb");
            return 2;
        }
        if (!IMPLS.containsAll(impls)) {
            System.err.println("--impls: unknown in " + impls + "; use " + String.join(",", IMPLS));
            return 2;
        }
        List<KeyDistribution> dists = dist.equals(List.of("all"))
                ? List.of(KeyDistribution.UNIFORM, KeyDistribution.LOGNORMAL, KeyDistribution.SEQUENTIAL_GAPS,
                KeyDistribution.CLUSTERED, KeyDistribution.STRING_PREFIX)
                : dist.stream().map(KeyDistribution::parse).toList();
        Path root = workDir != null ? Files.createDirectories(workDir) : Files.createTempDirectory("omendb-bench");
        MachineInfo machine;
        try {
            machine = MachineInfo.probe(root);
            progress(machine.markdown().strip().replace("\n", "; "));
            for (KeyDistribution d : dists) {
                runDistribution(d, root.resolve(d.configName()));
            }
        } finally {
            if (workDir == null) {
                FileOps.deleteRecursively(root);
            }
        }
        machine = machine.atEnd();
        System.out.println(machine.jsonLine("engine"));
        Files.createDirectories(reportDir);
        Path report = reportDir.resolve("engine-report.md");
        Files.writeString(report, EngineReport.markdown(rows, command(), machine.markdown()));
        progress("report: " + report);
        System.err.println("checksum " + sink);
        return 0;
    }

    private String command() {
        return "bin/omendb-bench " + String.join(" ", spec.commandLine().getParseResult().originalArgs());
    }

    private void runDistribution(KeyDistribution d, Path dir) throws Exception {
        progress("generating " + keys + " " + d.configName() + " keys");
        long[] sorted = d.sortedUniqueKeys(keys, 20261126);
        byte[][] encoded = new byte[sorted.length][];
        for (int i = 0; i < sorted.length; i++) {
            encoded[i] = d.encode(sorted[i]);
        }
        int[] probes = new SplittableRandom(7).ints(lookups, 0, sorted.length).toArray();
        if (ops.contains("index_lookup")) {
            indexLookup(d, encoded, probes);
        }
        if (!ops.contains("store")) {
            return;
        }
        int[] insertOrder = shuffled(sorted.length, 11);
        if (impls.contains("treemap")) {
            treeMap(d, encoded, insertOrder, probes);
        }
        long omenResidentBytes = -1;
        if (impls.contains("omendb")) {
            omenResidentBytes = omen(d, encoded, insertOrder, probes, dir.resolve("omendb"));
        }
        long wholeCacheBytes = wholeDataSetCacheBytes(sorted.length);
        if (impls.contains("rocksdb")) {
            rocks(d, encoded, insertOrder, probes, dir, RocksPeer.Tuning.DEFAULT, wholeCacheBytes);
        }
        if (impls.contains("rocksdb-tuned")) {
            if (tunedCache.equals("omendb") && omenResidentBytes <= 0) {
                throw new IllegalArgumentException("--rocksdb-tuned-cache omendb needs omendb in --impls");
            }
            long cacheBytes = tunedCache.equals("omendb") ? omenResidentBytes : wholeCacheBytes;
            rocks(d, encoded, insertOrder, probes, dir, RocksPeer.Tuning.POINT_LOOKUP, cacheBytes);
        }
    }

    /** The learned index alone vs Arrays.binarySearch, over the heads the engine would train on. */
    private void indexLookup(KeyDistribution d, byte[][] encoded, int[] probes) {
        int prefix = Bytes.commonPrefix(encoded[0], encoded[encoded.length - 1]);
        long[] heads = new long[encoded.length];
        for (int i = 0; i < heads.length; i++) {
            heads[i] = Bytes.head(encoded[i], prefix) >>> 1; // 63-bit so signed binarySearch agrees
        }
        long[] probeKeys = new long[probes.length];
        for (int i = 0; i < probes.length; i++) {
            probeKeys[i] = heads[probes[i]];
        }
        if (impls.contains("binary_search")) {
            double ns = measure(() -> {
                long s = 0;
                for (long k : probeKeys) {
                    s += Arrays.binarySearch(heads, k);
                }
                return s;
            }, probeKeys.length);
            emit("index_lookup", d, "binary_search", ns);
        }
        if (impls.contains("omendb")) {
            KeyIndex rmi = IndexCodec.build(ModelType.RECURSIVE, heads, maxError);
            for (int i = 0; i < Math.min(probes.length, 100_000); i++) {
                if (heads[rmi.lowerBound(probeKeys[i])] != probeKeys[i]) {
                    throw new IllegalStateException("learned index answered wrongly");
                }
            }
            double ns = measure(() -> {
                long s = 0;
                for (long k : probeKeys) {
                    s += rmi.lowerBound(k);
                }
                return s;
            }, probeKeys.length);
            emit("index_lookup", d, "omendb", ns);
            var st = rmi.stats();
            progress(String.format("index: %d leaves, %d inner, depth %d, mean err %.1f, max err %d, %d model bytes",
                    st.leaves(), st.innerNodes(), st.depth(), st.meanError(), st.maxError(), st.modelBytes()));
        }
    }

    private void treeMap(KeyDistribution d, byte[][] encoded, int[] order, int[] probes) {
        TreeMap<byte[], byte[]> map = new TreeMap<>(Bytes.UNSIGNED);
        long t0 = System.nanoTime();
        for (int i : order) {
            map.put(encoded[i], value(i));
        }
        emit("ingest", d, "treemap", (double) (System.nanoTime() - t0) / order.length);
        emit("get", d, "treemap", measure(() -> {
            long s = 0;
            for (int p : probes) {
                s += map.get(encoded[p])[0];
            }
            return s;
        }, probes.length));
        int scans = Math.max(1, probes.length / 50);
        emit("scan", d, "treemap", measure(() -> {
            long s = 0;
            for (int i = 0; i < scans; i++) {
                int n = 0;
                for (Map.Entry<byte[], byte[]> e : map.tailMap(encoded[probes[i]], true).entrySet()) {
                    s += e.getValue()[0];
                    if (++n == SCAN_LENGTH) {
                        break;
                    }
                }
            }
            return s;
        }, scans));
    }

    private void rocks(KeyDistribution d, byte[][] encoded, int[] order, int[] probes, Path parent,
                       RocksPeer.Tuning tuning, long cacheBytes) throws Exception {
        String impl = tuning.impl;
        Path dir = Files.createDirectories(parent.resolve(impl));
        try (RocksPeer db = RocksPeer.open(dir, tuning, cacheBytes)) {
            long t0 = System.nanoTime();
            for (int i : order) {
                db.put(encoded[i], value(i));
            }
            db.flush();
            emit("ingest", d, impl, (double) (System.nanoTime() - t0) / order.length);
            db.compact();
            emit("get", d, impl, measure(() -> {
                long s = 0;
                try {
                    for (int p : probes) {
                        s += db.get(encoded[p]).get(0);
                    }
                } catch (RocksDBException e) {
                    throw new IllegalStateException(e);
                }
                return s;
            }, probes.length));
            int scans = Math.max(1, probes.length / 50);
            emit("scan", d, impl, measure(() -> {
                long s = 0;
                try (RocksIterator it = db.newIterator()) {
                    for (int i = 0; i < scans; i++) {
                        s += db.scan(it, encoded[probes[i]], SCAN_LENGTH);
                    }
                }
                return s;
            }, scans));
            if (d != KeyDistribution.STRING_PREFIX) {
                emitValue("bytes_per_record", impl, d, (double) db.sstBytes() / order.length);
            }
            emitValue("block_cache_bytes", impl, d, cacheBytes);
            emitValue("resident_bytes", impl, d, db.residentBytes());
        }
    }

    /** A RocksDB block cache that holds every block of the compacted store (about 36 bytes a record uncompressed). */
    static long wholeDataSetCacheBytes(int records) {
        return Math.max(64L << 20, (long) records * 64);
    }

    /** Measures OmenDB; returns its resident bytes once compacted (see the class comment). */
    private long omen(KeyDistribution d, byte[][] encoded, int[] order, int[] probes, Path dir) throws IOException {
        EngineOptions opts = EngineOptions.defaults().withMaxError(maxError).withValueBytesInlineMax(valueBytesInlineMax);
        long heapBefore = heapUsedAfterGc();
        try (StorageEngine engine = StorageEngine.open(dir, opts)) {
            long t0 = System.nanoTime();
            for (int i : order) {
                engine.put(encoded[i], value(i));
            }
            engine.flush();
            emit("ingest", d, "omendb", (double) (System.nanoTime() - t0) / order.length);
            engine.compact();
            long residentBytes = heapUsedAfterGc() - heapBefore;
            EngineStats st = engine.stats();
            progress(String.format("omendb: %d segments, %d leaves, mean err %.1f, max err %d, %.2f bytes/record",
                    st.segments(), st.leaves(), st.meanError(), st.maxError(), st.bytesPerRecord()));
            emit("get", d, "omendb", measure(() -> {
                long s = 0;
                for (int p : probes) {
                    s += engine.get(encoded[p])[0];
                }
                return s;
            }, probes.length));
            int scans = Math.max(1, probes.length / 50);
            emit("scan", d, "omendb", measure(() -> {
                long s = 0;
                for (int i = 0; i < scans; i++) {
                    List<KeyValue> kvs = engine.scan(encoded[probes[i]], null, SCAN_LENGTH);
                    s += kvs.get(0).value()[0] + kvs.size();
                }
                return s;
            }, scans));
            if (d != KeyDistribution.STRING_PREFIX) {
                emitValue("bytes_per_record", "omendb", d, st.bytesPerRecord());
            }
            emitValue("resident_bytes", "omendb", d, residentBytes);
            return residentBytes;
        }
    }

    private static long heapUsedAfterGc() {
        Runtime rt = Runtime.getRuntime();
        System.gc();
        System.gc();
        return rt.totalMemory() - rt.freeMemory();
    }

    /** A warm-up run, then a measured run; returns ns per operation. */
    private double measure(java.util.function.LongSupplier loop, int ops) {
        sink += loop.getAsLong();
        long t0 = System.nanoTime();
        sink += loop.getAsLong();
        return (double) (System.nanoTime() - t0) / ops;
    }

    private byte[] value(int i) {
        ByteBuffer b = ByteBuffer.allocate(valueBytes);
        long h = i * 0x9E3779B97F4A7C15L;
        b.putLong(h | 1).putLong(h ^ 0x5DEECE66DL);
        return b.array();
    }

    private static int[] shuffled(int n, long seed) {
        int[] a = new int[n];
        for (int i = 0; i < n; i++) {
            a[i] = i;
        }
        SplittableRandom rnd = new SplittableRandom(seed);
        for (int i = n - 1; i > 0; i--) {
            int j = rnd.nextInt(i + 1);
            int t = a[i];
            a[i] = a[j];
            a[j] = t;
        }
        return a;
    }

    private void emit(String op, KeyDistribution d, String impl, double nsPerOp) {
        rows.add(new EngineReport.Row(d.configName(), op, impl, nsPerOp));
        System.out.println(new JsonLine().put("bench", "engine").put("op", op).put("dist", d.configName())
                .put("keys", keys).put("value_bytes", valueBytes).put("value_bytes_inline_max", valueBytesInlineMax)
                .put("impl", impl).put("ns_per_op", nsPerOp)
                .put("ops_per_s", 1e9 / nsPerOp));
        System.out.flush();
    }

    private void emitValue(String op, String impl, KeyDistribution d, double value) {
        rows.add(new EngineReport.Row(d.configName(), op, impl, value));
        System.out.println(new JsonLine().put("bench", "engine").put("op", op).put("dist", d.configName())
                .put("keys", keys).put("value_bytes", valueBytes).put("value_bytes_inline_max", valueBytesInlineMax)
                .put("impl", impl).put("value", value));
        System.out.flush();
    }

    private static void progress(String s) {
        System.err.println("# " + s);
    }
}
