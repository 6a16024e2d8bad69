package io.omendb.chaos.nemesis;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.EnumMap;
import java.util.EnumSet;
import java.util.List;
import java.util.Map;
import java.util.Random;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

class FaultScheduleTest {
    private static final List<FaultType> ALL = List.of(FaultType.values());

    private static List<FaultType> drain(FaultSchedule s, int durationPassesAfter) {
        List<FaultType> out = new ArrayList<>();
        while (s.hasNext(out.size() >= durationPassesAfter)) {
            out.add(s.next());
        }
        return out;
    }

    @Test
    void aRunWhoseDurationEndsAfterOneFaultStillInjectsEveryTypeOnce() {
        for (long seed = 0; seed < 50; seed++) {
            List<FaultType> ran = drain(new FaultSchedule(ALL, true, 10_000, new Random(seed)), 1);
            assertEquals(ALL.size(), ran.size(), "seed " + seed);
            assertEquals(EnumSet.allOf(FaultType.class), EnumSet.copyOf(ran), "seed " + seed);
        }
    }

    @Test
    void longRunsDrawInShuffledRoundsSoCountsNeverDifferByMoreThanOne() {
        List<FaultType> ran = drain(new FaultSchedule(ALL, true, 10_000, new Random(7)), 3 * ALL.size() + 2);
        assertEquals(3 * ALL.size() + 2, ran.size());
        Map<FaultType, Integer> counts = new EnumMap<>(FaultType.class);
        ran.forEach(t -> counts.merge(t, 1, Integer::sum));
        assertEquals(ALL.size(), counts.size());
        assertTrue(counts.values().stream().allMatch(n -> n == 3 || n == 4), counts::toString);
        assertFalse(ran.subList(0, ALL.size()).equals(ALL), "rounds are shuffled, not in declaration order");
    }

    @Test
    void samplesBoundTheRunEvenBeforeEveryTypeRan() {
        List<FaultType> ran = drain(new FaultSchedule(ALL, true, 3, new Random(1)), Integer.MAX_VALUE);
        assertEquals(3, ran.size());
        List<FaultType> leaderKills = drain(new FaultSchedule(List.of(FaultType.KILL_LEADER), true, 30,
                new Random(1)), Integer.MAX_VALUE);
        assertEquals(30, leaderKills.size());
        assertTrue(leaderKills.stream().allMatch(t -> t == FaultType.KILL_LEADER));
    }

    @Test
    void fixedOrderRunsEachTypeOnceInTheGivenOrder() {
        assertEquals(ALL, drain(new FaultSchedule(ALL, false, 10_000, new Random(1)), 0));
    }

    @Test
    void theSameSeedGivesTheSamePlan() {
        assertEquals(drain(new FaultSchedule(ALL, true, 40, new Random(42)), 40),
                drain(new FaultSchedule(ALL, true, 40, new Random(42)), 40));
    }

    @Test
    void refusesNothingToDoAndDrawingPastTheEnd() {
        assertThrows(IllegalArgumentException.class, () -> new FaultSchedule(List.of(), true, 1, new Random(1)));
        assertThrows(IllegalArgumentException.class, () -> new FaultSchedule(ALL, true, 0, new Random(1)));
        FaultSchedule one = new FaultSchedule(ALL, true, 1, new Random(1));
        one.next();
        assertThrows(IllegalStateException.class, one::next);
    }
}
