package io.omendb.router.http;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertThrows;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import org.junit.jupiter.api.Test;

/** The access log's choice of lines (mode, slow threshold), its rate limit and request ids, on a fake clock. */
class AccessLogTest {
    private final AtomicLong nanos = new AtomicLong(1_000_000_000L);
    private final List<AccessLog.Entry> written = new ArrayList<>();

    private AccessLog log(AccessLog.Mode mode, long slowRequestMs, int linesPerSecondMax) {
        return new AccessLog(mode, slowRequestMs, linesPerSecondMax, nanos::get, () -> 0x00ff_1234_abcd_0042L,
                written::add);
    }

    private static AccessLog.Entry took(long ms) {
        return new AccessLog.Entry("GET", "/v1/kv/{key}", 200, TimeUnit.MILLISECONDS.toNanos(ms), "alice", "r1");
    }

    @Test
    void offWritesNothing() {
        AccessLog log = log(AccessLog.Mode.OFF, 0, 100);
        log.record(took(10_000));
        assertEquals(List.of(), written);
        assertEquals(0, log.droppedLines());
    }

    @Test
    void slowWritesRequestsFromTheThresholdOn() {
        AccessLog log = log(AccessLog.Mode.SLOW, 500, 100);
        log.record(took(499));
        log.record(took(500));
        log.record(took(501));
        assertEquals(List.of(took(500), took(501)), written);
    }

    @Test
    void allWritesEveryRequest() {
        AccessLog log = log(AccessLog.Mode.ALL, 500, 100);
        log.record(took(0));
        log.record(took(900));
        assertEquals(List.of(took(0), took(900)), written);
    }

    @Test
    void theRateLimitDropsAndCountsBeyondItsLinesPerSecond() {
        AccessLog log = log(AccessLog.Mode.ALL, 0, 3);
        for (int i = 0; i < 5; i++) {
            log.record(took(i));
        }
        assertEquals(3, written.size(), "a full bucket holds one second's worth");
        assertEquals(2, log.droppedLines());

        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(333)); // 0.999 of a line: not yet
        log.record(took(5));
        assertEquals(3, written.size());
        assertEquals(3, log.droppedLines());

        nanos.addAndGet(TimeUnit.MILLISECONDS.toNanos(1)); // now one line's worth
        log.record(took(6));
        assertEquals(4, written.size());

        nanos.addAndGet(TimeUnit.SECONDS.toNanos(60)); // a long pause refills one second's worth, not sixty
        for (int i = 0; i < 5; i++) {
            log.record(took(i));
        }
        assertEquals(7, written.size());
        assertEquals(5, log.droppedLines());
    }

    @Test
    void linesNotWantedAreNeitherWrittenNorCountedAsDropped() {
        AccessLog log = log(AccessLog.Mode.SLOW, 500, 1);
        for (int i = 0; i < 10; i++) {
            log.record(took(1));
        }
        log.record(took(600));
        assertEquals(List.of(took(600)), written);
        assertEquals(0, log.droppedLines());
    }

    @Test
    void aClientsRequestIdIsKeptWhenItIsSafe() {
        AccessLog log = log(AccessLog.Mode.OFF, 0, 1);
        assertEquals("3f2a-9c:trace/1+x=y_z.", log.requestId("3f2a-9c:trace/1+x=y_z."));
        assertEquals("a".repeat(AccessLog.REQUEST_ID_CHARS_MAX),
                log.requestId("a".repeat(AccessLog.REQUEST_ID_CHARS_MAX)));
    }

    @Test
    void otherwiseTheRouterMakesOne() {
        AccessLog log = log(AccessLog.Mode.OFF, 0, 1);
        String generated = "00ff1234abcd0042";
        assertEquals(generated, log.requestId(null));
        assertEquals(generated, log.requestId(""));
        assertEquals(generated, log.requestId("has space"));
        assertEquals(generated, log.requestId("quote\"injection"));
        assertEquals(generated, log.requestId("line\nbreak"));
        assertEquals(generated, log.requestId("a".repeat(AccessLog.REQUEST_ID_CHARS_MAX + 1)));
    }

    @Test
    void durationIsInMillisecondsToTheMicrosecond() {
        assertEquals(1.235, new AccessLog.Entry("GET", "/health", 200, 1_234_567, null, "r").durationMs());
    }

    @Test
    void limitsMustBeUsable() {
        assertThrows(IllegalArgumentException.class, () -> log(AccessLog.Mode.ALL, 0, 0));
        assertThrows(IllegalArgumentException.class, () -> log(AccessLog.Mode.ALL, -1, 1));
    }
}
