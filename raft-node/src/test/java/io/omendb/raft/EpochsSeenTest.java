package io.omendb.raft;

import org.junit.jupiter.api.Test;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link EpochsSeen}: how long a range kept one epoch, as the merger's cool-down and the frozen-merge timer use it. */
class EpochsSeenTest {
    @Test
    void theTimeRunsWhileTheEpochStaysAndStartsAgainWhenItChanges() {
        EpochsSeen seen = new EpochsSeen();
        assertEquals(100, seen.observe(1, 5, 100));
        assertEquals(100, seen.observe(1, 5, 900), "same epoch: since the first sighting");
        assertTrue(seen.heldFor(1, 5, 1_100, 1_000));
        assertFalse(seen.heldFor(1, 5, 1_099, 1_000));
        assertFalse(seen.heldFor(1, 6, 5_000, 1_000), "another epoch than the one seen");
        assertFalse(seen.heldFor(2, 5, 5_000, 0), "never seen");

        assertEquals(2_000, seen.observe(1, 6, 2_000), "a new epoch starts the time again");
        seen.restart(1, 3_000);
        assertFalse(seen.heldFor(1, 6, 9_000, 0), "after a restart no epoch holds until seen again");
        assertEquals(4_000, seen.observe(1, 6, 4_000), "the time starts again at the next sighting");
    }

    @Test
    void rangesNotKeptAreForgotten() {
        EpochsSeen seen = new EpochsSeen();
        seen.observe(1, 1, 0);
        seen.observe(2, 1, 0);
        seen.retainOnly(id -> id == 2);
        assertEquals(50, seen.observe(1, 1, 50), "forgotten: seen anew");
        assertEquals(0, seen.observe(2, 1, 50));
    }
}
