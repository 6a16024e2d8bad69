package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertEquals;

import java.util.List;
import org.junit.jupiter.api.Test;

class HotRangeBenchMainTest {
    @Test
    void aWindowShowsTheRangesOfTheLastSampleBeforeItsEnd() {
        GrowthTracker t = new GrowthTracker();
        t.record(0.5, 0, List.of(new RangeRow(1, "n1", 0)));
        t.record(31.2, 0, List.of(new RangeRow(1, "n1", 0), new RangeRow(2, "n1", 0)));
        t.record(45.0, 0, List.of(new RangeRow(1, "n1", 0), new RangeRow(3, "n2", 0), new RangeRow(2, "n1", 0),
                new RangeRow(4, "n3", 0)));
        List<GrowthTracker.Sample> samples = t.samples();
        assertEquals(1, HotRangeBenchMain.rangesAt(samples, 0.2), "before any sample: the one range");
        assertEquals(1, HotRangeBenchMain.rangesAt(samples, 31.0));
        assertEquals(2, HotRangeBenchMain.rangesAt(samples, 31.2));
        assertEquals(2, HotRangeBenchMain.rangesAt(samples, 44.9));
        assertEquals(4, HotRangeBenchMain.rangesAt(samples, 100));
    }
}
