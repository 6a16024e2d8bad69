package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

class ReportTest {
    private static final Result OMEN = new Result("omendb", "write", "uniform", 64, 12345.67, 4.5, 20.25, 31.0,
            40.0, 246913, 0, 20.0, 63.2, true, 1);
    private static final Result ETCD = new Result("etcd", "write", "uniform", 64, 6172.8, 9.0, 15.0, 18.0, 25.0,
            123456, 2, 20.0, 180.0, false, 1);

    @Test
    void jsonLineHasTheDocumentedFieldsInOrder() {
        assertEquals("{\"bench\":\"cluster\",\"target\":\"omendb\",\"workload\":\"write\",\"clients\":64,"
                + "\"ops_per_s\":12345.7,\"p50_ms\":4.500,\"p99_ms\":20.250,\"errors\":0,\"dist\":\"uniform\","
                + "\"warmup_s\":63.2,\"steady\":true,\"round\":1}",
                OMEN.jsonLine());
    }

    @Test
    void markdownOpensWithTheCommandAndTheMachineHeader() {
        String md = Report.markdown(List.of(OMEN), "bin/omendb-bench cluster", "Machine: Xeon, 2 cores\n\n");
        assertTrue(md.startsWith("# Cluster benchmark report\n\nCommand: `bin/omendb-bench cluster`\n\n"
                + "Machine: Xeon, 2 cores\n\n| target |"), md);
    }

    @Test
    void markdownHasARowPerResultWithItsWarmupAndOmenDbRatios() {
        String md = Report.markdown(List.of(OMEN, ETCD), "bin/omendb-bench cluster", "2 cores");
        assertTrue(md.contains(
                "| omendb | write | uniform | 64 | 12,346 | 4.50 | 20.25 | 31.00 | 40.00 | 0 | 63 | yes |\n"), md);
        assertTrue(md.contains(
                "| etcd | write | uniform | 64 | 6,173 | 9.00 | 15.00 | 18.00 | 25.00 | 2 | 180 | no |\n"), md);
        assertEquals(List.of("write: 2.00× etcd ops/s; p99 1.35×"), Report.ratioLines(List.of(OMEN, ETCD)));
    }

    @Test
    void everyOmenDbVariantIsComparedWithEveryPeerButNotWithEachOther() {
        Result leader = new Result("omendb-leader", "write", "uniform", 64, 18518.4, 3.0, 10.0, 12.0, 14.0, 370368, 0,
                20.0, 60.0, true, 1);
        assertEquals(List.of("write: 2.00× etcd ops/s; p99 1.35×", "write: omendb-leader 3.00× etcd ops/s; p99 0.67×"),
                Report.ratioLines(List.of(OMEN, leader, ETCD)));
    }

    @Test
    void severalRoundsGiveMediansAndRatiosPerRound() {
        Result omen2 = withOps(OMEN, 9000.0, 30.0).inRound(2);
        Result omen3 = withOps(OMEN, 15000.0, 10.0).inRound(3);
        Result etcd2 = withOps(ETCD, 5000.0, 16.0).inRound(2);
        Result etcd3 = withOps(ETCD, 7000.0, 14.0).inRound(3);
        List<Result> all = List.of(OMEN, ETCD, omen2, etcd2, omen3, etcd3);
        List<Result> medians = Report.medians(all);
        assertEquals(2, medians.size());
        assertEquals(12345.67, medians.get(0).opsPerSecond(), 1e-9);
        assertEquals(20.25, medians.get(0).p99Ms(), 1e-9); // p99 median of 20.25, 30, 10: its own median
        assertEquals(6172.8, medians.get(1).opsPerSecond(), 1e-9);
        assertEquals(0, medians.get(0).round());
        String md = Report.markdown(all, "c", "m");
        assertTrue(md.contains("| 3 | omendb | write |"), md);
        assertTrue(md.contains("Median of 3 rounds"), md);
        assertTrue(md.contains("- write: 2.00× etcd ops/s; p99 1.35×\n"), md);
        assertTrue(md.contains("- round 2: write: 1.80× etcd ops/s; p99 1.88×\n"), md);
        assertTrue(md.contains("- round 3: write: 2.14× etcd ops/s; p99 0.71×\n"), md);
    }

    @Test
    void anEvenNumberOfRoundsTakesTheMeanOfTheMiddleTwo() {
        List<Result> medians = Report.medians(List.of(OMEN, withOps(OMEN, 10000.0, 30.0).inRound(2)));
        assertEquals(11172.835, medians.get(0).opsPerSecond(), 1e-9);
        assertEquals(25.125, medians.get(0).p99Ms(), 1e-9);
    }

    private static Result withOps(Result r, double ops, double p99) {
        return new Result(r.target(), r.workload(), r.distribution(), r.clients(), ops, r.p50Ms(), p99, r.p999Ms(),
                r.maxMs(), r.operations(), r.errors(), r.measuredSeconds(), r.warmupSeconds(), r.steady(), r.round());
    }

    @Test
    void noRatiosWithoutOmenDb() {
        assertTrue(Report.ratioLines(List.of(ETCD)).isEmpty());
        assertTrue(!Report.markdown(List.of(ETCD), "c", "m").contains("relative"));
    }

    @Test
    void chartIsAPng(@TempDir Path dir) throws Exception {
        Path png = dir.resolve("chart.png");
        Report.writeChart(List.of(OMEN, ETCD), png);
        byte[] head = Files.readAllBytes(png);
        assertTrue(head.length > 1000 && head[1] == 'P' && head[2] == 'N' && head[3] == 'G');
    }
}
