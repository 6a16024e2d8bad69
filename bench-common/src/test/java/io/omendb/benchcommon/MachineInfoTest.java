package io.omendb.benchcommon;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.stream.Stream;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class MachineInfoTest {
    private static final String X86_CPUINFO = """
            processor\t: 0
            vendor_id\t: GenuineIntel
            model name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz
            cpu MHz\t\t: 2200.000

            processor\t: 1
            model name\t: Intel(R) Xeon(R)   CPU @ 2.20GHz
            """;

    @Test
    void cpuModelIsTheFirstModelNameWithSpacesCollapsed() {
        assertEquals("Intel(R) Xeon(R) CPU @ 2.20GHz", MachineInfo.cpuModel(X86_CPUINFO));
    }

    @Test
    void cpuModelFallsBackToHardwareLineThenUnknown() {
        assertEquals("BCM2835", MachineInfo.cpuModel("processor\t: 0\nBogoMIPS\t: 108.00\nHardware\t: BCM2835\n"));
        assertEquals(MachineInfo.UNKNOWN, MachineInfo.cpuModel(""));
    }

    @Test
    void memTotalIsConvertedFromKibibytes() {
        String meminfo = "MemTotal:       24576000 kB\nMemFree:        18000000 kB\n";
        assertEquals(24_576_000L * 1024, MachineInfo.memTotalBytes(meminfo));
        assertEquals(0, MachineInfo.memTotalBytes(""));
    }

    @Test
    void loadAverageKeepsTheThreeAverages() {
        assertEquals("15.63 12.66 13.03", MachineInfo.loadAverage("15.63 12.66 13.03 18/525 31226\n"));
        assertEquals(MachineInfo.UNKNOWN, MachineInfo.loadAverage(""));
    }

    @Test
    void percentileIsNearestRank() {
        long[] hundred = new long[100];
        for (int i = 0; i < 100; i++) {
            hundred[i] = i + 1;
        }
        assertEquals(50, MachineInfo.percentile(hundred, 0.50));
        assertEquals(99, MachineInfo.percentile(hundred, 0.99));
        assertEquals(7, MachineInfo.percentile(new long[] {7}, 0.99));
    }

    @Test
    void syncWriteProbeTimesEachWriteAndLeavesNoFile(@TempDir Path dir) throws IOException {
        long[] now = {0};
        // every clock read advances 1 µs: each write measures exactly 1 µs
        MachineInfo.SyncWriteLatency lat = MachineInfo.measureSyncWrites(dir, 10, 4096, () -> now[0] += 1000);
        assertEquals(10, lat.writes());
        assertEquals(1.0, lat.p50Us());
        assertEquals(1.0, lat.p99Us());
        try (Stream<Path> files = Files.list(dir)) {
            assertEquals(0, files.count());
        }
    }

    @Test
    void jsonLineAndMarkdownCarryEveryField(@TempDir Path dir) {
        MachineInfo m = new MachineInfo("Xeon", 2, 3L << 30, "1.00 2.00 3.00", MachineInfo.UNKNOWN, "17.0.15",
                "Linux 6.1", new MachineInfo.SyncWriteLatency(dir, 200, 4096, 812.5, 2400.0)).withLoadAtEnd("4.00 5.00 6.00");
        assertEquals("{\"bench\":\"engine\",\"record\":\"machine\",\"cpu_model\":\"Xeon\",\"cores\":2,"
                + "\"mem_total_bytes\":3221225472,\"load_avg_start\":\"1.00 2.00 3.00\",\"load_avg_end\":\"4.00 5.00 6.00\","
                + "\"java\":\"17.0.15\",\"os\":\"Linux 6.1\",\"sync_writes\":200,\"sync_write_bytes\":4096,"
                + "\"sync_write_p50_us\":812.50,\"sync_write_p99_us\":2400.00}", m.jsonLine("engine").toString());
        String md = m.markdown();
        assertTrue(md.startsWith("Machine: Xeon, 2 cores, 3.0 GiB memory; Linux 6.1; Java 17.0.15\n"), md);
        assertTrue(md.contains("Load average (1, 5, 15 min): 1.00 2.00 3.00 at start, 4.00 5.00 6.00 at end\n"), md);
        assertTrue(md.contains("median 813 µs, p99 2400 µs"), md);
    }
}
