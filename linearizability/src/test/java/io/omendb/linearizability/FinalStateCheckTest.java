package io.omendb.linearizability;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.Map;

import static io.omendb.linearizability.Op.Outcome.OK;
import static io.omendb.linearizability.Op.Outcome.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;

class FinalStateCheckTest {
    private static Op put(long id, String v, long from, long to, Op.Outcome outcome) {
        return new Op(id, "p", Op.Type.PUT, "k", v, null, from, to, outcome, null, false);
    }

    @Test
    void lastAcknowledgedWriteMissingIsLost() {
        Map<String, List<Op>> h = Map.of("k", List.of(put(0, "a", 0, 1, OK), put(1, "b", 2, 3, OK)));
        assertEquals(1, FinalStateCheck.lostAcknowledgedWrites(h, Map.of("k", "a")).size());
        assertEquals(1, FinalStateCheck.lostAcknowledgedWrites(h, Map.of()).size());
        assertEquals(0, FinalStateCheck.lostAcknowledgedWrites(h, Map.of("k", "b")).size());
    }

    @Test
    void overwrittenByConcurrentOrUnknownWriteIsNotLost() {
        Map<String, List<Op>> concurrent = Map.of("k", List.of(put(0, "a", 0, 10, OK), put(1, "b", 2, 3, OK)));
        assertEquals(0, FinalStateCheck.lostAcknowledgedWrites(concurrent, Map.of("k", "a")).size());
        Map<String, List<Op>> unknownLater = Map.of("k", List.of(put(0, "a", 0, 1, OK), put(1, "c", 5, 6, UNKNOWN)));
        assertEquals(0, FinalStateCheck.lostAcknowledgedWrites(unknownLater, Map.of("k", "c")).size());
    }

    @Test
    void valuesAndKeysNeverWrittenArePhantoms() {
        Map<String, List<Op>> h = Map.of("k", List.of(put(0, "a", 0, 1, OK)));
        assertEquals(0, FinalStateCheck.phantoms(h, Map.of("k", "a")).size());
        assertEquals("phantom_value", FinalStateCheck.phantoms(h, Map.of("k", "zz")).get(0).kind());
        assertEquals("phantom_key", FinalStateCheck.phantoms(h, Map.of("q", "a")).get(0).kind());
    }
}
