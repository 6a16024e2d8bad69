package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import org.junit.jupiter.api.Test;

class ProcStatsTest {
    private static final String STATUS = "Name:\tjava\nUmask:\t0022\nState:\tS (sleeping)\nVmPeak:\t 5000000 kB\n"
            + "VmRSS:\t  215756 kB\nRssAnon:\t  180000 kB\nThreads:\t102\nSigQ:\t0/95000\n";
    /** Field 2 holds a space and a ')' to show fields are counted after the last ')'. */
    private static final String STAT = "4242 (java (x) y) S 1 4242 4242 0 -1 4194560 100 0 0 0 1234 567 0 0 20 0 102 0"
            + " 9999 5000000000 53939 18446744073709551615 1 1 0 0 0 0 0 4096 17612 0 0 0 17 1 0 0 0 0 0\n";

    @Test
    void threadsRssAndCpuTicksAreReadFromStatusAndStat() {
        ProcStats s = ProcStats.parse(STATUS, STAT);
        assertEquals(102, s.threads());
        assertEquals(215756L * 1024, s.rssBytes());
        assertEquals(1234 + 567, s.cpuTicks());
    }

    @Test
    void cpuPercentOfOneCoreIsTheTickDeltaOverTheWindow() {
        ProcStats before = new ProcStats(10, 0, 1000);
        ProcStats after = new ProcStats(10, 0, 1000 + 3 * ProcStats.CLOCK_TICKS_PER_SECOND);
        assertEquals(10.0, ProcStats.cpuPercentOfCore(before, after, 30), 1e-9);
    }
}
