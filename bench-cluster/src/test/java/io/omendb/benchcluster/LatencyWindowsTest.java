package io.omendb.benchcluster;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;

import java.nio.charset.StandardCharsets;
import org.junit.jupiter.api.Test;

class LatencyWindowsTest {
    private static final long SECOND = LatencyWindows.WINDOW_NANOS;
    private static final long MS = 1_000_000L;
    private static final long START = 5 * SECOND + 123;

    @Test
    void anOperationBelongsToTheWindowItCompletedIn() {
        LatencyWindows w = new LatencyWindows(START, 3);
        assertEquals(-1, w.windowOf(START - 1));
        assertEquals(0, w.windowOf(START));
        assertEquals(0, w.windowOf(START + SECOND - 1));
        assertEquals(1, w.windowOf(START + SECOND));
        // started in window 0, completed in window 2: all of its latency shows in window 2
        w.record(START + 2 * SECOND + 10, 2 * SECOND, true);
        assertEquals(0, w.stats(0, 2).ops());
        LatencyWindows.Stats third = w.stats(2, 3);
        assertEquals(1, third.ops());
        assertEquals(2000.0, third.maxMs(), 2.0); // HdrHistogram keeps 3 significant digits
    }

    @Test
    void windowsMergeAndErrorsCountWithoutLatency() {
        LatencyWindows w = new LatencyWindows(START, 4);
        for (int i = 1; i <= 100; i++) {
            w.record(START + i, i * MS, true);
        }
        w.record(START + 5, 999_000 * MS, false);
        w.record(START + SECOND, 500 * MS, true);
        w.record(START + SECOND + 1, 1 * MS, false);
        LatencyWindows.Stats first = w.stats(0, 1);
        assertEquals(100, first.ops());
        assertEquals(1, first.errors());
        assertEquals(50.0, first.p50Ms(), 0.1);
        assertEquals(99.0, first.p99Ms(), 0.1);
        assertEquals(100.0, first.maxMs(), 0.1);
        LatencyWindows.Stats both = w.stats(0, 2);
        assertEquals(101, both.ops());
        assertEquals(2, both.errors());
        assertEquals(500.0, both.maxMs(), 0.5);
    }

    @Test
    void emptyWindowsAndOutsideOperations() {
        LatencyWindows w = new LatencyWindows(START, 2);
        w.record(START - 1, MS, true);
        w.record(START + 2 * SECOND, MS, true);
        w.record(START + SECOND, MS, false);
        assertEquals(2, w.outside());
        assertEquals(new LatencyWindows.Stats(0, 1, -1, -1, -1), w.stats(-3, 10));
    }

    @Test
    void splitAnswerParsesTheApiExample() {
        String body = "{\"range\":1,\"split_key\":\"key%3A0000005%25\",\"index\":2113,\"elapsed_ms\":41,"
                + "\"left\":{\"id\":1,\"start\":\"\",\"end\":\"m\",\"epoch\":2,\"peers\":[\"n1\",\"n2\",\"n3\"]},"
                + "\"right\":{\"id\":5,\"start\":\"m\",\"end\":null,\"epoch\":2,\"peers\":[\"n1\",\"n2\",\"n3\"]}}";
        SplitBenchMain.SplitAnswer a = SplitBenchMain.SplitAnswer.parse(body);
        assertEquals(41, a.elapsedMs());
        assertEquals(5, a.rightId());
        assertEquals(-1, a.frozenMs(), "a split freezes nothing");
        assertArrayEquals("key:0000005%".getBytes(StandardCharsets.US_ASCII), a.splitKey());
    }
}
