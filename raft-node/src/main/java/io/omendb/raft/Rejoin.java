package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.meta.IncarnationCodec;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Collections;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.OptionalLong;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;
import java.util.function.Supplier;

/**
 * Makes this node's data directory the one the cluster knows under the node's id, so that a node whose data is gone
 * never votes as the member it replaced — whoever restarted since.
 *
 * <p><b>Incarnations.</b> Every data directory draws a random incarnation the first time it is used
 * ({@code NodeMetadataStore.NodeIdentity#incarnation}); the meta group records, per node id, the incarnation that
 * serves the node's replicas ({@link IncarnationCodec}). A node records its own only after it serves every group
 * it must: at once on a plain start, after its re-admissions otherwise. So the record changes only when the directory
 * the cluster counted on is known to be replaced, and it survives every restart (unlike what leaders remember of a
 * follower, which {@code ClusterAdmin#readmissionNeeded} asks and which a restart forgets).
 *
 * <p><b>At start</b> ({@link #probe}), before creating any group, the node asks each other meta peer, by a stale read
 * of that peer's own replica (it answers while the meta group has no leader — this node may be the vote it lacks),
 * which incarnation it records for this node, in one attempt per peer ({@code ReadOptions#failFast}: no retry of a
 * refused connection or of a peer that does not host the meta group yet), so a peer that is down or not up yet counts
 * as not answering as soon as it fails, and the verdict comes as soon as every peer answered or failed; only a peer
 * that neither answers nor fails (a paused process, a partition) is waited for, at most {@link #PROBE_TIMEOUT_MS}. A
 * replica is asked only for what it has applied up to the meta log index at which this directory's incarnation was
 * recorded ({@link RecordedAt}, kept in the node's metadata; 0 for a new directory): a replica that just restarted
 * applies its log again only once a leader tells it the commit index, and before that it answered the incarnation the
 * cluster recorded before this one — a node restarted right after it recorded its new incarnation (the chaos suite's
 * WIPE_RESTART then KILL_ALL) was taken for amnesiac and re-admitted to groups whose data it had. Such a replica now
 * counts as not answering. One answer naming this directory: known. An answer naming another directory and none naming this one: this node is
 * <b>amnesiac</b> — it creates no group as a voter, and instead is re-admitted as a new member
 * ({@link GroupBootstrap#readmitOnce}: the leader removes it, it creates the group with an empty configuration, the leader adds
 * it back and catches it up by snapshot) to the meta group, if it is a meta peer, and to every range the range table
 * places on it (a node that took the id of a decommissioned one, see {@code NodeAdmin#register}, finds the removed
 * directory's incarnation recorded and comes this way with no group to be re-admitted to: it records its own
 * incarnation at once). No record anywhere (a new cluster, or one not upgraded yet) or no answer (every other meta peer
 * down, or a first start with the others not up yet: the meta group cannot elect without them either): the plain
 * bootstrap, whose per-group probe still re-admits the node to groups whose members remember it.
 *
 * <p><b>Caught late.</b> A wiped node that started while no other meta peer answered may have created its groups as a
 * voter. When it comes to record its incarnation and finds another one recorded, it is re-admitted to every group it
 * is in, its local replicas deleted once the leader removed it from each. Until then it may have voted with a
 * forgotten log: the window is the time the other meta peers were all unreachable, and is logged at ERROR.
 *
 * <p><b>Threading.</b> {@link #probe} blocks the starting thread, at most {@link #PROBE_TIMEOUT_MS}. {@link #start}
 * runs the rest on one daemon thread, which runs one re-admission thread per group ({@link Readmission}) and waits
 * for them; {@link #close} interrupts all and waits for them. {@link #inProgress} is true while an amnesiac node's
 * re-admissions run: no other part of the node creates a group of a range as a voter meanwhile.
 */
final class Rejoin implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(Rejoin.class);
    /**
     * How long the start waits for the other meta peers' answers about this node's incarnation: a start pays it only
     * when a peer neither answers nor fails (one that is down or not up yet fails at once), and a node whose peers
     * answer later is still caught when it records its incarnation (late). Peers that answered did so in 0.1-0.4 s in
     * the test suite.
     */
    static final long PROBE_TIMEOUT_MS = 2_000;
    /** Time between two tries of a meta-group call (the table, the record) while the meta group does not answer. */
    static final long RETRY_SLEEP_MS = 1_000;
    /** How long one meta-group call may take. */
    static final long CALL_WAIT_MS = 15_000;
    /** The name of the thread that re-admits the node and records its incarnation, followed by the node id. */
    static final String THREAD_NAME_PREFIX = "omendb-rejoin-";
    /** How long {@link #close} waits for each thread. */
    static final long JOIN_MS = 10_000;

    /** What the other meta peers record of this node's incarnation. */
    enum Verdict {
        /** At least one records this directory's incarnation. */
        KNOWN,
        /** Some record another incarnation, none this one: this directory is not the one the cluster counted on. */
        AMNESIAC,
        /** Those that answered record none. */
        UNRECORDED,
        /** None answered. */
        UNANSWERED;

        /**
         * The verdict from the answers of the peers that answered ({@code recorded}: what each records; empty: none).
         */
        static Verdict of(long mine, List<OptionalLong> recorded) {
            if (recorded.stream().anyMatch(r -> r.isPresent() && r.getAsLong() == mine)) {
                return KNOWN;
            }
            if (recorded.stream().anyMatch(OptionalLong::isPresent)) {
                return AMNESIAC;
            }
            return recorded.isEmpty() ? UNANSWERED : UNRECORDED;
        }
    }

    /** Where this node keeps the meta log index at which it recorded its incarnation (see the class note). */
    interface RecordedAt {
        long index() throws IOException;

        void save(long index) throws IOException;
    }

    private final String nodeId;
    private final long incarnation;
    private final RecordedAt recordedAt;
    private final List<String> otherMetaPeers;
    private final ClusterClient client;
    private final GroupBootstrap bootstrap;
    private final Readmission.Policy policy;
    private final LongSupplier clockMs;
    private final List<Thread> threads = new ArrayList<>();
    private volatile boolean inProgress;
    private volatile boolean closed;

    /**
     * @param incarnation    this data directory's incarnation
     * @param otherMetaPeers the meta group's configured peers other than this node
     * @param policy         retries of each group's re-admission (and the bound of the wait for the range table)
     * @param recordedAt     the meta log index at which this directory's incarnation was recorded, kept locally
     */
    Rejoin(String nodeId, long incarnation, RecordedAt recordedAt, List<String> otherMetaPeers, ClusterClient client,
           GroupBootstrap bootstrap, Readmission.Policy policy, LongSupplier clockMs) {
        this.nodeId = nodeId;
        this.incarnation = incarnation;
        this.recordedAt = recordedAt;
        this.otherMetaPeers = List.copyOf(otherMetaPeers);
        this.client = client;
        this.bootstrap = bootstrap;
        this.policy = policy;
        this.clockMs = clockMs;
    }

    /** Asks the other meta peers what they record of this node (blocking, at most {@link #PROBE_TIMEOUT_MS}). */
    Verdict probe() {
        long startedMs = clockMs.getAsLong();
        long minIndex;
        try {
            minIndex = recordedAt.index();
        } catch (IOException e) {
            LOG.warn("Node {}: cannot read where its incarnation was recorded ({}); asking without it", nodeId,
                    e.toString());
            minIndex = 0;
        }
        List<CompletableFuture<OptionalLong>> asked = new ArrayList<>();
        for (String peer : otherMetaPeers) {
            asked.add(client.admin().nodes().incarnationOn(peer, nodeId, minIndex)
                    .orTimeout(PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS));
        }
        List<OptionalLong> answers = new ArrayList<>();
        for (CompletableFuture<OptionalLong> a : asked) {
            try {
                answers.add(a.get());
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                break;
            } catch (ExecutionException e) {
                LOG.debug("Node {}: a meta peer did not say which incarnation it records: {}", nodeId, e.getCause());
            }
        }
        Verdict v = Verdict.of(incarnation, answers);
        long tookMs = clockMs.getAsLong() - startedMs;
        if (v == Verdict.AMNESIAC) {
            inProgress = true;
            LOG.warn("Node {}: the cluster records another data directory for this node (incarnations {}; this one is "
                    + "{}; {} of {} meta peers answered in {} ms): its data is gone, so it will not vote as the member "
                    + "it replaced; re-admitting it as a new member to each of its groups", nodeId,
                    answers.stream().filter(OptionalLong::isPresent).map(r -> IncarnationCodec.shown(r.getAsLong()))
                            .distinct().toList(), IncarnationCodec.shown(incarnation), answers.size(),
                    otherMetaPeers.size(), tookMs);
        } else {
            LOG.info("Node {}: incarnation {}: {} by the other meta peers ({} of {} answered in {} ms)", nodeId,
                    IncarnationCodec.shown(incarnation), v, answers.size(), otherMetaPeers.size(), tookMs);
        }
        return v;
    }

    /**
     * Starts, in the background: for an {@link Verdict#AMNESIAC} node, its re-admission to the meta group (if
     * {@code metaGroup} is given) and to every range the table places on it; otherwise the re-admission to
     * {@code lostGroups} (what the plain bootstrap found); then the record of this directory's incarnation.
     */
    void start(Verdict verdict, List<RaftGroup> lostGroups, RaftGroup metaGroupOrNull) {
        Thread t = new Thread(() -> run(verdict, lostGroups, metaGroupOrNull), THREAD_NAME_PREFIX + nodeId);
        t.setDaemon(true);
        synchronized (threads) {
            threads.add(t);
        }
        t.start();
    }

    /**
     * Whether this node is being re-admitted as a new member to the groups of a directory it replaced: no group of a
     * range is to be created here as a voter meanwhile.
     */
    boolean inProgress() {
        return inProgress;
    }

    private void run(Verdict verdict, List<RaftGroup> lostGroups, RaftGroup metaGroupOrNull) {
        try {
            boolean amnesiac = verdict == Verdict.AMNESIAC;
            List<RaftGroup> groups = amnesiac ? groupsOfThisNode(metaGroupOrNull) : lostGroups;
            if (!readmitAll(groups, false)) {
                return;
            }
            while (!closed) {
                OptionalLong recorded = call(() -> client.admin().nodes().recordedIncarnation(nodeId));
                if (recorded.isPresent() && recorded.getAsLong() == incarnation) {
                    return;
                }
                if (recorded.isPresent() && !amnesiac) {
                    LOG.error("Node {}: the cluster records another data directory for this node (incarnation {}; this "
                            + "one is {}), found only now: this node started while no other meta peer answered and "
                            + "has served its groups as the member whose data is gone. Re-admitting it to each of "
                            + "them as a new member, its replicas here deleted", nodeId,
                            IncarnationCodec.shown(recorded.getAsLong()), IncarnationCodec.shown(incarnation));
                    amnesiac = true;
                    inProgress = true;
                    if (!readmitAll(groupsOfThisNode(metaGroupOrNull), true)) {
                        return;
                    }
                    continue;
                }
                OptionalLong at = call(() -> client.admin().nodes().recordIncarnation(nodeId, recorded, incarnation));
                if (at.isPresent()) {
                    saveRecordedAt(at.getAsLong());
                    LOG.info("Node {}: recorded incarnation {} in the meta group at index {}", nodeId,
                            IncarnationCodec.shown(incarnation), at.getAsLong());
                    return;
                }
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } finally {
            inProgress = false;
        }
    }

    /** The meta group (if given) and every range's group the range table places on this node, as it is now. */
    private List<RaftGroup> groupsOfThisNode(RaftGroup metaGroupOrNull) throws InterruptedException {
        Map<RaftGroupId, RaftGroup> out = new LinkedHashMap<>();
        if (metaGroupOrNull != null) {
            out.put(metaGroupOrNull.getGroupId(), metaGroupOrNull);
        }
        RangeTable table = call(client::refreshRangeTable);
        for (RangeDescriptor r : table.ranges()) {
            if (r.peerIds().contains(nodeId)) {
                RaftGroup g = client.groupOf(r);
                out.put(g.getGroupId(), g);
            }
        }
        return new ArrayList<>(out.values());
    }

    /** Re-admits this node to every group, one thread each; true when every one succeeded. */
    private boolean readmitAll(List<RaftGroup> groups, boolean discardLocal) throws InterruptedException {
        List<Thread> running = new ArrayList<>();
        List<Readmission.Outcome> outcomes = Collections.synchronizedList(new ArrayList<>());
        for (RaftGroup group : groups) {
            Readmission r = new Readmission(nodeId, group.getGroupId(),
                    () -> bootstrap.readmitOnce(group, discardLocal), policy, clockMs, Thread::sleep,
                    new SplittableRandom());
            Thread t = new Thread(() -> outcomes.add(r.run()), "omendb-readmit-" + nodeId + "-"
                    + group.getGroupId().getUuid());
            t.setDaemon(true);
            synchronized (threads) {
                threads.add(t);
            }
            running.add(t);
            t.start();
        }
        for (Thread t : running) {
            t.join();
        }
        boolean all = outcomes.size() == groups.size()
                && outcomes.stream().allMatch(o -> o == Readmission.Outcome.READMITTED);
        if (!all && !groups.isEmpty()) {
            LOG.error("Node {}: not re-admitted to every group it lost ({}); its incarnation stays unrecorded, and the "
                    + "next start tries again", nodeId, outcomes);
        }
        return all;
    }

    /**
     * Keeps the meta log index of this directory's incarnation record for the next start's probe; a failure only
     * costs that probe its minimum index (it asks without one), so it is logged, not thrown.
     */
    private void saveRecordedAt(long index) {
        try {
            recordedAt.save(index);
        } catch (IOException e) {
            LOG.warn("Node {}: cannot keep where its incarnation was recorded ({}); its next start asks without it",
                    nodeId, e.toString());
        }
    }

    /** One meta-group call, repeated every {@link #RETRY_SLEEP_MS} until it answers or the node closes. */
    private <T> T call(Supplier<CompletableFuture<T>> c) throws InterruptedException {
        return CallRetries.untilAnswered(c, CALL_WAIT_MS, RETRY_SLEEP_MS, () -> !closed,
                e -> LOG.debug("Node {}: meta group call failed, retrying: {}", nodeId, e.toString()))
                .orElseThrow(() -> new InterruptedException("node closing"));
    }

    @Override
    public void close() {
        closed = true;
        List<Thread> all;
        synchronized (threads) {
            all = new ArrayList<>(threads);
        }
        all.forEach(Thread::interrupt);
        try {
            for (Thread t : all) {
                t.join(JOIN_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
