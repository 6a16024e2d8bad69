package io.omendb.chaos;

import io.omendb.chaos.nemesis.FaultRecord;
import io.omendb.chaos.nemesis.FaultType;
import io.omendb.chaos.report.ChaosReport;
import org.junit.jupiter.api.Test;

import java.nio.file.Files;
import java.nio.file.Path;
import java.util.EnumSet;
import java.util.Set;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The short chaos profile, inside {@code mvn verify}: 3 node processes of the packaged jar, each in its own network
 * namespace, a concurrent HTTP workload over 4 ranges, and every fault type once (kill -9 random, kill -9 leader,
 * SIGSTOP pause, partitions with the leader in the minority / majority, a one-way partition, a wiped node, all
 * nodes killed, splits and merges with and without a kill, a node joining, a node decommissioned, a node killed for
 * good and replaced). It must end with 0 violations. The report lands in chaos-tests/target/.
 *
 * <p>It found the wiped-node bug (a node restarted with the same id after losing its data directory never caught
 * up); since raft-node re-admits such a node as a new member (OmenNode) it passes with the checks unchanged.
 */
class ShortChaosProfileTest {
    @Test
    void everyFaultOnceWithoutViolations() throws Exception {
        Path root = Path.of(System.getProperty("omendb.root", "..")).toAbsolutePath().normalize();
        Path out = root.resolve("chaos-tests").resolve("target");
        long seed = Long.getLong("chaos.seed", 20_260_526L);
        ChaosReport report = new ChaosRun(ChaosOptions.shortProfile(root, out, seed)).execute();
        report.write(out, "mvn -pl chaos-tests -am verify (short profile, seed " + seed + ")");
        System.out.println(report.markdown("short profile"));

        Set<FaultType> ran = EnumSet.noneOf(FaultType.class);
        report.faults().stream().map(FaultRecord::type).forEach(ran::add);
        Set<FaultType> expected = EnumSet.allOf(FaultType.class);
        if (report.networkFallbackReason() != null) {
            expected.removeIf(FaultType::needsPartitions);
        }
        assertEquals(expected, ran, "every fault type runs once");
        assertTrue(report.acknowledgedWrites() > 0, "the workload made progress");
        assertTrue(Files.size(out.resolve("chaos-timeline.png")) > 0);
        assertEquals(0, report.violations(), () -> report.markdown("short profile"));
    }
}
