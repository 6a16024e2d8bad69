package io.omendb.benchcommon;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.Arrays;
import java.util.Locale;
import java.util.function.LongSupplier;

/**
 * Where a benchmark ran, so that numbers from different machines (or from one machine under different load) can
 * be told apart: the CPU model and cores, the memory, the load average when the run started and when it ended,
 * the Java and OS versions, and the measured latency of a small synchronous write in the directory the benchmark
 * writes its data to (what every fsync-bound number depends on).
 *
 * <p>Both benchmarks print it as one JSON line ({@code "record":"machine"}, {@link #jsonLine}) and as the header
 * of their Markdown report ({@link #markdown}). Linux only in substance: elsewhere the {@code /proc} fields read
 * {@value #UNKNOWN} (or 0) and the sync-write probe still runs. Parsing is pure and unit-tested; {@link #probe}
 * reads the files and runs the probe once ({@value #SYNC_WRITES} writes of {@value #SYNC_WRITE_BYTES} bytes, each
 * followed by {@code FileChannel.force(true)}, i.e. fsync, into a fresh file it deletes afterwards; about 1 s on a
 * disk whose fsync takes 5 ms). Immutable; {@link #atEnd} returns a copy with the end-of-run load average.
 *
 * @param cpuModel      the first {@code model name} of /proc/cpuinfo
 * @param cores         processors this JVM may use
 * @param memTotalBytes {@code MemTotal} of /proc/meminfo
 * @param loadAtStart   the 1-, 5- and 15-minute load averages when the run started ("15.63 12.66 13.03")
 * @param loadAtEnd     the same when it ended; {@value #UNKNOWN} until {@link #atEnd}
 * @param javaVersion   {@code java.version} of the benchmark's JVM
 * @param os            OS name and version
 * @param syncWrite     the sync-write probe's result
 */
public record MachineInfo(String cpuModel, int cores, long memTotalBytes, String loadAtStart, String loadAtEnd,
                          String javaVersion, String os, SyncWriteLatency syncWrite) {
    public static final String UNKNOWN = "unknown";
    public static final int SYNC_WRITES = 200;
    public static final int SYNC_WRITE_BYTES = 4096;
    private static final Path CPUINFO = Path.of("/proc/cpuinfo");
    private static final Path MEMINFO = Path.of("/proc/meminfo");
    private static final Path LOADAVG = Path.of("/proc/loadavg");

    /**
     * Latency of {@code writes} appends of {@code writeBytes} bytes, each followed by an fsync, measured one by one.
     *
     * @param p50Us median, microseconds
     * @param p99Us 99th percentile (nearest rank), microseconds
     */
    public record SyncWriteLatency(Path dir, int writes, int writeBytes, double p50Us, double p99Us) {
    }

    /** Reads the machine now and measures the sync-write latency in {@code dataDir} (which must exist). */
    public static MachineInfo probe(Path dataDir) throws IOException {
        SyncWriteLatency sync = measureSyncWrites(dataDir, SYNC_WRITES, SYNC_WRITE_BYTES, System::nanoTime);
        return new MachineInfo(cpuModel(readOrEmpty(CPUINFO)), Runtime.getRuntime().availableProcessors(),
                memTotalBytes(readOrEmpty(MEMINFO)), loadAverage(readOrEmpty(LOADAVG)), UNKNOWN,
                System.getProperty("java.version"), System.getProperty("os.name") + " " + System.getProperty("os.version"),
                sync);
    }

    /** This record with the load average read now, as the run's end. */
    public MachineInfo atEnd() {
        return withLoadAtEnd(loadAverage(readOrEmpty(LOADAVG)));
    }

    MachineInfo withLoadAtEnd(String load) {
        return new MachineInfo(cpuModel, cores, memTotalBytes, loadAtStart, load, javaVersion, os, syncWrite);
    }

    /** The machine-readable record; {@code bench} is the benchmark's name ("engine", "cluster"). */
    public JsonLine jsonLine(String bench) {
        return new JsonLine().put("bench", bench).put("record", "machine").put("cpu_model", cpuModel)
                .put("cores", cores).put("mem_total_bytes", memTotalBytes).put("load_avg_start", loadAtStart)
                .put("load_avg_end", loadAtEnd).put("java", javaVersion).put("os", os)
                .put("sync_writes", syncWrite.writes()).put("sync_write_bytes", syncWrite.writeBytes())
                .put("sync_write_p50_us", syncWrite.p50Us()).put("sync_write_p99_us", syncWrite.p99Us());
    }

    /** The report header: a few lines of Markdown ending in a blank line. */
    public String markdown() {
        return String.format(Locale.ROOT, """
                        Machine: %s, %d cores, %.1f GiB memory; %s; Java %s
                        Load average (1, 5, 15 min): %s at start, %s at end
                        Sync write (%d × %d B append + fsync in %s): median %.0f µs, p99 %.0f µs

                        """, cpuModel, cores, memTotalBytes / (double) (1L << 30), os, javaVersion, loadAtStart,
                loadAtEnd, syncWrite.writes(), syncWrite.writeBytes(), syncWrite.dir(), syncWrite.p50Us(),
                syncWrite.p99Us());
    }

    /** The first {@code model name} of a /proc/cpuinfo text (x86), else its {@code Hardware}/{@code Processor} line. */
    static String cpuModel(String cpuinfo) {
        for (String key : new String[] {"model name", "Hardware", "Processor"}) {
            for (String line : cpuinfo.split("\n")) {
                int colon = line.indexOf(':');
                if (colon > 0 && line.substring(0, colon).trim().equals(key)) {
                    String value = line.substring(colon + 1).trim().replaceAll("\\s+", " ");
                    if (!value.isEmpty()) {
                        return value;
                    }
                }
            }
        }
        return UNKNOWN;
    }

    /** {@code MemTotal} of a /proc/meminfo text in bytes (the file says kB, meaning KiB), 0 when absent. */
    static long memTotalBytes(String meminfo) {
        for (String line : meminfo.split("\n")) {
            if (line.startsWith("MemTotal:")) {
                String[] parts = line.substring("MemTotal:".length()).trim().split("\\s+");
                long n = Long.parseLong(parts[0]);
                return parts.length > 1 && parts[1].equalsIgnoreCase("kB") ? n * 1024 : n;
            }
        }
        return 0;
    }

    /** The three load averages of a /proc/loadavg text ("0.52 0.58 0.59 1/467 12345" gives "0.52 0.58 0.59"). */
    static String loadAverage(String loadavg) {
        String[] parts = loadavg.trim().split("\\s+");
        return parts.length >= 3 ? parts[0] + " " + parts[1] + " " + parts[2] : UNKNOWN;
    }

    /** Appends {@code writes} blocks of {@code writeBytes} to a new file in {@code dir}, fsyncing each; deletes it. */
    static SyncWriteLatency measureSyncWrites(Path dir, int writes, int writeBytes, LongSupplier nanoClock)
            throws IOException {
        Path file = Files.createTempFile(dir, "machine-probe-", ".tmp");
        long[] ns = new long[writes];
        ByteBuffer block = ByteBuffer.allocateDirect(writeBytes);
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.WRITE)) {
            for (int i = 0; i < writes; i++) {
                block.clear();
                block.put(0, (byte) i);
                long t0 = nanoClock.getAsLong();
                while (block.hasRemaining()) {
                    ch.write(block);
                }
                ch.force(true);
                ns[i] = nanoClock.getAsLong() - t0;
            }
        } finally {
            Files.deleteIfExists(file);
        }
        Arrays.sort(ns);
        return new SyncWriteLatency(dir.toAbsolutePath(), writes, writeBytes, percentile(ns, 0.50) / 1e3,
                percentile(ns, 0.99) / 1e3);
    }

    /** Nearest-rank percentile of ascending {@code sorted}: the smallest value with at least {@code q} of all at or below it. */
    static long percentile(long[] sorted, double q) {
        int rank = (int) Math.ceil(q * sorted.length);
        return sorted[Math.max(0, Math.min(sorted.length - 1, rank - 1))];
    }

    private static String readOrEmpty(Path file) {
        try {
            return Files.readString(file);
        } catch (IOException e) {
            return ""; // not Linux: the fields read unknown
        }
    }
}
