package io.omendb.linearizability;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static io.omendb.linearizability.Op.Outcome.FAILED;
import static io.omendb.linearizability.Op.Outcome.OK;
import static io.omendb.linearizability.Op.Outcome.UNKNOWN;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;

/** Hand-built single-key histories the checker must reject or accept. Times are abstract ticks. */
class LinearizabilityCheckerTest {
    private final List<Op> h = new ArrayList<>();

    private Op add(Op.Type type, String value, String expected, long invoke, long complete, Op.Outcome outcome,
                   String result, boolean flag) {
        Op op = new Op(h.size(), "p" + h.size(), type, "k", value, expected, invoke, complete, outcome, result, flag);
        h.add(op);
        return op;
    }

    private void put(String v, long from, long to, Op.Outcome outcome) {
        add(Op.Type.PUT, v, null, from, to, outcome, null, false);
    }

    private void get(String seen, long from, long to) {
        add(Op.Type.GET, null, null, from, to, OK, seen, false);
    }

    private void cas(String expected, String v, long from, long to, Op.Outcome outcome, boolean won, String current) {
        add(Op.Type.CAS, v, expected, from, to, outcome, current, won);
    }

    private void delete(long from, long to, Op.Outcome outcome, boolean existed) {
        add(Op.Type.DELETE, null, null, from, to, outcome, null, existed);
    }

    private LinearizabilityChecker.Verdict verdict() {
        return new LinearizabilityChecker(1_000_000).check("k", h).verdict();
    }

    private void assertRejected() {
        assertEquals(LinearizabilityChecker.Verdict.VIOLATION, verdict(), () -> "must reject " + h);
    }

    private void assertAccepted() {
        assertEquals(LinearizabilityChecker.Verdict.LINEARIZABLE, verdict(), () -> "must accept " + h);
    }

    // ------------------------------------------------------------------ must be rejected

    @Test
    void staleReadAfterAcknowledgedOverwrite() {
        put("a", 0, 1, OK);
        put("b", 2, 3, OK);
        get("a", 4, 5);
        assertRejected();
    }

    @Test
    void lostAcknowledgedWrite() {
        put("a", 0, 1, OK);
        get(null, 2, 3);
        assertRejected();
    }

    @Test
    void writeSeenThenUnseen() {
        put("a", 0, 10, UNKNOWN);
        get("a", 1, 2);
        get(null, 3, 4);
        assertRejected();
    }

    @Test
    void twoCasWinnersFromTheSameValue() {
        put("a", 0, 1, OK);
        cas("a", "b", 2, 6, OK, true, "b");
        cas("a", "c", 3, 7, OK, true, "c");
        assertRejected();
    }

    @Test
    void valueNeverWritten() {
        put("a", 0, 1, OK);
        get("z", 2, 3);
        assertRejected();
    }

    @Test
    void failedWriteIsNeverVisible() {
        put("a", 0, 1, FAILED);
        get("a", 2, 3);
        assertRejected();
    }

    @Test
    void casThatLostMustReportTheCurrentValue() {
        put("a", 0, 1, OK);
        cas("x", "b", 2, 3, OK, false, "q");
        assertRejected();
    }

    @Test
    void deleteMustReportWhetherTheKeyExisted() {
        put("a", 0, 1, OK);
        delete(2, 3, OK, false);
        assertRejected();
    }

    @Test
    void readsMustNotTravelBackInTimeAcrossConcurrentWrites() {
        put("a", 0, 1, OK);
        put("b", 2, 20, OK);
        get("b", 3, 4);
        get("a", 5, 6);
        assertRejected();
    }

    // ------------------------------------------------------------------ must be accepted

    @Test
    void emptyHistoryAndAbsentKey() {
        assertAccepted();
        get(null, 0, 1);
        assertAccepted();
    }

    @Test
    void concurrentWritesAndReadsMayOrderEitherWay() {
        put("a", 0, 10, OK);
        put("b", 1, 9, OK);
        get("b", 2, 3);
        get("a", 11, 12);
        assertAccepted();
    }

    @Test
    void readOverlappingAWriteMaySeeOldOrNew() {
        put("a", 0, 1, OK);
        put("b", 2, 10, OK);
        get("a", 3, 4);
        get("b", 5, 6);
        assertAccepted();
    }

    @Test
    void unknownWriteThatApplied() {
        put("a", 0, 1, OK);
        put("b", 2, 3, UNKNOWN);
        get("b", 100, 101);
        assertAccepted();
    }

    @Test
    void unknownWriteThatNeverApplied() {
        put("a", 0, 1, OK);
        put("b", 2, 3, UNKNOWN);
        get("a", 100, 101);
        get("a", 200, 201);
        assertAccepted();
    }

    @Test
    void unknownCasMayApplyLateAfterLaterReads() {
        put("a", 0, 1, OK);
        cas("a", "b", 2, 3, UNKNOWN, false, null);
        get("a", 10, 11);
        get("b", 20, 21);
        assertAccepted();
    }

    @Test
    void casChainsAndDeletes() {
        cas(null, "a", 0, 1, OK, true, "a");
        cas(null, "x", 2, 3, OK, false, "a");
        cas("a", "b", 4, 5, OK, true, "b");
        delete(6, 7, OK, true);
        delete(8, 9, OK, false);
        get(null, 10, 11);
        assertAccepted();
    }

    @Test
    void oneOfTwoConcurrentCasWins() {
        put("a", 0, 1, OK);
        cas("a", "b", 2, 6, OK, true, "b");
        cas("a", "c", 3, 7, OK, false, "b");
        get("b", 8, 9);
        assertAccepted();
    }

    @Test
    void boundedSearchReportsInconclusiveNotPass() {
        for (int i = 0; i < 12; i++) {
            put("v" + i, i, 100, OK);
        }
        get("v3", 101, 102);
        LinearizabilityChecker.Result r = new LinearizabilityChecker(5).check("k", h);
        assertEquals(LinearizabilityChecker.Verdict.INCONCLUSIVE, r.verdict());
        assertFalse(r.ok());
    }
}
