package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class RangeCostSampleTest {
    private static final long MIB = 1024 * 1024;

    @Test
    void jsonLineHasFixedFieldsInMebibytesAndTheTableRowMatchesTheHeader() {
        RangeCostSample s = new RangeCostSample(64, "load", "n2", 182.9, 492, 521 * MIB, 58 * MIB, 256 * MIB,
                157 * MIB, 52 * MIB, 36.1, 28.4 * 1024, 160.4, -1, 93, 0, 30, 20.5);
        assertEquals("{\"bench\":\"range-cost\",\"ranges\":64,\"phase\":\"load\",\"node\":\"n2\",\"ready_s\":182.9,"
                + "\"threads\":492,\"rss_mib\":521.0,\"heap_live_mib\":58.0,\"heap_committed_mib\":256.0,"
                + "\"direct_mib\":157.0,\"thread_stacks_mib\":52.0,\"cpu_pct_core\":36.1,\"raft_kib_per_s\":28.4,"
                + "\"raft_segs_per_s\":160.4,\"fsyncs_per_s\":-1.0,\"writes_per_s\":93.0,\"write_errors\":0,"
                + "\"window_s\":30.0,\"traced_writes_per_s\":20.5}", s.jsonLine());
        String header = RangeCostSample.tableHeader().lines().findFirst().orElseThrow();
        assertEquals(header.chars().filter(c -> c == '|').count(), s.tableRow().chars().filter(c -> c == '|').count());
        assertEquals("| 64 | load | n2 | 182.9 | 492 | 521 | 58 | 256 | 157.0 | 52.0 | 36.1 | 28.4 | 160 | – | 93 | 21 |",
                s.tableRow().trim());
    }
}
