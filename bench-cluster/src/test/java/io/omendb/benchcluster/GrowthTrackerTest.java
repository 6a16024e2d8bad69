package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

import java.util.List;
import java.util.Map;
import org.junit.jupiter.api.Test;

class GrowthTrackerTest {
    private static final long MIB = 1L << 20;

    @Test
    void parsesTheRangesOfAnAdminRangesAnswerInKeyOrder() {
        String body = "{\"ranges\":[{\"id\":1,\"start\":\"\",\"end\":\"key%3A0001\",\"epoch\":1,\"leader\":\"n1\","
                + "\"peers\":[\"n1\",\"n2\",\"n3\"],\"applied_index\":120,\"keys\":3021,\"bytes\":98304,"
                + "\"data_bytes\":90112,\"load_ops_per_s\":12.5},"
                + "{\"id\":7,\"start\":\"key%3A0001\",\"end\":null,\"epoch\":3,\"leader\":null,"
                + "\"peers\":[\"n1\",\"n2\",\"n3\"],\"applied_index\":5,\"keys\":0,\"bytes\":0,"
                + "\"data_bytes\":-1,\"load_ops_per_s\":-1}]}";
        List<RangeRow> rows = RangeRow.parse(body);
        assertEquals(List.of(new RangeRow(1, "n1", 90112), new RangeRow(7, null, -1)), rows);
        assertEquals(List.of(), RangeRow.parse("{\"ranges\":[]}"));
    }

    @Test
    void newIdsAreSplitsAtTheFirstSampleHoldingThemAndSizesLeaveOutUnansweredLeaders() {
        GrowthTracker t = new GrowthTracker();
        t.record(0, 0, List.of(row(1, "n1", 0), row(2, "n2", 0)));
        GrowthTracker.Sample s1 = t.record(2, 10 * MIB, List.of(row(1, "n1", 6 * MIB), row(2, "n2", 4 * MIB)));
        assertEquals(5.0, s1.ingestMibPerS(), 1e-9);
        t.record(3, 12 * MIB, List.of(row(1, "n1", 3 * MIB), row(5, "n3", 3 * MIB), row(2, "n2", 5 * MIB)));
        GrowthTracker.Sample last = t.record(4, 12 * MIB, List.of(row(1, "n1", 3 * MIB), row(5, "n3", 3 * MIB),
                row(2, "n2", 3 * MIB), row(6, null, -1)));
        assertEquals(List.of(new GrowthTracker.Split(5, 3), new GrowthTracker.Split(6, 4)), t.splits());
        assertEquals(4, last.rangeCount());
        assertEquals(9 * MIB, last.totalDataBytes());
        assertEquals(3 * MIB, last.maxDataBytes());
        assertEquals(0, last.ingestMibPerS(), 1e-9);
        assertArrayEquals(new long[]{3 * MIB, 3 * MIB, 3 * MIB}, t.latestSizesSorted());
        assertEquals(6 * MIB, t.peakRangeBytes());
        assertEquals(Map.of("n1", 1, "n2", 1, "n3", 1), t.leadersPerNode());
        assertNull(t.latest().get(3).leader());
        assertEquals(4, t.samples().size());
    }

    @Test
    void unansweredSamplesKeepTheIngestProgressAndWidenTheGap() {
        GrowthTracker t = new GrowthTracker();
        t.record(0, 0, List.of(row(1, "n1", 0)));
        t.recordUnanswered(1, MIB);
        t.recordUnanswered(2, 2 * MIB);
        t.record(3, 3 * MIB, List.of(row(1, "n1", MIB), row(2, "n2", 2 * MIB)));
        t.record(4, 4 * MIB, List.of(row(1, "n1", 2 * MIB), row(2, "n2", 2 * MIB)));
        assertEquals(2, t.unanswered());
        assertEquals(3.0, t.longestGapS(), 1e-9);
        assertEquals(List.of(new GrowthTracker.Progress(0, 0), new GrowthTracker.Progress(1, MIB),
                new GrowthTracker.Progress(2, 2 * MIB), new GrowthTracker.Progress(3, 3 * MIB),
                new GrowthTracker.Progress(4, 4 * MIB)), t.progress());
        assertEquals(List.of(new GrowthTracker.Split(2, 3)), t.splits());
        assertEquals(1.0, t.samples().get(1).ingestMibPerS(), 1e-9);
    }

    @Test
    void sampleLineHasFixedFieldsInMebibytes() {
        GrowthTracker.Sample s = new GrowthTracker.Sample(12.5, 100 * MIB, 9, 99 * MIB, 17 * MIB, 8.25);
        assertEquals("{\"bench\":\"growth\",\"t_s\":12.50,\"ingested_mib\":100.00,\"ranges\":9,\"data_mib\":99.00,"
                + "\"max_range_mib\":17.00,\"ingest_mib_per_s\":8.25}", s.jsonLine().toString());
    }

    private static RangeRow row(long id, String leader, long dataBytes) {
        return new RangeRow(id, leader, dataBytes);
    }
}
