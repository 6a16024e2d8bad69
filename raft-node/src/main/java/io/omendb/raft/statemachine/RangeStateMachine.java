package io.omendb.raft.statemachine;

import io.omendb.raft.archive.ArchiveSettings;
import io.omendb.raft.archive.GroupLogArchiver;
import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.ForwardedWrites;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryCodec;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.storage.Bytes;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.FileOps;
import io.omendb.storage.KeyValue;
import io.omendb.storage.LoadedSegments;
import io.omendb.storage.MaintenancePool;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.proto.RaftProtos.RaftPeerProto;
import org.apache.ratis.protocol.Message;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftGroupMemberId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.server.raftlog.RaftLog;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.statemachine.TransactionContext;
import org.apache.ratis.statemachine.impl.BaseStateMachine;
import org.apache.ratis.thirdparty.com.google.protobuf.UnsafeByteOperations;
import org.apache.ratis.util.LifeCycle;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Optional;
import java.util.SplittableRandom;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.locks.ReentrantReadWriteLock;

/**
 * The Ratis state machine of one range replica: applies committed commands to the range's {@link StorageEngine}
 * and serves reads from it.
 *
 * <p><b>Guarantees.</b>
 * <ul>
 *   <li>Commands are applied in log order on Ratis' single apply thread (the engine's single writer), so
 *       compare-and-set and "did the key exist" are decided identically on every replica.</li>
 *   <li>Idempotent replay: the engine persists only up to its durable index; after a restart Ratis replays the
 *       log from the snapshot index, and entries with {@code index <= engine.appliedIndex()} are skipped.</li>
 *   <li>An entry that fails to decode (checksum, version, structure) or an engine failure throws out of
 *       {@link #applyTransaction}, which makes Ratis stop this group: data is never silently skipped. Leaders
 *       refuse undecodable requests in {@link #startTransaction}, before they reach the log.</li>
 *   <li>Snapshots are engine checkpoints ({@link SnapshotStore}); installing one from the leader closes the engine
 *       in {@link #pause()} and re-opens it from the snapshot in {@link #reinitialize()}.</li>
 *   <li>Range checks: the replica's descriptor ({@link ReplicaDescriptor}) comes from its snapshot and its own log;
 *       a write outside it or routed by a stale epoch is refused at apply time, identically on every replica, and
 *       changes nothing; a read is checked against the descriptor the replica has when it answers
 *       ({@link EpochCheck}). Snapshots carry the descriptor.</li>
 * </ul>
 *
 * <p><b>Forwarded writes.</b> A {@link Query.Forward} reaches {@link #query} only on a leader (Ratis checks leadership
 * before a non-linearizable read) and is handed to the node's router through {@link ForwardedWrites}, never answered from
 * this replica's data: it is how routers send single-key writes to the leader's node to be grouped there.
 *
 * <p><b>Node reports.</b> A {@link Query.HostedReplicas} is answered for the whole node, whichever replica it reaches
 * ({@link HostedReplicaReport}: every range replica's role, applied index, engine statistics and size), before this
 * replica's lock is taken: views of every range ask each node once instead of each replica.
 *
 * <p><b>Threading.</b> Apply, snapshot and reinitialize run on the updater thread; queries on Ratis RPC threads.
 * {@code swapLock} (read side: apply, query, snapshot; write side: pause, reinitialize, close) guarantees no one
 * uses an engine while it is being closed or swapped. {@code engine} is null exactly while paused or closed.
 */
public final class RangeStateMachine extends BaseStateMachine {
    private static final Logger LOG = LoggerFactory.getLogger(RangeStateMachine.class);
    /** Distinct minimum indexes stale reads may wait for at once on one replica. */
    static final int STALE_READ_WAITERS_MAX = 10_000;
    /** Keys sampled per load window ({@link RangeLoad}): enough for a median within about 3 % of the load. */
    static final int LOAD_SAMPLE_KEYS_MAX = 1_024;

    private final EngineOptions options;
    private final ReplicaListener listener;
    private final MaintenancePool maintenance;
    private final SnapshotStore snapshots = new SnapshotStore();
    private final ReplicaDescriptor descriptor = new ReplicaDescriptor();
    private final AppliedIndexWaiters waiters = new AppliedIndexWaiters(STALE_READ_WAITERS_MAX);
    private final ReentrantReadWriteLock swapLock = new ReentrantReadWriteLock();
    private EngineDirectory directory;
    private GroupDir groupDir;
    private volatile StorageEngine engine;
    /** Highest entry index passed by while paused for a snapshot install; must be covered by that snapshot. */
    private long skippedWhilePausedMax = RaftLog.INVALID_LOG_INDEX;
    private final AtomicLong leaderChanges = new AtomicLong();
    private final AtomicLong snapshotInstalls = new AtomicLong();
    private final AtomicLong splitsApplied = new AtomicLong();
    private final AtomicLong mergesApplied = new AtomicLong();
    /** Newest time stamped into or applied from this group's log (ms since the epoch); see startTransaction. */
    private final AtomicLong newestStampMillis = new AtomicLong(CommandCodec.UNSTAMPED);
    private final Clock clock;
    /** Null when log archiving is off. */
    private final ArchiveSettings archiveSettings;
    private final ForwardedWrites forwarding;
    private final ShapeListener splits;
    /** Where this replica finds the loaded segments of a split's right half it adopts. */
    private final SplitHandoff handoff;
    /** Keyed requests this replica applied or answered, window by window (for load-based splits). */
    private final RangeLoad load;
    /** The staged right half of a split this replica starts from; set in {@link #initialize}, null once adopted. */
    private StagedSplit adopting;
    /** When this replica adopted a split's right half ({@link System#nanoTime}), until its first leader; else 0. */
    private volatile long adoptedAtNanos;
    /** Set in {@link #initialize} when archiving is on. */
    private volatile GroupLogArchiver archiver;

    /**
     * @param maintenance flush/compaction threads shared by every range replica of the node (a node hosts
     *                    hundreds of ranges: two threads per engine would be hundreds of idle threads)
     * @param clock       the wall clock a leader stamps accepted commands with
     * @param archiving   where to archive the committed log for point-in-time restore; empty: not archived
     * @param forwarding  where writes forwarded to this replica as leader go
     * @param splits      told of every split this replica applies ({@link RangeSplits})
     * @param handoff     the node's split right halves in memory, which this replica opens from when it adopts one
     * @param loadWindowMs the window {@link #load()} is measured over
     */
    public RangeStateMachine(EngineOptions options, ReplicaListener listener, MaintenancePool maintenance,
                             Clock clock, Optional<ArchiveSettings> archiving, ForwardedWrites forwarding,
                             ShapeListener splits, SplitHandoff handoff, long loadWindowMs) {
        this.clock = clock;
        this.splits = splits;
        this.handoff = handoff;
        this.load = new RangeLoad(loadWindowMs, LOAD_SAMPLE_KEYS_MAX, clock::millis, new SplittableRandom());
        this.forwarding = forwarding;
        this.archiveSettings = archiving.orElse(null);
        this.options = options;
        this.listener = listener;
        this.maintenance = maintenance;
    }

    @Override
    public void initialize(RaftServer server, RaftGroupId groupId, RaftStorage storage) throws IOException {
        super.initialize(server, groupId, storage);
        snapshots.init(storage);
        groupDir = GroupDir.of(storage.getStorageDir().getRoot().toPath());
        directory = new EngineDirectory(groupDir, options, maintenance);
        if (archiveSettings != null) {
            archiver = new GroupLogArchiver(groupDir.logDir(),
                    NodeDataLayout.archiveNodeDir(archiveSettings.root(), groupId.getUuid(), server.getId().toString()),
                    archiveSettings.writeBufferBytes(), clock::millis);
        }
        long startNanos = System.nanoTime();
        adopting = adoptStagedEngine(groupDir, groupId);
        long movedNanos = System.nanoTime();
        getLifeCycle().startAndTransition(this::openEngine, IOException.class);
        if (adopting != null) {
            FileOps.deleteRecursively(groupDir.nodeLayout().splitStagingDir(groupId.getUuid()));
            long now = System.nanoTime();
            LOG.info("{}: adopted the right half of split {} as {} in {} ms (moved in {} ms; engine opened and first "
                    + "snapshot made in {} ms)", this, adopting.splitIndex(), adopting.right(),
                    (now - startNanos) / 1_000_000, (movedNanos - startNanos) / 1_000_000,
                    (now - movedNanos) / 1_000_000);
            adopting = null;
            adoptedAtNanos = now;
        }
        listener.replicaOpened(groupId, getLastAppliedTermIndex().getIndex(), engine.durableIndex());
    }

    /**
     * When this group is the right half of a split this node's parent replica applied ({@link StagedSplit}): moves
     * the staged engine into the group's engine directory (a rename; skipped when a crash came after it) and returns
     * the record, so {@link #openEngine} makes the group's first snapshot from it. Null for any other group.
     */
    private static StagedSplit adoptStagedEngine(GroupDir group, RaftGroupId groupId) throws IOException {
        Path staging = group.nodeLayout().splitStagingDir(groupId.getUuid());
        Optional<StagedSplit> staged = StagedSplit.readFrom(staging);
        if (staged.isEmpty()) {
            return null;
        }
        Path stagedEngine = StagedSplit.engineDir(staging);
        if (Files.isDirectory(stagedEngine) && !Files.exists(group.engineDir())) {
            Files.move(stagedEngine, group.engineDir(), StandardCopyOption.ATOMIC_MOVE);
            FileOps.fsync(group.root());
        }
        return staged.get();
    }

    @Override
    public SnapshotStore getStateMachineStorage() {
        return snapshots;
    }

    private void openEngine() throws IOException {
        swapLock.writeLock().lock();
        try {
            Optional<SnapshotStore.Stored> snapshot = snapshots.latest();
            long startNanos = System.nanoTime();
            engine = directory.open(snapshot, adopting == null ? LoadedSegments.NONE
                    : handoff.take(getGroupId().getUuid()));
            long openMs = (System.nanoTime() - startNanos) / 1_000_000;
            if (snapshot.isEmpty() && adopting != null) {
                // The right half of a split: its data is this snapshot, so a replica that joins the group later (or
                // lagged behind the split) is sent it before the log, which starts at index 1.
                snapshot = Optional.of(snapshots.create(engine, TermIndex.valueOf(0, RangeSplits.RIGHT_START_INDEX),
                        adopting.right(), 0));
            }
            snapshot.ifPresent(s -> setLastAppliedTermIndex(s.termIndex()));
            descriptor.reset(snapshot.map(s -> s.descriptor().rangeOrNull()).orElse(null),
                    snapshot.map(s -> s.descriptor().mergeFence()).orElse(0L));
            waiters.advance(getLastAppliedTermIndex().getIndex());
            LOG.info("{}: opened engine {} in {} ms (applied {}, durable {}), snapshot {}, {}", this, directory.path(),
                    openMs, engine.appliedIndex(), engine.durableIndex(),
                    snapshot.map(s -> s.termIndex().toString()).orElse("none"), descriptor.current() == null
                            ? "no range descriptor recorded (every key is accepted until the log records one)"
                            : descriptor.current());
        } finally {
            swapLock.writeLock().unlock();
        }
    }

    /**
     * Runs on the leader only: refuses undecodable commands before they reach the log, and stamps the command with
     * the leader's clock ({@link CommandCodec#stamp}) for point-in-time restore and with this replica's applied index
     * (committed, and in this leader's log before the new entry) for offline replay of a stopped node's log, in place
     * of Ratis' metadata entries (CommandCodec explains why that is safe). Stamps never go backwards within a
     * group as seen by this replica (it also remembers the newest stamp it applied from earlier leaders), so a leader
     * whose clock is behind still produces a non-decreasing sequence unless clocks differ by more than the time
     * between leader changes; restore treats the log as a prefix anyway (it stops at the first entry after T).
     */
    @Override
    public TransactionContext startTransaction(RaftClientRequest request) throws IOException {
        byte[] frame = request.getMessage().getContent().toByteArray();
        try {
            CommandCodec.decodeRouted(frame);
        } catch (CorruptFrameException | IllegalArgumentException e) {
            throw new IOException("refusing an undecodable command: " + e.getMessage(), e);
        }
        long stamp = newestStampMillis.accumulateAndGet(clock.millis(), Math::max);
        return TransactionContext.newBuilder().setStateMachine(this).setClientRequest(request)
                .setLogData(UnsafeByteOperations.unsafeWrap(CommandCodec.stamp(frame, stamp,
                        Math.max(0, getLastAppliedTermIndex().getIndex())))).build();
    }

    @Override
    public CompletableFuture<Message> applyTransaction(TransactionContext trx) {
        LogEntryProto entry = trx.getLogEntry();
        long index = entry.getIndex();
        CommandCodec.Logged logged = decodeOrStop(entry);
        CommandResult result;
        swapLock.readLock().lock();
        try {
            result = engine == null ? passWhilePaused(index)
                    : applyToEngine(logged, TermIndex.valueOf(entry.getTerm(), index));
            updateLastAppliedTermIndex(entry.getTerm(), index);
        } finally {
            swapLock.readLock().unlock();
        }
        waiters.advance(index);
        return CompletableFuture.completedFuture(message(CommandCodec.encodeResult(result)));
    }

    private CommandCodec.Logged decodeOrStop(LogEntryProto entry) {
        try {
            CommandCodec.Logged logged = CommandCodec.decodeLogged(
                    entry.getStateMachineLogEntry().getLogData().toByteArray());
            newestStampMillis.accumulateAndGet(logged.timestampMillis(), Math::max);
            return logged;
        } catch (CorruptFrameException | IllegalArgumentException e) {
            LOG.error("{}: log entry {} is undecodable; stopping this group rather than skipping it", this,
                    TermIndex.valueOf(entry), e);
            throw new IllegalStateException("undecodable log entry " + TermIndex.valueOf(entry) + " in " + this, e);
        }
    }

    private CommandResult applyToEngine(CommandCodec.Logged logged, TermIndex at) {
        try {
            CommandResult result = CommandExecutor.applyCommitted(engine, descriptor, logged.route(), logged.command(),
                    at, groupDir, splits);
            if (result instanceof CommandResult.Written) {
                if (logged.command() instanceof Command.Split) {
                    splitsApplied.incrementAndGet();
                } else if (logged.command() instanceof Command.CommitMerge) {
                    mergesApplied.incrementAndGet();
                }
            }
            recordLoad(logged.command());
            return result;
        } catch (IOException e) {
            LOG.error("{}: engine failed applying entry {}; stopping this group", this, at.getIndex(), e);
            throw new UncheckedIOException(e);
        }
    }

    private void recordLoad(Command c) {
        byte[] key = Command.singleKeyOf(c);
        if (key != null) {
            load.record(key);
        } else if (c instanceof Command.Group g) {
            g.commands().forEach(member -> load.record(Command.singleKeyOf(member)));
        }
    }

    /** Entries the updater reaches while a snapshot is being installed are all covered by that snapshot. */
    private CommandResult passWhilePaused(long index) {
        skippedWhilePausedMax = Math.max(skippedWhilePausedMax, index);
        return new CommandResult.AlreadyApplied(index);
    }

    @Override
    public void notifyTermIndexUpdated(long term, long index) {
        super.notifyTermIndexUpdated(term, index);
        waiters.advance(index);
    }

    @Override
    public CompletableFuture<Message> query(Message request) {
        QueryCodec.Routed routed;
        try {
            routed = QueryCodec.decodeRouted(request.getContent().toByteArray());
        } catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        }
        Query q = routed.query();
        if (q instanceof Query.Forward f) {
            return forwarding.propose(getGroupId(), f.entry()).thenApply(result -> message(QueryCodec.encodeResult(
                    new QueryResult.Forwarded(result, result == null ? 0 : result.revision()))));
        } else if (q instanceof Query.HostedReplicas) { // about the node, not this replica: before its lock
            return getServer().thenApply(server -> message(QueryCodec.encodeResult(HostedReplicaReport.of(server,
                    getLastAppliedTermIndex().getIndex()))));
        }
        swapLock.readLock().lock();
        try {
            StorageEngine e = engine;
            if (e == null) {
                return CompletableFuture.failedFuture(new IllegalStateException(
                        this + " is installing a snapshot or closed; retry on another replica"));
            }
            return CompletableFuture.completedFuture(message(QueryCodec.encodeResult(answer(e, routed.route(), q))));
        } catch (RuntimeException ex) {
            return CompletableFuture.failedFuture(ex);
        } finally {
            swapLock.readLock().unlock();
        }
    }

    private QueryResult answer(StorageEngine e, Route route, Query q) {
        long applied = getLastAppliedTermIndex().getIndex();
        RangeBounds bounds = descriptor.current();
        RangeRefusal refusal = EpochCheck.query(bounds, route, q);
        if (refusal != null) {
            return new QueryResult.Refused(refusal, applied);
        } else if (q instanceof Query.Describe) {
            return new QueryResult.Described(bounds, applied);
        } else if (q instanceof Query.Get g) {
            load.record(g.key());
            return new QueryResult.Value(e.get(g.key()), applied);
        } else if (q instanceof Query.MultiGet m) {
            m.keys().forEach(load::record);
            return new QueryResult.Values(m.keys().stream().map(e::get).toList(), applied);
        } else if (q instanceof Query.Scan s) {
            return new QueryResult.ScanPage(e.scan(s.start(), s.end(), s.limit()), applied);
        } else if (q instanceof Query.Status) {
            return new QueryResult.Status(e.stats(), applied);
        } else if (q instanceof Query.Digest) {
            return new QueryResult.Digest(e.digest(), applied);
        } else if (q instanceof Query.MedianKey) {
            return new QueryResult.Value(e.estimateMedianKey(), applied);
        } else if (q instanceof Query.Size) {
            return new QueryResult.Size(e.dataBytes(), load.lastWindow().opsPerSecond(), applied);
        } else if (q instanceof Query.MergeSource m) {
            return new QueryResult.ScanPage(bounds == null ? List.of()
                    : mergePage(e, bounds.start(), bounds.end(), m.from(), m.limit(), m.digests()), applied);
        } else if (q instanceof Query.MergeCopied m) {
            return new QueryResult.ScanPage(mergeCopied(e, bounds, m), applied);
        } else if (q instanceof Query.MergeRecords m) {
            return new QueryResult.Values(mergeRecords(e, bounds, m), applied);
        }
        throw new IllegalArgumentException("unknown query " + q);
    }

    /** Bytes of keys and values after which a merge's page ends, whatever its key limit. */
    static final long MERGE_SOURCE_PAGE_BYTES_MAX = 4L << 20;
    /** Keys read from the engine at a time while a merge's page fills up. */
    static final int MERGE_SOURCE_READ_KEYS = 256;

    /** A {@link Query.MergeCopied} page: the engine's keys beyond the descriptor's end (none recorded: none). */
    private static List<KeyValue> mergeCopied(StorageEngine e, RangeBounds bounds, Query.MergeCopied m) {
        if (bounds == null || bounds.end() == null) {
            return List.of();
        }
        byte[] engineEnd = e.range().end();
        byte[] to = m.to() == null ? engineEnd : engineEnd == null || Bytes.compare(m.to(), engineEnd) < 0 ? m.to()
                : engineEnd;
        return mergePage(e, bounds.end(), to, m.from(), m.limit(), m.digests());
    }

    /**
     * The values of a {@link Query.MergeRecords}' keys inside the descriptor (none recorded: none), for the prefix of
     * the keys that ends after the value that passes {@link #MERGE_SOURCE_PAGE_BYTES_MAX}.
     */
    private static List<byte[]> mergeRecords(StorageEngine e, RangeBounds bounds, Query.MergeRecords m) {
        List<byte[]> values = new ArrayList<>();
        long bytes = 0;
        for (byte[] key : m.keys()) {
            if (bytes >= MERGE_SOURCE_PAGE_BYTES_MAX) {
                break;
            }
            byte[] value = bounds != null && bounds.contains(key) ? e.get(key) : null;
            values.add(value);
            bytes += key.length + (value == null ? 0 : value.length);
        }
        return values;
    }

    /**
     * A page of a merge's copy: the engine's records in {@code [lo, hi)} ({@code hi} null: unbounded) from
     * {@code from} on, at most {@code limit} of them and ending after the record that passes
     * {@link #MERGE_SOURCE_PAGE_BYTES_MAX}; empty exactly when no record is left from {@code from} on. With
     * {@code digests}, each value is its {@link Query.ValueDigester digest} (and counts as such).
     */
    private static List<KeyValue> mergePage(StorageEngine e, byte[] lo, byte[] hi, byte[] fromKey, int limit,
                                            boolean digests) {
        List<KeyValue> page = new ArrayList<>();
        Query.ValueDigester digester = digests ? new Query.ValueDigester() : null;
        byte[] from = Bytes.compare(fromKey, lo) < 0 ? lo : fromKey;
        long bytes = 0;
        while (page.size() < limit && bytes < MERGE_SOURCE_PAGE_BYTES_MAX
                && (hi == null || Bytes.compare(from, hi) < 0)) {
            List<KeyValue> part = e.scan(from, hi, Math.min(MERGE_SOURCE_READ_KEYS, limit - page.size()));
            for (KeyValue kv : part) {
                KeyValue entry = digests ? new KeyValue(kv.key(), digester.digestOf(kv.value())) : kv;
                page.add(entry);
                bytes += entry.key().length + entry.value().length;
            }
            if (part.isEmpty()) {
                break;
            }
            from = Bytes.successor(part.get(part.size() - 1).key());
        }
        return page;
    }

    /** A read on this replica once it has applied at least {@code minIndex} (0: whatever it has now). */
    @Override
    public CompletableFuture<Message> queryStale(Message request, long minIndex) {
        return waiters.await(minIndex).thenCompose(v -> query(request));
    }

    @Override
    public long takeSnapshot() throws IOException {
        TermIndex applied = getLastAppliedTermIndex();
        Optional<SnapshotStore.Stored> current = snapshots.latest();
        if (applied.getIndex() < 0) {
            return RaftLog.INVALID_LOG_INDEX;
        }
        if (current.isPresent() && current.get().descriptor().index() >= applied.getIndex()) {
            return current.get().descriptor().index();
        }
        archiveBeforePurge(applied.getIndex());
        swapLock.readLock().lock();
        try {
            if (engine == null) {
                return current.map(s -> s.descriptor().index()).orElse(RaftLog.INVALID_LOG_INDEX);
            }
            SnapshotStore.Stored s = snapshots.create(engine, applied, descriptor.current(), descriptor.mergeFence());
            listener.snapshotTaken(getGroupId(), applied.getTerm(), applied.getIndex(), engine.durableIndex());
            LOG.info("{}: snapshot {} (engine index {})", this, applied, s.descriptor().engineAppliedIndex());
            return applied.getIndex();
        } finally {
            swapLock.readLock().unlock();
        }
    }

    /**
     * Ratis purges the log up to a snapshot only after {@link #takeSnapshot} returns: archive first, and fail the
     * snapshot (so nothing is purged; Ratis retries later) when archiving fails.
     */
    private void archiveBeforePurge(long appliedIndex) throws IOException {
        GroupLogArchiver a = archiver;
        if (a == null) {
            return;
        }
        try {
            a.archiveThrough(appliedIndex);
        } catch (IOException e) {
            throw new IOException(this + ": not taking a snapshot, which would let Ratis purge log entries that are "
                    + "not archived yet: archiving failed: " + e.getMessage(), e);
        }
    }

    /** One archiving pass up to the applied (hence committed) index; a no-op when archiving is off. */
    public void archiveLog() {
        GroupLogArchiver a = archiver;
        if (a == null) {
            return;
        }
        try {
            a.archiveThrough(getLastAppliedTermIndex().getIndex());
        } catch (IOException e) {
            LOG.warn("{}: log archiving failed (retried on the next pass and before the next snapshot): {}", this,
                    e.getMessage());
        }
    }

    /** This replica's log archiver, when archiving is on (for metrics). */
    public Optional<GroupLogArchiver> archiver() {
        return Optional.ofNullable(archiver);
    }

    @Override
    public void pause() {
        swapLock.writeLock().lock();
        try {
            if (getLifeCycleState() != LifeCycle.State.RUNNING) {
                return;
            }
            getLifeCycle().transition(LifeCycle.State.PAUSING);
            closeEngine();
            getLifeCycle().transition(LifeCycle.State.PAUSED);
            LOG.info("{}: paused for snapshot install", this);
        } catch (IOException e) {
            throw new UncheckedIOException("closing the engine of " + this + " for a snapshot install", e);
        } finally {
            swapLock.writeLock().unlock();
        }
    }

    @Override
    public void reinitialize() throws IOException {
        snapshots.reload();
        SnapshotStore.Stored installed = snapshots.latest().orElseThrow(() -> new IOException(
                this + ": reinitialize without a usable snapshot in " + directory.path().getParent()));
        if (skippedWhilePausedMax > installed.descriptor().index()) {
            throw new IllegalStateException(this + ": passed entry " + skippedWhilePausedMax
                    + " while paused, beyond the installed snapshot " + installed.termIndex());
        }
        skippedWhilePausedMax = RaftLog.INVALID_LOG_INDEX;
        openEngine();
        if (getLifeCycleState() == LifeCycle.State.PAUSED) {
            getLifeCycle().transition(LifeCycle.State.STARTING);
            getLifeCycle().transition(LifeCycle.State.RUNNING);
        }
        listener.replicaOpened(getGroupId(), getLastAppliedTermIndex().getIndex(), engine.durableIndex());
        snapshotInstalls.incrementAndGet();
        LOG.info("{}: installed snapshot {}", this, installed.termIndex());
    }

    @Override
    public void notifyLeaderChanged(RaftGroupMemberId member, RaftPeerId newLeaderId) {
        leaderChanges.incrementAndGet();
        long adopted = adoptedAtNanos;
        if (adopted != 0 && newLeaderId != null) {
            adoptedAtNanos = 0;
            LOG.info("{}: first leader of the split's right half is {}, {} ms after this replica adopted it", this,
                    newLeaderId, (System.nanoTime() - adopted) / 1_000_000);
        }
    }

    /** The range descriptor this replica has recorded, or null (none yet: every key is accepted). */
    public RangeBounds rangeDescriptor() {
        return descriptor.current();
    }

    /** Leader changes this replica observed since it was opened in this process (for metrics). */
    public long leaderChanges() {
        return leaderChanges.get();
    }

    /** Splits of this range this replica applied since it was opened in this process (for metrics). */
    public long splitsApplied() {
        return splitsApplied.get();
    }

    /** Merges into this range (it was the target) this replica applied since it was opened in this process. */
    public long mergesApplied() {
        return mergesApplied.get();
    }

    /** Snapshots installed from a leader since this replica was opened in this process (for metrics). */
    public long snapshotInstalls() {
        return snapshotInstalls.get();
    }

    /** The load on this replica over the last complete window (keyed writes applied, gets answered). */
    public RangeLoad.Window load() {
        return load.lastWindow();
    }

    /**
     * This replica as a node's {@link Query.HostedReplicas} answer shows it, with its Raft {@code role}; no engine
     * statistics while the engine is not open.
     */
    QueryResult.HostedReplica report(String role) {
        swapLock.readLock().lock();
        try {
            StorageEngine e = engine;
            return new QueryResult.HostedReplica(getGroupId().getUuid(), role, getLastAppliedTermIndex().getIndex(),
                    e == null ? null : e.stats(), e == null ? 0 : e.dataBytes(), load.lastWindow().opsPerSecond());
        } finally {
            swapLock.readLock().unlock();
        }
    }

    /** Bytes of keys and values the engine stores ({@code StorageEngine#dataBytes}); 0 while it is not open. */
    public long dataBytes() {
        StorageEngine e = engine;
        return e == null ? 0 : e.dataBytes();
    }

    /** Bytes of the engine's memtables (writes not flushed yet); 0 before the engine opened. */
    public long memtableBytes() {
        StorageEngine e = engine;
        return e == null ? 0 : e.memtableBytes();
    }

    /** Memtables the node's memtable budget flushed early, since the current engine opened (a snapshot reopens it). */
    public long memoryPressureFlushes() {
        StorageEngine e = engine;
        return e == null ? 0 : e.memoryPressureFlushes();
    }

    @Override
    public void notifyConfigurationChanged(long term, long index, RaftConfigurationProto conf) {
        List<String> peers = conf.getPeersList().stream().map(RaftPeerProto::getId)
                .map(id -> id.toStringUtf8()).toList();
        listener.peersChanged(getGroupId(), peers);
    }

    @Override
    public void notifyGroupRemove() {
        listener.replicaRemoved(getGroupId());
    }

    @Override
    public void close() throws IOException {
        swapLock.writeLock().lock();
        try {
            closeEngine();
        } finally {
            swapLock.writeLock().unlock();
        }
        waiters.failAll(new IllegalStateException(this + " closed"));
    }

    private void closeEngine() throws IOException {
        StorageEngine e = engine;
        engine = null;
        if (e != null) {
            e.close();
        }
    }

    private static Message message(byte[] bytes) {
        return Message.valueOf(UnsafeByteOperations.unsafeWrap(bytes));
    }
}
