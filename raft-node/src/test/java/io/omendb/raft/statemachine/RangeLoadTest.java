package io.omendb.raft.statemachine;

import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.SplittableRandom;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Windows, rates and the load's median key, on a fake clock. */
class RangeLoadTest {
    @Test
    void theLastCompleteWindowGivesTheRateAndTheLoadsMedianKey() {
        AtomicLong now = new AtomicLong(1_000);
        RangeLoad load = new RangeLoad(10_000, 1_000, now::get, new SplittableRandom(7));
        assertEquals(0, load.lastWindow().opsPerSecond(), "nothing complete yet");
        // 30,000 requests in one window: a quarter on keys "a...", three quarters on keys "m..." (the hot part)
        for (int i = 0; i < 30_000; i++) {
            load.record(key((i % 4 == 0 ? "a" : "m") + String.format("%05d", i)));
        }
        now.addAndGet(10_000);
        RangeLoad.Window w = load.lastWindow();
        assertEquals(3_000, w.opsPerSecond(), 1e-9);
        String median = new String(w.medianKeyOrNull(), StandardCharsets.UTF_8);
        assertTrue(median.startsWith("m"), "the load's median lies in the hot part, not at the keys' midpoint: "
                + median);
        assertTrue(median.compareTo("m10000") > 0 && median.compareTo("m20000") < 0, median);

        now.addAndGet(25_000); // more than a whole window without a request: idle
        RangeLoad.Window idle = load.lastWindow();
        assertEquals(0, idle.opsPerSecond());
        assertNull(idle.medianKeyOrNull());
    }

    private static byte[] key(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
