package io.omendb.simulation.cluster;

import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.statemachine.CommandExecutor;
import io.omendb.raft.statemachine.EpochCheck;
import io.omendb.simulation.kernel.Network;
import io.omendb.simulation.kernel.Simulation;
import io.omendb.storage.Bytes;
import io.omendb.storage.KeyValue;
import org.apache.ratis.proto.RaftProtos;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.LeaderNotReadyException;
import org.apache.ratis.protocol.exceptions.NotLeaderException;
import org.apache.ratis.protocol.exceptions.RaftException;
import org.apache.ratis.protocol.exceptions.TimeoutIOException;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.thirdparty.com.google.protobuf.ByteString;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.function.Consumer;

/**
 * An in-memory replicated log of one range: three {@link SimReplica}s running Raft's rules in simulated time, with
 * OmenDB's real apply path ({@link CommandExecutor#applyCommitted} onto each replica's real engine, checking every
 * write against the replica's range descriptor, as reads are checked by {@link EpochCheck}) and Ratis' client
 * contract as {@code LeaderPath} relies on it. This is a model of Ratis, not Ratis: it keeps the properties OmenDB
 * depends on and lets the seed choose everything Raft leaves open.
 *
 * <p><b>Raft rules kept.</b> One leader per term; a candidate wins only with a voter whose log is not more up to
 * date than its own (the election restriction), so every committed entry survives; a leader appends a no-op in its
 * term and commits only entries of its term by counting a quorum (2 of 3); followers accept appends only when their
 * log matches at the previous index, truncating a conflicting uncommitted suffix (an assertion fails if a committed
 * entry would be truncated); every replica applies committed entries in index order. Uncommitted entries of a
 * deposed leader are lost or committed by its successor, as the seed's elections and message faults decide. A
 * leader that does not know it was deposed keeps accepting entries it can never commit.
 *
 * <p><b>Ratis' client contract kept.</b> A non-leader answers {@link NotLeaderException} with the leader it knows;
 * a leader that has not applied its term's no-op answers {@link LeaderNotReadyException}; a resent invocation
 * (client id, call id) is answered from the retry cache once applied, or waits with the first copy while pending,
 * and is never appended twice by one leader; a deposed leader fails its waiting clients with NotLeader. A
 * linearizable read takes the commit index, confirms leadership with a quorum still at its term, and reads the
 * engine ({@code RangeStateMachine}'s own query answer is private; this reads the same engine the same way).
 *
 * <p><b>Faults.</b> Every message — client request, reply, append, append reply — goes through the seeded
 * {@link Network}; crashes (a replica stops answering and comes back as a follower, either reconnected as it was or
 * as a restarted process: engine closed and reopened, log applied again from its start, so every entry the engine
 * holds meets {@code CommandExecutor}'s AlreadyApplied check) and forced elections are scheduled by
 * {@link #disruptFrom}; a crash starts an {@link #electionTimeout}. Not modelled: a crash that loses the engine's
 * memtable (the engine flushes when closed, so replay always starts below its durable index), disk loss, snapshots,
 * membership changes, retry-cache expiry.
 *
 * <p>Single-threaded: every method runs inside a simulation event.
 */
public final class SimRangeGroup implements AutoCloseable {
    private static final int QUORUM = 2;

    private final Simulation sim;
    private final Network net;
    private final RangeDescriptor descriptor;
    private final RaftGroup raftGroup;
    private final List<SimReplica> replicas;
    private final String name;
    private final long heartbeatUs;
    private final long electionTimeoutUs;
    private final long requestTimeoutMs;
    private boolean disrupting;

    SimRangeGroup(Simulation sim, Network net, RangeDescriptor descriptor, RaftGroup raftGroup,
                  List<SimReplica> replicas, long heartbeatUs, long electionTimeoutUs, long requestTimeoutMs) {
        this.sim = sim;
        this.net = net;
        this.descriptor = descriptor;
        this.raftGroup = raftGroup;
        this.replicas = List.copyOf(replicas);
        this.name = "r" + descriptor.rangeId();
        this.heartbeatUs = heartbeatUs;
        this.electionTimeoutUs = electionTimeoutUs;
        this.requestTimeoutMs = requestTimeoutMs;
    }

    public RangeDescriptor descriptor() {
        return descriptor;
    }

    public RaftGroup raftGroup() {
        return raftGroup;
    }

    List<SimReplica> replicas() {
        return replicas;
    }

    // ------------------------------------------------------------------ client side of the wire

    /**
     * Sends {@code r} from the client {@code from} over the network; the answer comes back the same way, or the
     * attempt fails with a timeout after {@code requestTimeoutMs} (as a gRPC request times out).
     */
    public CompletableFuture<RaftClientReply> send(String from, RaftClientRequest r) {
        CompletableFuture<RaftClientReply> answer = new CompletableFuture<>();
        String what = (r.is(RaftProtos.RaftClientRequestProto.TypeCase.WRITE) ? "write " : "read ") + from + "->"
                + r.getServerId();
        sim.schedule(requestTimeoutMs * 1_000, name + " timeout? " + what, () -> {
            if (!answer.isDone()) {
                answer.completeExceptionally(new TimeoutIOException(what + " timed out after " + requestTimeoutMs
                        + " ms"));
            }
        });
        net.send(name + " " + what, () -> receive(replica(r.getServerId()), r,
                reply -> net.send(name + " reply " + what + (reply.isSuccess() ? " ok" : " failed"),
                        () -> answer.complete(reply))));
        return answer;
    }

    private SimReplica replica(RaftPeerId id) {
        return replicas.stream().filter(p -> p.id.equals(id)).findFirst()
                .orElseThrow(() -> new AssertionError(name + ": no replica " + id));
    }

    private void receive(SimReplica at, RaftClientRequest r, Consumer<RaftClientReply> reply) {
        if (!r.getRaftGroupId().equals(raftGroup.getGroupId())) {
            throw new AssertionError(name + ": a request for group " + r.getRaftGroupId() + " reached " + at.id);
        }
        if (!at.up) {
            return;
        }
        if (!at.leader) {
            reply.accept(failed(r, notLeader(at)));
        } else if (!at.ready()) {
            reply.accept(failed(r, new LeaderNotReadyException(memberId(at))));
        } else if (r.is(RaftProtos.RaftClientRequestProto.TypeCase.WRITE)) {
            write(at, r, reply);
        } else {
            read(at, r, reply);
        }
    }

    private void write(SimReplica leader, RaftClientRequest r, Consumer<RaftClientReply> reply) {
        SimReplica.Invocation invocation = new SimReplica.Invocation(r.getClientId(), r.getCallId());
        byte[] cached = leader.retryCache.get(invocation);
        if (cached != null) {
            sim.record(name + " " + leader.id + " answers a resend from its retry cache");
            reply.accept(succeeded(r, cached));
            return;
        }
        Consumer<byte[]> onApplied = result -> reply.accept(succeeded(r, result));
        List<Consumer<byte[]>> pending = leader.waiting.get(invocation);
        if (pending != null) {
            sim.record(name + " " + leader.id + " joins a resend to its pending entry");
            pending.add(onApplied);
            return;
        }
        byte[] data = r.getMessage().getContent().toByteArray();
        CommandCodec.decodeRouted(data); // as startTransaction: only decodable entries reach the log
        leader.log.add(new SimReplica.Entry(leader.term, data, invocation));
        leader.waiting.put(invocation, new ArrayList<>(List.of(onApplied)));
        leader.matchIndex.put(leader.id, leader.lastIndex());
        sim.record(name + " " + leader.id + " appends i" + leader.lastIndex() + " t" + leader.term);
        replicateToAll(leader);
    }

    /** ReadIndex: the commit index now, served once a quorum confirmed this leader's term (one round trip later). */
    private void read(SimReplica leader, RaftClientRequest r, Consumer<RaftClientReply> reply) {
        long readIndex = leader.commitIndex;
        long term = leader.term;
        long roundTripUs = 2 * net.faults().delayMaxUs();
        sim.schedule(sim.delayUs(0, roundTripUs), name + " readindex " + leader.id, () -> {
            long acks = replicas.stream().filter(p -> p.up && p.term <= term).count();
            if (!leader.up || !leader.leader || leader.term != term || acks < QUORUM) {
                if (leader.up) {
                    reply.accept(failed(r, notLeader(leader)));
                }
                return;
            }
            if (leader.lastApplied < readIndex) {
                throw new AssertionError(name + ": a leader applied below its commit index");
            }
            QueryCodec.Routed q = QueryCodec.decodeRouted(r.getMessage().getContent().toByteArray());
            reply.accept(succeeded(r, QueryCodec.encodeResult(answer(leader, q))));
        });
    }

    /** As {@code RangeStateMachine} answers: checked against the replica's descriptor ({@link EpochCheck}) first. */
    private QueryResult answer(SimReplica at, QueryCodec.Routed routed) {
        Query q = routed.query();
        RangeRefusal refusal = EpochCheck.query(at.descriptor.current(), routed.route(), q);
        if (refusal != null) {
            sim.record(name + " " + at.id + " refuses a read: " + refusal.reason());
            return new QueryResult.Refused(refusal, at.lastApplied);
        } else if (q instanceof Query.Get g) {
            return new QueryResult.Value(at.engine.get(g.key()), at.lastApplied);
        } else if (q instanceof Query.MultiGet m) {
            return new QueryResult.Values(m.keys().stream().map(at.engine::get).toList(), at.lastApplied);
        }
        throw new AssertionError(name + ": the simulation sends no " + q);
    }

    /**
     * Routing is under test: every key a replica's engine holds must be inside the range's bounds (a write routed by
     * a stale table must have been refused, never applied to the wrong range). Returns the violations.
     */
    List<String> keysOutsideBounds() {
        List<String> out = new ArrayList<>();
        for (SimReplica r : replicas) {
            for (KeyValue kv : r.engine.scan(new byte[0], null, Integer.MAX_VALUE)) {
                if (!descriptor.contains(kv.key())) {
                    out.add(name + " " + r.id + " holds key " + Bytes.hex(kv.key()) + " outside " + descriptor);
                }
            }
        }
        return out;
    }

    // ------------------------------------------------------------------ replication

    private void replicateToAll(SimReplica leader) {
        for (SimReplica f : replicas) {
            if (f != leader) {
                sendAppend(leader, f);
            }
        }
    }

    private void sendAppend(SimReplica leader, SimReplica follower) {
        long prev = leader.nextIndex.get(follower.id) - 1;
        long prevTerm = leader.termAt(prev);
        List<SimReplica.Entry> entries = List.copyOf(leader.log.subList((int) prev, leader.log.size()));
        long term = leader.term;
        long commit = leader.commitIndex;
        net.send(name + " append " + leader.id + "->" + follower.id + " t" + term + " p" + prev + " n" + entries.size()
                + " c" + commit, () -> onAppend(follower, leader, term, prev, prevTerm, entries, commit));
    }

    private void onAppend(SimReplica f, SimReplica from, long term, long prev, long prevTerm,
                          List<SimReplica.Entry> entries, long commit) {
        if (!f.up) {
            return;
        }
        if (term < f.term) {
            long current = f.term;
            net.send(name + " refuse " + f.id + "->" + from.id + " t" + current,
                    () -> onAppendReply(from, f, current, false, 0));
            return;
        }
        becomeFollower(f, term, from.id);
        if (prev > f.lastIndex() || f.termAt(prev) != prevTerm) {
            long last = Math.min(f.lastIndex(), prev - 1);
            net.send(name + " mismatch " + f.id + "->" + from.id + " at p" + prev,
                    () -> onAppendReply(from, f, term, false, last));
            return;
        }
        for (int i = 0; i < entries.size(); i++) {
            long index = prev + 1 + i;
            SimReplica.Entry e = entries.get(i);
            if (index <= f.lastIndex() && f.termAt(index) != e.term()) {
                if (index <= f.commitIndex) {
                    throw new AssertionError(name + ": " + f.id + " would truncate committed entry " + index);
                }
                f.log.subList((int) (index - 1), f.log.size()).clear();
                sim.record(name + " " + f.id + " truncates from i" + index);
            }
            if (index > f.lastIndex()) {
                f.log.add(e);
            }
        }
        long lastNew = prev + entries.size();
        advanceCommit(f, Math.min(commit, lastNew));
        long known = f.commitIndex;
        net.send(name + " ack " + f.id + "->" + from.id + " i" + lastNew + " c" + known,
                () -> onAppendReply(from, f, term, true, lastNew, known));
    }

    private void onAppendReply(SimReplica leader, SimReplica from, long term, boolean success, long index) {
        onAppendReply(leader, from, term, success, index, 0);
    }

    private void onAppendReply(SimReplica leader, SimReplica from, long term, boolean success, long index,
                               long knownCommit) {
        if (!leader.up) {
            return;
        }
        if (term > leader.term) {
            becomeFollower(leader, term, null);
            return;
        }
        if (!leader.leader || term != leader.term) {
            return;
        }
        if (success) {
            leader.matchIndex.merge(from.id, index, Math::max);
            leader.nextIndex.merge(from.id, index + 1, Math::max);
            leader.knownCommit.merge(from.id, knownCommit, Math::max);
            maybeCommit(leader);
        } else {
            leader.nextIndex.put(from.id, Math.max(1, Math.min(leader.nextIndex.get(from.id) - 1, index + 1)));
            sendAppend(leader, from);
        }
    }

    /** A leader commits the highest index of its own term that a quorum holds (Raft §5.4.2). */
    private void maybeCommit(SimReplica leader) {
        for (long n = leader.lastIndex(); n > leader.commitIndex; n--) {
            long index = n;
            long holders = leader.matchIndex.values().stream().filter(m -> m >= index).count();
            if (leader.termAt(n) == leader.term && holders >= QUORUM) {
                advanceCommit(leader, n);
                return;
            }
        }
    }

    private void advanceCommit(SimReplica r, long commit) {
        if (commit <= r.commitIndex) {
            return;
        }
        r.commitIndex = commit;
        while (r.lastApplied < r.commitIndex) {
            applyNext(r);
        }
    }

    /** Applies the next committed entry through OmenDB's apply path and answers the clients waiting for it. */
    private void applyNext(SimReplica r) {
        long index = r.lastApplied + 1;
        SimReplica.Entry e = r.entryAt(index);
        r.lastApplied = index;
        if (e.data() == null) {
            return;
        }
        CommandResult result;
        try {
            CommandCodec.Routed routed = CommandCodec.decodeRouted(e.data());
            result = CommandExecutor.applyCommitted(r.engine, r.descriptor, routed.route(), routed.command(),
                    TermIndex.valueOf(e.term(), index), GroupDir.of(r.dir));
        } catch (IOException ex) {
            throw new UncheckedIOException(name + ": " + r.id + " failed to apply " + index, ex);
        }
        byte[] encoded = CommandCodec.encodeResult(result);
        r.retryCache.put(e.invocation(), encoded);
        List<Consumer<byte[]>> waiters = r.waiting.remove(e.invocation());
        if (waiters != null) {
            waiters.forEach(w -> w.accept(encoded));
        }
    }

    // ------------------------------------------------------------------ roles

    private void becomeLeader(SimReplica r, long term) {
        r.term = term;
        r.leader = true;
        r.leaderHint = r.id;
        r.log.add(new SimReplica.Entry(term, null, null));
        r.readyIndex = r.lastIndex();
        r.matchIndex.clear();
        r.nextIndex.clear();
        r.knownCommit.clear();
        for (SimReplica p : replicas) {
            r.matchIndex.put(p.id, p == r ? r.lastIndex() : 0L);
            r.nextIndex.put(p.id, r.lastIndex());
            r.knownCommit.put(p.id, 0L);
        }
        sim.record(name + " " + r.id + " leads t" + term + " from i" + r.lastIndex());
        heartbeat(r, term);
    }

    /**
     * Resends what a follower lacks (entries, or the commit index) every {@code heartbeatUs}; a follower known to
     * hold everything gets nothing (the model's elections do not depend on heartbeats, so idle groups cost no events
     * but the timer's).
     */
    private void heartbeat(SimReplica leader, long term) {
        if (!leader.up || !leader.leader || leader.term != term) {
            return;
        }
        for (SimReplica f : replicas) {
            if (f != leader && (leader.matchIndex.get(f.id) < leader.lastIndex()
                    || leader.knownCommit.get(f.id) < leader.commitIndex)) {
                sendAppend(leader, f);
            }
        }
        sim.schedule(heartbeatUs, name + " heartbeat " + leader.id, () -> heartbeat(leader, term));
    }

    /** Adopts {@code term} (at least the current one); a leader stepping down fails the clients waiting on it. */
    private void becomeFollower(SimReplica r, long term, RaftPeerId leaderOrNull) {
        if (r.leader && (term > r.term || leaderOrNull != null && !leaderOrNull.equals(r.id))) {
            r.leader = false;
            r.readyIndex = Long.MAX_VALUE;
            sim.record(name + " " + r.id + " steps down at t" + term);
            List<List<Consumer<byte[]>>> waiting = new ArrayList<>(r.waiting.values());
            r.waiting.clear();
            r.leaderHint = leaderOrNull;
            waiting.forEach(ws -> ws.forEach(w -> w.accept(null)));
        }
        if (term > r.term) {
            r.term = term;
            r.leaderHint = leaderOrNull;
        } else if (leaderOrNull != null) {
            r.leaderHint = leaderOrNull;
        }
    }

    /**
     * Elects a leader among the replicas that are up, if some candidate has a voter (election restriction); the
     * seed picks the candidate and whether the third replica (perhaps the old leader) hears of it.
     */
    void elect() {
        List<SimReplica> up = replicas.stream().filter(p -> p.up).toList();
        List<SimReplica> candidates = up.stream().filter(c -> up.stream().anyMatch(v -> v != c
                && c.logAtLeastAsUpToDateAs(v))).toList();
        if (candidates.isEmpty()) {
            return;
        }
        SimReplica c = sim.pick(candidates);
        long term = replicas.stream().mapToLong(p -> p.term).max().orElse(0) + 1;
        List<SimReplica> voters = up.stream().filter(v -> v != c && c.logAtLeastAsUpToDateAs(v)).toList();
        if (voters.size() > 1 && sim.chance(0.5)) {
            voters = List.of(sim.pick(voters));
        }
        if (c.leader) {
            becomeFollower(c, term, null);
        }
        for (SimReplica v : voters) {
            becomeFollower(v, term, c.id);
        }
        becomeLeader(c, term);
    }

    /** Whether some replica that is up leads at the highest term of the replicas that are up. */
    private boolean hasLiveLeader() {
        long top = replicas.stream().filter(p -> p.up).mapToLong(p -> p.term).max().orElse(-1);
        return replicas.stream().anyMatch(p -> p.up && p.leader && p.term == top);
    }

    /**
     * An election timeout: within {@code electionTimeoutUs}, a group without a live leader elects one, and tries
     * again later if it cannot yet (no quorum up). Only a crash or the start leaves a group without a live leader, so
     * the timer runs only then.
     */
    void electionTimeout() {
        sim.schedule(sim.delayUs(electionTimeoutUs / 2, electionTimeoutUs), name + " election timeout", () -> {
            if (!hasLiveLeader()) {
                elect();
            }
            if (!hasLiveLeader()) {
                electionTimeout();
            }
        });
    }

    /**
     * Until {@link #heal}: every {@code [gapMaxUs / 4, gapMaxUs]} either crashes the leader (when all three are up;
     * back after up to {@code downMaxUs}) or forces an election (a leader partitioned from the others).
     */
    void disruptFrom(long gapMaxUs, long downMaxUs) {
        disrupting = true;
        scheduleDisruption(gapMaxUs, downMaxUs);
    }

    private void scheduleDisruption(long gapMaxUs, long downMaxUs) {
        sim.schedule(sim.delayUs(gapMaxUs / 4, gapMaxUs), name + " disruption", () -> {
            if (!disrupting) {
                return;
            }
            SimReplica leader = replicas.stream().filter(p -> p.up && p.leader).findFirst().orElse(null);
            boolean allUp = replicas.stream().allMatch(p -> p.up);
            if (leader != null && allUp && sim.chance(0.5)) {
                crash(leader, sim.delayUs(downMaxUs / 10, downMaxUs));
            } else {
                elect();
            }
            scheduleDisruption(gapMaxUs, downMaxUs);
        });
    }

    private void crash(SimReplica r, long downUs) {
        sim.record(name + " " + r.id + " crashes for " + downUs + " us");
        r.up = false;
        r.leader = false;
        r.readyIndex = Long.MAX_VALUE;
        r.waiting.clear();
        boolean processRestarts = sim.chance(0.5);
        sim.schedule(downUs, name + " " + r.id + (processRestarts ? " restarts" : " reconnects"), () -> {
            if (r.up) {
                return; // healed meanwhile: it came back as it was
            }
            if (processRestarts) {
                restart(r);
            } else {
                r.up = true;
            }
        });
        electionTimeout();
    }

    /** The replica's process restarts: engine reopened, the log applied again from its start up to the commit index. */
    private void restart(SimReplica r) {
        try {
            r.restart();
        } catch (IOException e) {
            throw new UncheckedIOException(name + ": " + r.id + " failed to restart", e);
        }
        while (r.lastApplied < r.commitIndex) {
            applyNext(r);
        }
    }

    /** No more disruptions; every replica comes back as it was (a pending restart is dropped). */
    void heal() {
        disrupting = false;
        replicas.forEach(p -> p.up = true);
        electionTimeout();
    }

    /** Whether a live leader has committed and every replica applied its whole log. */
    boolean settled() {
        SimReplica leader = replicas.stream().filter(p -> p.up && p.leader).findFirst().orElse(null);
        if (leader == null || !hasLiveLeader() || leader.commitIndex != leader.lastIndex()) {
            return false;
        }
        return replicas.stream().allMatch(p -> p.lastApplied == leader.lastIndex()
                && p.termAt(p.lastIndex()) == leader.termAt(leader.lastIndex()));
    }

    // ------------------------------------------------------------------ replies

    private RaftGroupMemberId memberId(SimReplica r) {
        return RaftGroupMemberId.valueOf(r.id, raftGroup.getGroupId());
    }

    private NotLeaderException notLeader(SimReplica at) {
        RaftPeerId hint = at.leaderHint != null && !at.leaderHint.equals(at.id) ? at.leaderHint : null;
        return new NotLeaderException(memberId(at), hint == null ? null : raftGroup.getPeer(hint),
                raftGroup.getPeers());
    }

    /** {@code result == null}: the leader stepped down before the entry applied. */
    private RaftClientReply succeeded(RaftClientRequest r, byte[] result) {
        if (result == null) {
            return failed(r, new NotLeaderException(RaftGroupMemberId.valueOf(r.getServerId(),
                    raftGroup.getGroupId()), null, raftGroup.getPeers()));
        }
        return RaftClientReply.newBuilder().setRequest(r).setSuccess()
                .setMessage(Message.valueOf(ByteString.copyFrom(result))).build();
    }

    private static RaftClientReply failed(RaftClientRequest r, RaftException e) {
        return RaftClientReply.newBuilder().setRequest(r).setException(e).build();
    }

    @Override
    public void close() throws IOException {
        for (SimReplica r : replicas) {
            r.close();
        }
    }
}
