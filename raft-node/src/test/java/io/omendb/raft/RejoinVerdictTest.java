package io.omendb.raft;

import org.junit.jupiter.api.Test;

import java.util.List;
import java.util.OptionalLong;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** What the other meta peers' answers about a node's incarnation mean ({@link Rejoin.Verdict#of}). */
class RejoinVerdictTest {
    private static final long MINE = 0x1234L;
    private static final long OTHER = 0x9876L;

    @Test
    void oneAnswerNamingThisDirectoryMeansKnownEvenIfALaggingPeerStillNamesTheOldOne() {
        assertEquals(Rejoin.Verdict.KNOWN, Rejoin.Verdict.of(MINE, List.of(OptionalLong.of(MINE))));
        assertEquals(Rejoin.Verdict.KNOWN, Rejoin.Verdict.of(MINE, List.of(OptionalLong.of(OTHER),
                OptionalLong.of(MINE))));
    }

    @Test
    void anotherDirectoryRecordedAndThisOneNowhereMeansAmnesiac() {
        assertEquals(Rejoin.Verdict.AMNESIAC, Rejoin.Verdict.of(MINE, List.of(OptionalLong.of(OTHER))));
        assertEquals(Rejoin.Verdict.AMNESIAC, Rejoin.Verdict.of(MINE, List.of(OptionalLong.empty(),
                OptionalLong.of(OTHER))));
    }

    @Test
    void noRecordOrNoAnswerIsThePlainBootstrap() {
        assertEquals(Rejoin.Verdict.UNRECORDED, Rejoin.Verdict.of(MINE, List.of(OptionalLong.empty(),
                OptionalLong.empty())));
        assertEquals(Rejoin.Verdict.UNANSWERED, Rejoin.Verdict.of(MINE, List.of()));
    }
}
