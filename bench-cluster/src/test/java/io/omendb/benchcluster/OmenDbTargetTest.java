package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import org.junit.jupiter.api.Test;

class OmenDbTargetTest {
    private static final int[] PORTS = {1, 2, 3};

    @Test
    void benchmarksKeepTheirLayoutUnlessTheyAskForAnotherRangesSection() {
        KeySpace keys = new KeySpace(1000);
        String fixed = new OmenDbTarget(Path.of("app/target"), keys, 4, "-Xmx1g", Duration.ofSeconds(1), List.of(),
                OmenDbTarget.Routing.ANY_NODE, 1000).nodeConfig(0, Path.of("data"), PORTS, PORTS, PORTS);
        assertTrue(fixed.contains("[ranges]\nsplit_size_mb = 0\nsplit_load_ops_per_s = 0\nmerge_size_mb = 0\n\n"),
                fixed);
        String growth = new OmenDbTarget(Path.of("app/target"), keys, 4, "-Xmx1g", Duration.ofSeconds(1), List.of(),
                GrowthBenchMain.rangesSection(16), OmenDbTarget.Routing.ANY_NODE, 1000)
                .nodeConfig(0, Path.of("data"), PORTS, PORTS, PORTS);
        assertTrue(growth.contains("[ranges]\nsplit_size_mb = 16\nsplit_load_ops_per_s = 0\nsplit_check_interval_s = 2"
                + "\nsplit_cooldown_s = 10\nmerge_size_mb = 0\n\n"), growth);
        assertTrue(!growth.contains("split_size_mb = 0"), growth);
    }

    @Test
    void aJoiningNodeNamesTheConfiguredMembersThenItselfAndAPlacementIntervalWhenAsked() {
        KeySpace keys = new KeySpace(1000);
        OmenDbTarget target = new OmenDbTarget(Path.of("app/target"), keys, 4, "-Xmx1g", Duration.ofSeconds(1),
                List.of(), OmenDbTarget.FIXED_RANGES, OmenDbTarget.Routing.ANY_NODE, 1000, 5);
        int[] five = {11, 12, 13, 14, 15};
        String configured = target.nodeConfig(0, Path.of("data"), five, five, five);
        assertTrue(configured.contains("[placement]\nleader_balance_interval_s = 5\n"), configured);
        assertFalse(configured.contains("join"), configured);
        assertFalse(configured.contains("id = \"n4\""), configured);
        String joining = target.nodeConfig(4, Path.of("data"), five, five, five);
        assertTrue(joining.contains("node_id = \"n5\"\n"), joining);
        assertTrue(joining.contains("]\njoin = true\n"), joining);
        assertTrue(joining.indexOf("id = \"n1\"") < joining.indexOf("id = \"n3\"")
                && joining.indexOf("id = \"n3\"") < joining.indexOf("id = \"n5\"\nraft_address = \"127.0.0.1:15\""),
                joining);
        assertFalse(joining.contains("id = \"n4\""), joining);
        String fixed = new OmenDbTarget(Path.of("app/target"), keys, 4, "-Xmx1g", Duration.ofSeconds(1), List.of(),
                OmenDbTarget.Routing.ANY_NODE, 1000).nodeConfig(0, Path.of("data"), PORTS, PORTS, PORTS);
        assertTrue(fixed.contains("[placement]\nleader_balance_interval_s = 0\n"), fixed);
    }
}
