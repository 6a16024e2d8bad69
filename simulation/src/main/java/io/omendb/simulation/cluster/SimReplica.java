package io.omendb.simulation.cluster;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.statemachine.ReplicaDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.MaintenancePool;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.RaftPeerId;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HashMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.function.Consumer;

/**
 * One replica of a simulated range group: its Raft state (term, role, log, commit and applied index), the retry
 * cache Ratis keeps per server, a real {@link StorageEngine} that committed entries are applied to (reopened on
 * {@link #restart}) and the range descriptor it has recorded ({@link ReplicaDescriptor}: the range's bounds and epoch,
 * as from a snapshot at index 0 that carries them; restored the same way on restart). A plain
 * state holder: {@link SimRangeGroup} owns every transition. Maps a run iterates are insertion-ordered, so the order
 * in which, say, a deposed leader's waiting clients are answered is fixed by the seed.
 */
final class SimReplica {
    /** A Ratis invocation: a client id and a call id. Resends of one invocation carry the same pair. */
    record Invocation(ClientId clientId, long callId) {
    }

    /** A log entry; {@code data == null} is the no-op a new leader appends in its term. */
    record Entry(long term, byte[] data, Invocation invocation) {
    }

    final RaftPeerId id;
    final Path dir;
    private final EngineOptions engineOptions;
    private final MaintenancePool pool;
    StorageEngine engine;
    /** The descriptor the replica starts from (its "snapshot"'s), and the one it has now. */
    private final RangeBounds initialDescriptor;
    final ReplicaDescriptor descriptor = new ReplicaDescriptor();
    final List<Entry> log = new ArrayList<>();
    /** Outcomes of applied entries by invocation (Ratis' retry cache; never expires here). */
    final Map<Invocation, byte[]> retryCache = new HashMap<>();
    /** Leader only: clients waiting for an entry of theirs to apply, by invocation. */
    final Map<Invocation, List<Consumer<byte[]>>> waiting = new LinkedHashMap<>();
    /** Leader only: per follower, the highest index known replicated there, and the next index to send. */
    final Map<RaftPeerId, Long> matchIndex = new LinkedHashMap<>();
    final Map<RaftPeerId, Long> nextIndex = new LinkedHashMap<>();
    /** Leader only: per follower, the commit index it acknowledged knowing. */
    final Map<RaftPeerId, Long> knownCommit = new LinkedHashMap<>();
    boolean up = true;
    long term;
    boolean leader;
    RaftPeerId leaderHint;
    long commitIndex;
    long lastApplied;
    /** Leader only: the index of its term's no-op; it serves clients once it applied that (Ratis' "ready"). */
    long readyIndex = Long.MAX_VALUE;

    /** Opens the replica's engine in {@code dir/engine} (new or existing). */
    SimReplica(RaftPeerId id, Path dir, EngineOptions engineOptions, MaintenancePool pool, RangeBounds descriptor)
            throws IOException {
        this.id = id;
        this.initialDescriptor = descriptor;
        this.descriptor.reset(descriptor, 0);
        this.dir = dir;
        this.engineOptions = engineOptions;
        this.pool = pool;
        this.engine = StorageEngine.open(dir.resolve("engine"), engineOptions, pool);
    }

    /**
     * A process restart: the engine is closed and opened again (it reopens at its durable index), and everything a
     * Ratis server keeps in memory is gone — the applied index (the log is applied again from its start, as Ratis
     * replays it without a snapshot), the retry cache, the leader's state. The log, the term and the commit index
     * are durable in Ratis and stay.
     */
    void restart() throws IOException {
        engine.close();
        engine = StorageEngine.open(dir.resolve("engine"), engineOptions, pool);
        lastApplied = 0;
        descriptor.reset(initialDescriptor, 0);
        retryCache.clear();
        waiting.clear();
        leader = false;
        readyIndex = Long.MAX_VALUE;
        up = true;
    }

    long lastIndex() {
        return log.size();
    }

    long termAt(long index) {
        return index == 0 ? 0 : log.get((int) (index - 1)).term();
    }

    Entry entryAt(long index) {
        return log.get((int) (index - 1));
    }

    /** Raft's election restriction: whether this log is at least as up to date as {@code other}'s. */
    boolean logAtLeastAsUpToDateAs(SimReplica other) {
        long mine = termAt(lastIndex());
        long theirs = other.termAt(other.lastIndex());
        return mine != theirs ? mine > theirs : lastIndex() >= other.lastIndex();
    }

    boolean ready() {
        return leader && lastApplied >= readyIndex;
    }

    void close() throws IOException {
        engine.close();
    }
}
