package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Drives {@link Coalescer}s against a fake log whose entries complete only when the test says so. */
class CoalescerTest {
    /** The proposed entries, completed by hand; applying mimics the state machine's answers. */
    private static final class FakeLog {
        final List<Command> entries = new ArrayList<>();
        final List<CompletableFuture<CommandResult>> replies = new ArrayList<>();
        final AtomicLong index = new AtomicLong();

        CompletableFuture<CommandResult> propose(Coalescer.Proposal p) {
            Command c = p.command();
            entries.add(c);
            CompletableFuture<CommandResult> f = new CompletableFuture<>();
            replies.add(f);
            return f;
        }

        void commit(int entry) {
            long at = index.incrementAndGet();
            Command c = entries.get(entry);
            replies.get(entry).complete(c instanceof Command.Group g
                    ? new CommandResult.Grouped(at, g.commands().stream().map(m -> answer(m, at)).toList())
                    : answer(c, at));
        }

        static CommandResult answer(Command c, long at) {
            return c instanceof Command.Delete ? new CommandResult.Deleted(at, true)
                    : c instanceof Command.CompareAndSet ? new CommandResult.CasOutcome(at, false, null)
                    : new CommandResult.Written(at);
        }
    }

    /** Linger timers set by a coalescer, run when the test says so. */
    private static final class ManualTimer implements ClientTime {
        final List<Runnable> tasks = new ArrayList<>();
        final List<Long> delaysUs = new ArrayList<>();

        @Override
        public long nanoTime() {
            return 0;
        }

        @Override
        public Cancellable schedule(Runnable task, long delayUs) {
            tasks.add(task);
            delaysUs.add(delayUs);
            return () -> { };
        }

        void fireAll() {
            List<Runnable> due = List.copyOf(tasks);
            tasks.clear();
            due.forEach(Runnable::run);
        }
    }

    /** Each test's log and linger timer (JUnit makes a fresh instance per test). */
    private final FakeLog log = new FakeLog();
    private final ManualTimer timer = new ManualTimer();

    /** A write coalescer on {@link #log} with a 2-ms linger timed by {@code lingerTimer}. */
    private Coalescer<Coalescer.Proposal, CommandResult> lingering(ClientTime lingerTimer) {
        return Coalescer.writes(log::propose, new GroupCommitSettings(1, 100, 2000, false), 1 << 20, new CoalescingTally(),
                lingerTimer);
    }

    /** Writers a, b and c write while a's entry is in flight; a's entry completes (b and c now wait for a again). */
    private void threeWritersActive(Coalescer<Coalescer.Proposal, CommandResult> committer) {
        committer.submit(put("a"), 20);
        committer.submit(put("b"), 20);
        committer.submit(put("c"), 20);
        log.commit(0);
    }

    private static Coalescer.Proposal put(String key) {
        return Coalescer.Proposal.of(new Command.Put(key.getBytes(StandardCharsets.UTF_8), new byte[10]));
    }

    @Test
    void anIdleGroupSendsAtOnceAndGroupsWhatArrivesWhileBusy() {
        CoalescingTally tally = new CoalescingTally();
        Coalescer<Coalescer.Proposal, CommandResult> committer =
                Coalescer.writes(log::propose, new GroupCommitSettings(1, 100, 0, false), 1 << 20, tally, null);
        CompletableFuture<CommandResult> first = committer.submit(put("a"), 20);
        assertEquals(1, log.entries.size());
        assertInstanceOf(Command.Put.class, log.entries.get(0), "alone when idle: no wrapping, no wait");

        CompletableFuture<CommandResult> b = committer.submit(put("b"), 20);
        CompletableFuture<CommandResult> c = committer.submit(Coalescer.Proposal.of(
                new Command.Delete("c".getBytes(StandardCharsets.UTF_8))), 20);
        CompletableFuture<CommandResult> d = committer.submit(Coalescer.Proposal.of(new Command.CompareAndSet(
                "d".getBytes(StandardCharsets.UTF_8), null, new byte[1])), 20);
        assertEquals(1, log.entries.size(), "one entry in flight: the rest wait");
        assertEquals(3, committer.waiting());

        log.commit(0);
        assertEquals(new CommandResult.Written(1), first.join());
        assertEquals(2, log.entries.size());
        Command.Group group = assertInstanceOf(Command.Group.class, log.entries.get(1));
        assertEquals(3, group.commands().size());
        assertFalse(b.isDone());

        log.commit(1);
        assertEquals(new CommandResult.Written(2), b.join());
        assertEquals(new CommandResult.Deleted(2, true), c.join());
        assertEquals(new CommandResult.CasOutcome(2, false, null), d.join());
        assertEquals(0, committer.waiting());
        assertEquals(2, tally.messages(), "two entries");
        assertEquals(4, tally.requests(), "carried four writes");
    }

    @Test
    void aRepeatedKeyWaitsForTheNextEntrySoNoTwoWritesOfOneKeyShareAnEntry() {
        Coalescer<Coalescer.Proposal, CommandResult> committer =
                Coalescer.writes(log::propose, new GroupCommitSettings(1, 100, 0, false), 1 << 20, new CoalescingTally(), null);
        committer.submit(put("x"), 20);
        CompletableFuture<CommandResult> a1 = committer.submit(put("a"), 20);
        CompletableFuture<CommandResult> b1 = committer.submit(put("b"), 20);
        CompletableFuture<CommandResult> a2 = committer.submit(put("a"), 20);
        CompletableFuture<CommandResult> c1 = committer.submit(put("c"), 20);
        log.commit(0);
        assertEquals(2, ((Command.Group) log.entries.get(1)).commands().size(), "cut before the second 'a'");
        log.commit(1);
        assertEquals(2, ((Command.Group) log.entries.get(2)).commands().size(), "the second 'a' and 'c'");
        log.commit(2);
        assertTrue(a1.join().revision() < a2.join().revision());
        assertEquals(b1.join().revision(), a1.join().revision());
        assertEquals(c1.join().revision(), a2.join().revision());
    }

    @Test
    void entriesRespectTheByteAndCountLimits() {
        Coalescer<Coalescer.Proposal, CommandResult> committer =
                Coalescer.writes(log::propose, new GroupCommitSettings(1, 3, 0, false), 32 + 250, new CoalescingTally(), null);
        committer.submit(put("first"), 100);
        for (int i = 0; i < 7; i++) {
            committer.submit(put("k" + i), 100);
        }
        log.commit(0);
        assertEquals(2, ((Command.Group) log.entries.get(1)).commands().size(), "250 bytes hold two 100-byte writes");
        committer = Coalescer.writes(log::propose, new GroupCommitSettings(1, 3, 0, false), 1 << 20, new CoalescingTally(), null);
        log.entries.clear();
        log.replies.clear();
        committer.submit(put("first"), 10);
        for (int i = 0; i < 7; i++) {
            committer.submit(put("k" + i), 10);
        }
        log.commit(0);
        assertEquals(3, ((Command.Group) log.entries.get(1)).commands().size(), "at most 3 writes per entry");
    }

    @Test
    void aFailedEntryFailsEveryWriteItCarriedAndTheQueueMovesOn() {
        Coalescer<Coalescer.Proposal, CommandResult> committer =
                Coalescer.writes(log::propose, new GroupCommitSettings(1, 100, 0, false), 1 << 20, new CoalescingTally(), null);
        committer.submit(put("x"), 20);
        CompletableFuture<CommandResult> a = committer.submit(put("a"), 20);
        CompletableFuture<CommandResult> b = committer.submit(put("b"), 20);
        log.commit(0);
        CompletableFuture<CommandResult> later = committer.submit(put("c"), 20);
        ClientException timeout = new ClientException(ErrorCode.UNAVAILABLE, "timed out");
        log.replies.get(1).completeExceptionally(timeout);
        assertSame(timeout, assertThrows(CompletionException.class, a::join).getCause());
        assertSame(timeout, assertThrows(CompletionException.class, b::join).getCause());
        assertEquals(3, log.entries.size(), "the waiting write goes out after the failure");
        log.commit(2);
        assertEquals(new CommandResult.Written(2), later.join());
    }

    @Test
    void otherCommandsBypassTheQueueAndAMismatchedReplyIsAnError() {
        Coalescer<Coalescer.Proposal, CommandResult> committer =
                Coalescer.writes(log::propose, new GroupCommitSettings(1, 100, 0, false), 1 << 20, new CoalescingTally(), null);
        committer.submit(put("x"), 20);
        committer.submit(Coalescer.Proposal.of(new Command.DeleteRange(new byte[]{1}, new byte[]{2})), 20);
        assertInstanceOf(Command.DeleteRange.class, log.entries.get(1), "sent at once, not queued");
        CompletableFuture<CommandResult> a = committer.submit(put("a"), 20);
        CompletableFuture<CommandResult> b = committer.submit(put("b"), 20);
        log.commit(0);
        log.replies.get(2).complete(new CommandResult.Written(9));
        ClientException e = assertInstanceOf(ClientException.class, assertThrows(CompletionException.class, a::join)
                .getCause());
        assertEquals(ErrorCode.CORRUPT_REPLY, e.code());
        assertThrows(CompletionException.class, b::join);
    }

    @Test
    void concurrentGetsFoldIntoOneMultiGetAndEachGetsItsOwnValue() {
        List<Query> sent = new ArrayList<>();
        List<CompletableFuture<QueryResult>> replies = new ArrayList<>();
        Coalescer<Query, QueryResult> reads = Coalescer.reads(q -> {
            sent.add(q);
            CompletableFuture<QueryResult> f = new CompletableFuture<>();
            replies.add(f);
            return f;
        }, new GroupCommitSettings(1, 100, 0, false), 1 << 20, new CoalescingTally());
        CompletableFuture<QueryResult> first = reads.submit(new Query.Get(new byte[]{1}), 1);
        CompletableFuture<QueryResult> a = reads.submit(new Query.Get(new byte[]{2}), 1);
        CompletableFuture<QueryResult> again = reads.submit(new Query.Get(new byte[]{2}), 1);
        CompletableFuture<QueryResult> missing = reads.submit(new Query.Get(new byte[]{3}), 1);
        assertEquals(1, sent.size());
        replies.get(0).complete(new QueryResult.Value(new byte[]{9}, 5));
        assertEquals(5, first.join().appliedIndex());
        Query.MultiGet multi = assertInstanceOf(Query.MultiGet.class, sent.get(1));
        assertEquals(3, multi.keys().size(), "reads of one key may share a message");
        replies.get(1).complete(new QueryResult.Values(Arrays.asList(new byte[]{7}, new byte[]{7}, null), 6));
        assertEquals(7, ((QueryResult.Value) a.join()).value()[0]);
        assertEquals(7, ((QueryResult.Value) again.join()).value()[0]);
        assertEquals(null, ((QueryResult.Value) missing.join()).value());
        assertEquals(6, missing.join().appliedIndex());
    }

    @Test
    void readsAnsweredBeforeTheirSendReturnsLeaveOneAfterAnotherWithoutNesting() {
        int gets = 50_000;
        List<CompletableFuture<QueryResult>> answers = new ArrayList<>();
        List<Integer> sentKeys = new ArrayList<>();
        Coalescer<Query, QueryResult>[] reads = new Coalescer[1];
        reads[0] = Coalescer.reads(q -> {
            byte[] k = ((Query.Get) q).key();
            int key = k[0] & 0xff | (k[1] & 0xff) << 8 | (k[2] & 0xff) << 16;
            sentKeys.add(key);
            if (key + 1 < gets) { // the next caller's get arrives while this one is served
                answers.add(reads[0].submit(get(key + 1), 3));
            }
            return CompletableFuture.completedFuture(new QueryResult.Value(k, key));
        }, new GroupCommitSettings(1, 100, 0, false), 1 << 20, new CoalescingTally());
        answers.add(0, reads[0].submit(get(0), 3));
        assertEquals(gets, answers.size());
        for (int i = 0; i < gets; i++) {
            assertTrue(answers.get(i).isDone(), "get " + i + " answered");
            assertEquals(i, answers.get(i).join().appliedIndex());
            assertEquals(i, sentKeys.get(i), "sent in submission order");
        }
    }

    private static Query.Get get(int n) {
        return new Query.Get(new byte[]{(byte) n, (byte) (n >> 8), (byte) (n >> 16)});
    }

    @Test
    void moreEntriesInFlightGroupLess() {
        Coalescer<Coalescer.Proposal, CommandResult> committer =
                Coalescer.writes(log::propose, new GroupCommitSettings(2, 100, 0, false), 1 << 20, new CoalescingTally(), null);
        committer.submit(put("a"), 20);
        committer.submit(put("b"), 20);
        committer.submit(put("c"), 20);
        committer.submit(put("d"), 20);
        assertEquals(2, log.entries.size(), "two entries may be in flight");
        log.commit(0);
        assertEquals(2, ((Command.Group) log.entries.get(2)).commands().size());
    }

    @Test
    void withALingerTheNextEntryWaitsForTheWritersOfTheLastOneAndCarriesEveryone() {
        Coalescer<Coalescer.Proposal, CommandResult> committer = lingering(timer);
        threeWritersActive(committer);
        assertEquals(1, log.entries.size(), "b and c wait for a's writer: three writers are active");
        assertEquals(List.of(2000L), timer.delaysUs);

        committer.submit(put("a2"), 20);
        assertEquals(2, log.entries.size(), "sent once the third write arrived, before the timer");
        assertEquals(3, ((Command.Group) log.entries.get(1)).commands().size());
        timer.fireAll();
        assertEquals(2, log.entries.size(), "a timer set for an entry that already left does nothing");

        log.commit(1);
        committer.submit(put("b2"), 20);
        committer.submit(put("c2"), 20);
        assertEquals(2, log.entries.size(), "the three writers of the last entry are expected again");
        committer.submit(put("a3"), 20);
        assertEquals(3, ((Command.Group) log.entries.get(2)).commands().size());
    }

    @Test
    void aLingerEndsAtItsTimerAndAnUnmetCountIsForgotten() {
        Coalescer<Coalescer.Proposal, CommandResult> committer = lingering(timer);
        committer.submit(put("a"), 20);
        CompletableFuture<CommandResult> b = committer.submit(put("b"), 20);
        log.commit(0);
        assertEquals(1, log.entries.size());
        timer.fireAll();
        assertEquals(2, log.entries.size(), "a's writer did not come back in time: b leaves alone");
        log.commit(1);
        assertTrue(b.isDone());
        committer.submit(put("b2"), 20);
        assertEquals(3, log.entries.size(), "one writer now: no wait");
        assertTrue(timer.tasks.isEmpty());
    }

    @Test
    void aWriteArrivingAfterTheLingerEndedIsSentAtOnce() {
        Coalescer<Coalescer.Proposal, CommandResult> committer = lingering(timer);
        threeWritersActive(committer);
        committer.submit(put("a2"), 20);
        log.commit(1);
        assertEquals(2, log.entries.size());
        assertEquals(2, timer.tasks.size(), "three writers were active: the next entry may wait for all three");
        timer.fireAll();
        committer.submit(put("late"), 20);
        assertEquals(3, log.entries.size(), "the range went quiet: a late write does not wait for two more");
    }

    @Test
    void aLoneSerialWriterNeverLingers() {
        Coalescer<Coalescer.Proposal, CommandResult> committer = lingering(timer);
        for (int i = 0; i < 5; i++) {
            committer.submit(put("k" + i), 20);
            assertEquals(i + 1, log.entries.size());
            log.commit(i);
        }
        assertTrue(timer.delaysUs.isEmpty());
    }

    @Test
    void aShutDownTimerSendsAtOnceInsteadOfLingering() {
        Coalescer<Coalescer.Proposal, CommandResult> committer = lingering(new ClientTime() {
            @Override
            public long nanoTime() {
                return 0;
            }

            @Override
            public Cancellable schedule(Runnable task, long delayUs) {
                throw new RejectedExecutionException("client closed");
            }
        });
        committer.submit(put("a"), 20);
        committer.submit(put("b"), 20);
        log.commit(0);
        assertEquals(2, log.entries.size(), "b must not wait for a timer that will never run");
    }
}
