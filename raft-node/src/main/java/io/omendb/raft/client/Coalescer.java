package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;

import java.nio.ByteBuffer;
import java.util.ArrayDeque;
import java.util.ArrayList;
import java.util.Collections;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.RejectedExecutionException;
import java.util.function.Function;
import java.util.function.ToIntFunction;

/**
 * Folds concurrent requests to one Raft group into fewer messages. While {@code inFlightMax} messages of this
 * client are on their way, further groupable requests wait here, and the next message carries all of them: for
 * writes one {@link Command.Group} entry (group commit: one log append, one replication round, one fsync per
 * replica and one apply for all), for linearizable gets one {@link Query.MultiGet} (one ReadIndex round and one
 * RPC). At low load nothing waits: an idle coalescer sends a request at once, alone, unchanged.
 *
 * <p><b>Linger.</b> With a linger ({@code lingerMaxUs > 0}) a message may also wait for requests that are about to
 * arrive. When a message completes, the requests it carried and those that waited for it tell how many senders are
 * active; their callers typically send again as soon as they have their answers (closed-loop clients). So the next
 * message leaves once that many requests wait, or {@code lingerMaxUs} after that completion, whichever comes first.
 * Without it, N steady writers settle into two alternating messages of about N/2 each (one in flight, one
 * filling); with it, into one message of N: half the Raft entries for the same writes, and on a CPU-bound cluster
 * the per-entry cost is what limits throughput (docs/BENCHMARKS.md). A lone serial client never waits (its count
 * is one); a request arriving after the linger ended (a range gone quiet) leaves at once. The same idea as MySQL's
 * {@code binlog_group_commit_sync_delay} with {@code binlog_group_commit_sync_no_delay_count}, with the count
 * learned instead of configured.
 *
 * <p><b>Guarantees.</b> Every submitted request's future completes exactly once, with its own answer or with the
 * failure of the message that carried it (for a write: outcome unknown, as for any write whose entry failed).
 * Requests leave in submission order. When the grouping says keys must differ (writes), a message never holds
 * two requests of one key: the later one waits for the next message, so no two writes of one key share an entry
 * or a revision. A message stays within {@code messageBytesMax} and {@code requestsPerMessageMax}. Requests the
 * grouping cannot fold (batches, delete-range, scans, maintenance) are sent at once on their own. A request waits
 * for the messages ahead of it, and at most {@code lingerMaxUs} after the last of them completed.
 *
 * <p><b>Linearizability of folded reads.</b> A multi-get is sent after every get in it was invoked, and the
 * leader fixes its read index after receiving it, so each get still sees every write acknowledged before it
 * started.
 *
 * <p><b>Threading.</b> Thread-safe; the queue is guarded by this object's monitor, which is never held while
 * sending or completing futures. Linger timers run on the injected {@link ClientTime} (a scheduled executor's
 * thread in production, by hand in tests).
 *
 * @param <Q> request type
 * @param <A> answer type
 */
final class Coalescer<Q, A> {
    /** Bytes a group adds to its members' own encodings (frame header, count, one kind byte per member). */
    static final int GROUP_OVERHEAD_BYTES = 32;

    /** How requests of one kind fold into one message and its answer unfolds. */
    interface Grouping<Q, A> {
        /** What the request touches, or null when it cannot share a message. */
        ByteBuffer keyOf(Q request);

        /** Whether two requests of one key must go in different messages. */
        boolean keysMustDiffer();

        Q combine(List<Q> requests);

        /** The members' answers, in member order; throws a {@link ClientException} if the answer does not fit. */
        List<A> split(A combined, int members);
    }

    private final Function<Q, CompletableFuture<A>> send;
    private final Grouping<Q, A> grouping;
    private final int inFlightMax;
    private final int requestsPerMessageMax;
    private final int messageBytesMax;
    private final CoalescingTally tally;
    private final long lingerMaxUs;
    private final ClientTime timer;
    private final ArrayDeque<Pending<Q, A>> pending = new ArrayDeque<>();
    private int inFlight;
    /** Requests the next message waits for (linger): the last completed message's plus those that waited for it. */
    private int expected = 1;
    /** Counts messages taken; a linger timer acts only if no message left since it was set. */
    private long messagesTaken;
    /** A completion set a linger timer that has not ended yet and no message left since. */
    private boolean lingering;

    private record Pending<Q, A>(Q request, ByteBuffer key, int encodedBytes, CompletableFuture<A> answer) {
    }

    /**
     * A write with its encoding, made once: the size check before queueing and the entry sent for a lone write use
     * the same bytes (only a group is encoded again, as one entry).
     */
    record Proposal(Command command, byte[] frame, boolean forwarded) {
        static Proposal of(Command command) {
            return of(command, false);
        }

        /** @param forwarded another router forwarded it to this one (it is proposed here, never forwarded again) */
        static Proposal of(Command command, boolean forwarded) {
            return new Proposal(command, CommandCodec.encode(command), forwarded);
        }
    }

    /**
     * @param send                  sends one message to the group and completes with its answer
     * @param inFlightMax           messages of this client in flight at once before requests wait and are folded
     * @param requestsPerMessageMax requests in one message at most
     * @param messageBytesMax       encoded bytes of one message at most (a message is cut before it would exceed it)
     * @param lingerMaxUs           how long a message may wait for the requests expected to join it; 0: never
     * @param timer                 where linger timers run (may be null without a linger)
     */
    Coalescer(Function<Q, CompletableFuture<A>> send, Grouping<Q, A> grouping, int inFlightMax,
              int requestsPerMessageMax, int messageBytesMax, CoalescingTally tally, long lingerMaxUs,
              ClientTime timer) {
        if (inFlightMax < 1 || requestsPerMessageMax < 1 || lingerMaxUs < 0 || (lingerMaxUs > 0 && timer == null)) {
            throw new IllegalArgumentException("inFlightMax and requestsPerMessageMax must be >= 1, lingerMaxUs >= 0,"
                    + " and a linger needs a timer");
        }
        this.send = send;
        this.grouping = grouping;
        this.inFlightMax = inFlightMax;
        this.requestsPerMessageMax = requestsPerMessageMax;
        this.messageBytesMax = messageBytesMax;
        this.tally = tally;
        this.lingerMaxUs = lingerMaxUs;
        this.timer = timer;
    }

    /** Group commit of puts, deletes and compare-and-sets (distinct keys per entry), with the settings' linger. */
    static Coalescer<Proposal, CommandResult> writes(Function<Proposal, CompletableFuture<CommandResult>> send,
                                                    GroupCommitSettings settings, int entryBytesMax,
                                                    CoalescingTally tally, ClientTime timer) {
        return new Coalescer<>(send, WRITES, settings.entriesInFlightMax(), settings.groupCommandsMax(), entryBytesMax,
                tally, settings.lingerMaxUs(), timer);
    }

    /**
     * Folding of linearizable point reads into multi-gets; they never linger (a read costs the leader a fraction of
     * what an entry costs, so waiting would add latency and save little).
     */
    static Coalescer<Query, QueryResult> reads(Function<Query, CompletableFuture<QueryResult>> send,
                                               GroupCommitSettings settings, int messageBytesMax,
                                               CoalescingTally tally) {
        return new Coalescer<>(send, READS, settings.entriesInFlightMax(), settings.groupCommandsMax(), messageBytesMax,
                tally, 0, null);
    }

    /** Sends {@code request} (already checked to encode to {@code encodedBytes} within the message limit). */
    CompletableFuture<A> submit(Q request, int encodedBytes) {
        ByteBuffer key = grouping.keyOf(request);
        if (key == null) {
            return send.apply(request);
        }
        Pending<Q, A> p = new Pending<>(request, key, encodedBytes, new CompletableFuture<>());
        enqueue(List.of(p));
        return p.answer();
    }

    /**
     * Sends {@code requests} like {@link #submit} each, but queues them together: requests that arrive as one batch
     * (writes forwarded by another router) leave in one message when the limits allow, instead of the first alone.
     */
    List<CompletableFuture<A>> submitAll(List<Q> requests, ToIntFunction<Q> encodedBytes) {
        List<CompletableFuture<A>> answers = new ArrayList<>(requests.size());
        List<Pending<Q, A>> queued = new ArrayList<>(requests.size());
        for (Q request : requests) {
            ByteBuffer key = grouping.keyOf(request);
            if (key == null) {
                throw new IllegalArgumentException("a request that cannot share a message: " + request);
            }
            Pending<Q, A> p = new Pending<>(request, key, encodedBytes.applyAsInt(request), new CompletableFuture<>());
            queued.add(p);
            answers.add(p.answer());
        }
        enqueue(queued);
        return answers;
    }

    /** Queues {@code queued} in order and sends the next message if one may leave now. */
    private void enqueue(List<Pending<Q, A>> queued) {
        List<Pending<Q, A>> message;
        synchronized (this) {
            pending.addAll(queued);
            message = takeMessageIfAllowed();
        }
        if (message != null) {
            dispatch(message);
        }
    }

    /** Requests waiting for a message (for tests). */
    synchronized int waiting() {
        return pending.size();
    }

    /**
     * Takes the next message's requests from the head of the queue, if another message may be in flight now and it
     * need not linger for more.
     */
    private List<Pending<Q, A>> takeMessageIfAllowed() {
        if (inFlight >= inFlightMax || pending.isEmpty()) {
            return null;
        }
        if (lingering && pending.size() < expected) {
            return null;
        }
        messagesTaken++;
        lingering = false;
        List<Pending<Q, A>> message = new ArrayList<>();
        Set<ByteBuffer> keys = new HashSet<>();
        long bytes = GROUP_OVERHEAD_BYTES;
        while (!pending.isEmpty() && message.size() < requestsPerMessageMax) {
            Pending<Q, A> next = pending.peek();
            boolean repeated = grouping.keysMustDiffer() && keys.contains(next.key());
            if (!message.isEmpty() && (bytes + next.encodedBytes() > messageBytesMax || repeated)) {
                break;
            }
            pending.poll();
            keys.add(next.key());
            bytes += next.encodedBytes();
            message.add(next);
        }
        inFlight++;
        return message;
    }

    /**
     * Sends {@code message}, and each next message its completion lets leave. A message answered before its send
     * returns (an in-process read served at once) is completed here and the next one sent in the same loop, not from
     * inside the completion: under steady load from several threads, completions that each sent the next message
     * would nest without bound on one thread's stack.
     */
    private void dispatch(List<Pending<Q, A>> message) {
        while (message != null) {
            tally.record(message.size());
            Q request = message.size() == 1 ? message.get(0).request()
                    : grouping.combine(message.stream().map(Pending::request).toList());
            CompletableFuture<A> sent;
            try {
                sent = send.apply(request);
            } catch (RuntimeException e) {
                sent = CompletableFuture.failedFuture(e);
            }
            List<Pending<Q, A>> carried = message;
            if (!sent.isDone()) {
                sent.whenComplete((answer, error) -> dispatch(completed(carried, answer, error)));
                return;
            }
            message = sent.handle((answer, error) -> completed(carried, answer, error)).join();
        }
    }

    /**
     * Books the end of {@code message}, completes its requests, and returns the next message that may leave now
     * (null: none).
     */
    private List<Pending<Q, A>> completed(List<Pending<Q, A>> message, A answer, Throwable error) {
        List<Pending<Q, A>> next;
        synchronized (this) {
            inFlight--;
            expected = Math.min(requestsPerMessageMax, message.size() + pending.size());
            if (lingerMaxUs > 0 && expected > 1 && pending.size() < expected && !lingering) {
                lingering = lingerTimerSet();
            }
            next = takeMessageIfAllowed();
        }
        complete(message, answer, error);
        return next;
    }

    /** Sets a linger timer; whether it is set (not when the timer is shut down: then nothing lingers). */
    private boolean lingerTimerSet() {
        long taken = messagesTaken;
        try {
            timer.schedule(() -> lingerEnded(taken), lingerMaxUs);
            return true;
        } catch (RejectedExecutionException closing) {
            return false;
        }
    }

    /** A linger timer set when {@code takenThen} messages had been taken: sends what waits, unless one left since. */
    private void lingerEnded(long takenThen) {
        List<Pending<Q, A>> next;
        synchronized (this) {
            if (takenThen != messagesTaken) {
                return;
            }
            lingering = false;
            next = takeMessageIfAllowed();
        }
        if (next != null) {
            dispatch(next);
        }
    }

    private void complete(List<Pending<Q, A>> message, A answer, Throwable error) {
        if (error != null) {
            message.forEach(p -> p.answer().completeExceptionally(error));
        } else if (message.size() == 1) {
            message.get(0).answer().complete(answer);
        } else {
            List<A> parts;
            try {
                parts = grouping.split(answer, message.size());
            } catch (RuntimeException e) {
                message.forEach(p -> p.answer().completeExceptionally(e));
                return;
            }
            for (int i = 0; i < message.size(); i++) {
                message.get(i).answer().complete(parts.get(i));
            }
        }
    }

    private static final Grouping<Proposal, CommandResult> WRITES = new Grouping<>() {
        @Override
        public ByteBuffer keyOf(Proposal p) {
            byte[] key = Command.singleKeyOf(p.command());
            return key == null ? null : ByteBuffer.wrap(key);
        }

        @Override
        public boolean keysMustDiffer() {
            return true;
        }

        @Override
        public Proposal combine(List<Proposal> proposals) {
            return Proposal.of(new Command.Group(proposals.stream().map(Proposal::command).toList()),
                    proposals.stream().anyMatch(Proposal::forwarded));
        }

        @Override
        public List<CommandResult> split(CommandResult result, int members) {
            if (result instanceof CommandResult.Grouped g && g.results().size() == members) {
                return g.results();
            } else if (result instanceof CommandResult.AlreadyApplied || result instanceof CommandResult.Refused) {
                return Collections.nCopies(members, result);
            }
            throw new ClientException(ErrorCode.CORRUPT_REPLY, "a group of " + members + " writes was answered with "
                    + result);
        }
    };

    private static final Grouping<Query, QueryResult> READS = new Grouping<>() {
        @Override
        public ByteBuffer keyOf(Query q) {
            return q instanceof Query.Get g ? ByteBuffer.wrap(g.key()) : null;
        }

        @Override
        public boolean keysMustDiffer() {
            return false;
        }

        @Override
        public Query combine(List<Query> gets) {
            return new Query.MultiGet(gets.stream().map(q -> ((Query.Get) q).key()).toList());
        }

        @Override
        public List<QueryResult> split(QueryResult result, int members) {
            if (result instanceof QueryResult.Values v && v.values().size() == members) {
                List<QueryResult> parts = new ArrayList<>(members);
                v.values().forEach(value -> parts.add(new QueryResult.Value(value, v.appliedIndex())));
                return parts;
            } else if (result instanceof QueryResult.Refused) {
                return Collections.nCopies(members, result);
            }
            throw new ClientException(ErrorCode.CORRUPT_REPLY, "a multi-get of " + members + " keys was answered with "
                    + result);
        }
    };
}
