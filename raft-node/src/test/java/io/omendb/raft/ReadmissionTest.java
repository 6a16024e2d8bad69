package io.omendb.raft;

import org.apache.ratis.protocol.RaftGroupId;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.SplittableRandom;
import java.util.concurrent.ExecutionException;
import java.util.random.RandomGenerator;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The re-admission retry loop on a fake clock: its backoff sequence, its jitter bounds and its give-up. */
class ReadmissionTest {
    private static final RaftGroupId GROUP = RaftGroupId.randomId();
    private static final Readmission.Policy POLICY = new Readmission.Policy(1_000, 10_000, 60_000);

    /** A clock that only moves when the code under test sleeps; records every sleep. */
    private static final class FakeTime {
        long nowMs = 5_000;
        final List<Long> sleeps = new ArrayList<>();

        void sleep(long ms) {
            sleeps.add(ms);
            nowMs += ms;
        }
    }

    /** Draws the top of every jitter window: the nominal delays exactly. */
    private static final RandomGenerator HIGHEST = new RandomGenerator() {
        @Override
        public long nextLong() {
            throw new UnsupportedOperationException();
        }

        @Override
        public long nextLong(long bound) {
            return bound - 1;
        }
    };

    private static Readmission.Attempt failing(int[] attempts, int failuresBeforeSuccess) {
        return () -> {
            attempts[0]++;
            if (attempts[0] <= failuresBeforeSuccess) {
                throw new ExecutionException(new IOException("no leader"));
            }
        };
    }

    @Test
    void delaysDoubleFromTheInitialOneUpToTheCap() {
        long[] expected = {1_000, 2_000, 4_000, 8_000, 10_000, 10_000, 10_000};
        for (int failures = 1; failures <= expected.length; failures++) {
            assertEquals(expected[failures - 1], POLICY.delayMs(failures, HIGHEST), "after failure " + failures);
        }
    }

    @Test
    void jitterStaysInTheUpperHalfOfTheNominalDelay() {
        SplittableRandom random = new SplittableRandom(26);
        for (int failures = 1; failures <= 40; failures++) {
            long nominal = Math.min(10_000, 1_000L << Math.min(failures - 1, 20));
            long d = POLICY.delayMs(failures, random);
            assertTrue(d >= nominal / 2 && d <= nominal, "delay " + d + " after failure " + failures);
        }
    }

    @Test
    void retriesWithBackoffUntilAnAttemptSucceeds() {
        FakeTime time = new FakeTime();
        int[] attempts = {0};
        Readmission r = new Readmission("n1", GROUP, failing(attempts, 3), POLICY, () -> time.nowMs, time::sleep,
                HIGHEST);
        assertEquals(Readmission.Outcome.READMITTED, r.run());
        assertEquals(4, attempts[0]);
        assertEquals(List.of(1_000L, 2_000L, 4_000L), time.sleeps);
    }

    @Test
    void givesUpWhenTheNextAttemptWouldStartAfterTheDeadline() {
        FakeTime time = new FakeTime();
        int[] attempts = {0};
        Readmission r = new Readmission("n1", GROUP, failing(attempts, Integer.MAX_VALUE), POLICY, () -> time.nowMs,
                time::sleep, HIGHEST);
        assertEquals(Readmission.Outcome.GAVE_UP, r.run());
        // attempts at 0, 1, 3, 7, 15, 25, 35, 45 and 55 s after the first; the next would be at 65 s > 60 s
        assertEquals(9, attempts[0]);
        assertEquals(List.of(1_000L, 2_000L, 4_000L, 8_000L, 10_000L, 10_000L, 10_000L, 10_000L), time.sleeps);
        assertEquals(5_000 + 55_000, time.nowMs);
    }

    @Test
    void stopsWithoutRetryingWhenInterrupted() {
        FakeTime time = new FakeTime();
        int[] attempts = {0};
        Readmission r = new Readmission("n1", GROUP, () -> {
            attempts[0]++;
            throw new InterruptedException("closing");
        }, POLICY, () -> time.nowMs, time::sleep, HIGHEST);
        try {
            assertEquals(Readmission.Outcome.INTERRUPTED, r.run());
            assertTrue(Thread.currentThread().isInterrupted(), "the interrupt is kept for the thread's owner");
        } finally {
            Thread.interrupted();
        }
        assertEquals(1, attempts[0]);
        assertFalse(time.sleeps.iterator().hasNext());
    }

    @Test
    void aSeededRandomReplaysTheSameDelays() {
        List<Long> first = new ArrayList<>();
        List<Long> second = new ArrayList<>();
        for (List<Long> out : List.of(first, second)) {
            FakeTime time = new FakeTime();
            new Readmission("n1", GROUP, failing(new int[] {0}, Integer.MAX_VALUE), POLICY, () -> time.nowMs,
                    time::sleep, new SplittableRandom(7)).run();
            out.addAll(time.sleeps);
        }
        assertEquals(first, second);
        assertTrue(first.size() >= 8, "a jittered run makes at least as many attempts as the nominal one: " + first);
    }
}
