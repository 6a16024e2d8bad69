package io.omendb.storage;

import io.omendb.storage.index.IndexCodec;
import io.omendb.storage.index.IndexStats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.IdentityHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The storage engine of one key-range replica: a multi-versioned memtable in front of immutable, learned-index
 * segments, with background flush and compaction.
 *
 * <p><b>Guarantees.</b>
 * <ul>
 *   <li>One writer ({@link #apply}, called by the Raft apply thread) and any number of readers. A batch is
 *       atomic: readers see all of it or none.</li>
 *   <li>Reads never wait for a flush or compaction and never take a lock: a reader takes one immutable
 *       {@link View} — the memtables and segments plus the sequence number it may see — and reads only that,
 *       so a scan sees one consistent state however long it runs.</li>
 *   <li>No WAL: the Raft log is the WAL. {@link #durableIndex()} is the highest Raft index whose effects are
 *       in fsynced segments named by the manifest; after a crash the engine reopens there and the Raft layer
 *       re-applies later entries.</li>
 *   <li>Every byte on disk is checksummed (segments and manifest) and verified on open.</li>
 *   <li>The engine owns a key {@link #range()}: no read returns a key outside it, no write outside it is
 *       accepted ({@link KeyOutOfRangeException}). {@link #splitOff} and {@link #absorb} change it without
 *       copying records (segment files are hard-linked and each segment answers only for its part of the range),
 *       each with one commit point; an interrupted one is finished or undone when the engine reopens.</li>
 * </ul>
 *
 * <p><b>Threading.</b> {@code writeLock} serialises writers (and flush/checkpoint/split/merge against them);
 * {@code manifestLock} serialises changes to the segment list (flush, compaction, checkpoint, split, merge), each of which
 * writes the manifest before publishing the new view; flushes run one at a time ({@code flushLock}, oldest memtable
 * first) and compactions one at a time, on the engine's own two threads or on a {@link MaintenancePool} shared by
 * many engines. A thread that needs a flush done — the writer at a stall, {@link #flush}, and so a split or a
 * checkpoint — does it itself rather than wait in the pool's queue behind other engines' compactions.
 * Publishing a view is a compare-and-set, so the writer never waits for a manifest fsync.
 *
 * <p><b>Write stalls.</b> When {@code immutableMemtablesMax} frozen memtables are waiting for flush, the writer
 * flushes the oldest itself (bounded memory); readers are unaffected. A memtable is frozen at {@code retrainThreshold}
 * entries or {@link #MEMTABLE_BYTES_MAX} bytes, whichever comes first, so the memtables of one engine hold at most
 * about {@code (immutableMemtablesMax + 1) * MEMTABLE_BYTES_MAX} plus one batch, whatever the value sizes.
 *
 * <p><b>Memory pressure.</b> The engine reports its memtable bytes to the {@link MemtableBudget} of its
 * {@link MaintenancePool} (one per node); when the node's memtables together pass the budget, the budget freezes the
 * largest active memtable below its freeze point ({@link #freezeForPressure}), which is flushed like any other, so an
 * idle range's buffered writes cannot hold the node's heap forever.
 *
 * <p><b>Heap of flush and compaction.</b> Both stream their output ({@link SegmentFile.Writer}): a record goes
 * into the current data block as it is merged and a block goes to disk when full, so a flush or compaction holds
 * one block, the output's keys and small values, and 24 bytes per large value — not the output's bytes. Segments
 * keep large values ({@code > valueBytesInlineMax}) on disk too, so compacting a range of 64 KiB values needs
 * heap for its keys, not for the range. Which segments merge is {@link CompactionPolicy}'s choice (size tiers in
 * bytes and records).
 */
public final class StorageEngine implements AutoCloseable {
    private static final byte[] EMPTY = new byte[0];
    /**
     * Most keys a delete-range collects before writing their tombstones: a delete-range walks its range in chunks of
     * this many live keys, so the writer never holds a list of the whole range (issue 26).
     */
    static final int DELETE_RANGE_CHUNK_KEYS_MAX = 1024;
    /**
     * Bytes (keys, values, bookkeeping) at which the active memtable is frozen even below {@code retrainThreshold}
     * entries: 200 000 entries of 1 MiB values would be 200 GiB of heap, and a node hosts many engines.
     */
    static final long MEMTABLE_BYTES_MAX = 16L << 20;

    /**
     * Range owned, memtables newest first, segments newest first (each bounded to a part of the range). Immutable.
     */
    private record State(KeyRange range, Memtable active, List<Memtable> immutables, List<Segment> segments) {
        State withSegments(List<Segment> next) {
            return new State(range, active, immutables, next);
        }
    }

    /** What a reader may see: a state and the highest sequence number visible in it. */
    private record View(State state, long seq) {
    }

    private final Path dir;
    private final EngineOptions options;
    private final AtomicReference<View> view;
    private final Object writeLock = new Object();
    private final Object manifestLock = new Object();
    private final Object compactionLock = new Object();
    /** Held while a frozen memtable is written and published, by the flush queue or a thread that flushes itself. */
    private final Object flushLock = new Object();
    private final MaintenancePool ownedPool; // null when the caller shares a pool across engines
    private final MaintenancePool.Queue flusher;
    private final MaintenancePool.Queue compactor;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final CompactionPolicy policy;
    private final AtomicLong compactionBytesWritten = new AtomicLong();
    private final AtomicLong writerHeapBytesPeak = new AtomicLong();
    /** This engine's share of the node's {@link MemtableBudget} (the pool's). */
    private final MemtableBudget.Member budgetShare;
    /** Bytes of the active memtable reported to {@link #budgetShare} so far. Writer only. */
    private long activeBytesReported;
    private Manifest manifest; // guarded by manifestLock
    private volatile long durableIndex;
    private volatile long appliedIndex;
    private long seq; // writer only
    private volatile Throwable backgroundFailure;
    private volatile boolean closed;
    /** Called at each step of a split or merge; tests make it throw to leave the files as a crash there would. */
    volatile StepHook stepHook = step -> { };

    /** A named step of {@link #splitOff} or {@link #absorb} (see {@link #stepHook}). */
    interface StepHook {
        void reached(String step) throws IOException;
    }

    private StorageEngine(Path dir, EngineOptions options, Manifest manifest, List<Segment> segments,
                          FileChannel lockChannel, FileLock dirLock, MaintenancePool sharedPool) {
        this.dir = dir;
        this.options = options;
        this.manifest = manifest;
        this.durableIndex = manifest.durableIndex();
        this.appliedIndex = manifest.durableIndex();
        this.lockChannel = lockChannel;
        this.dirLock = dirLock;
        this.policy = new CompactionPolicy(options.compactionFanIn(), MEMTABLE_BYTES_MAX, options.retrainThreshold(),
                options.segmentBytesMax(), options.compactionFanIn() * 4);
        this.view = new AtomicReference<>(new View(new State(manifest.range(), new Memtable(), List.of(), segments), 0));
        String name = dir.getFileName() == null ? "engine" : dir.getFileName().toString();
        this.ownedPool = sharedPool == null ? MaintenancePool.create(2, "omendb-maintenance-" + name) : null;
        MaintenancePool pool = sharedPool == null ? ownedPool : sharedPool;
        this.flusher = pool.newQueue();
        this.compactor = pool.newQueue();
        this.budgetShare = pool.budget().join(this::freezeForPressure);
    }

    /**
     * Opens (or creates) the engine in {@code dir}, verifying the manifest and every live segment, with two
     * background threads of its own.
     */
    public static StorageEngine open(Path dir, EngineOptions options) throws IOException {
        return open(dir, options, null);
    }

    /**
     * Same as {@link #open(Path, EngineOptions)}, running flushes and compactions on {@code sharedPool} (which
     * must outlive the engine); {@code null} gives the engine a pool of its own.
     */
    public static StorageEngine open(Path dir, EngineOptions options, MaintenancePool sharedPool) throws IOException {
        return open(dir, options, sharedPool, KeyRange.ALL);
    }

    /**
     * Opens the engine in {@code dir}; a new directory gets an engine owning {@code rangeIfNew}, an existing one keeps
     * the range its manifest records (read it with {@link #range()}). A split or merge that a crash interrupted is
     * finished or undone first ({@link #splitOff}, {@link #absorb}): after a crash, open the left (parent) engine
     * before its right neighbour.
     */
    public static StorageEngine open(Path dir, EngineOptions options, MaintenancePool sharedPool, KeyRange rangeIfNew)
            throws IOException {
        return open(dir, options, sharedPool, rangeIfNew, LoadedSegments.NONE);
    }

    /**
     * As {@link #open(Path, EngineOptions, MaintenancePool, KeyRange)}, sharing the in-memory columns of
     * {@code loaded}'s segments for the files that are links to them instead of reading those files
     * ({@link LoadedSegments}: the right half of a split this process made).
     */
    public static StorageEngine open(Path dir, EngineOptions options, MaintenancePool sharedPool, KeyRange rangeIfNew,
                                     LoadedSegments loaded) throws IOException {
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock = tryLockOrNull(lockChannel);
        if (lock == null) {
            lockChannel.close();
            throw new IOException("engine directory " + dir + " is already open by another engine");
        }
        try {
            Manifest manifest = EngineDirs.finishPending(dir, Manifest.readOrEmpty(dir, rangeIfNew),
                    options.fsyncEnabled());
            removeLeftovers(dir, manifest);
            List<Segment> segments = new ArrayList<>();
            try {
                for (Manifest.Entry e : manifest.segments()) {
                    KeyRange r = e.range().intersect(manifest.range());
                    if (r == null) {
                        continue; // shares no key with the engine: dropped from the manifest at its next write
                    }
                    Path file = dir.resolve(SegmentFile.fileName(e.id()));
                    Segment whole = loaded.reopen(e.id(), file);
                    if (whole == null) {
                        whole = SegmentFile.read(file, e.id(), options.valueBytesInlineMax());
                    }
                    Segment seg = whole.bounded(r);
                    if (seg == null) {
                        whole.close();
                    } else {
                        segments.add(seg);
                    }
                }
            } catch (IOException | RuntimeException e) {
                segments.forEach(Segment::close);
                throw e;
            }
            return new StorageEngine(dir, options, manifest, List.copyOf(segments), lockChannel, lock, sharedPool);
        } catch (IOException | RuntimeException e) {
            lock.release();
            lockChannel.close();
            throw e;
        }
    }

    /** Deletes segment files the manifest does not name: leftovers of an interrupted flush or compaction. */
    private static void removeLeftovers(Path dir, Manifest manifest) throws IOException {
        try (DirectoryStream<Path> files = Files.newDirectoryStream(dir)) {
            for (Path f : files) {
                String name = f.getFileName().toString();
                boolean orphanSegment = name.endsWith(".oseg")
                        && manifest.segmentIds().stream().noneMatch(id -> SegmentFile.fileName(id).equals(name));
                if (orphanSegment || Manifest.isTemporary(name)) {
                    Files.delete(f);
                }
            }
        }
    }

    // ------------------------------------------------------------------ reads

    /** The value of {@code key}, or {@code null} when absent or outside the engine's {@link #range()}. */
    public byte[] get(byte[] key) {
        View v = view.get();
        State s = v.state;
        if (!s.range.contains(key)) {
            return null;
        }
        byte[] r = s.active.get(key, v.seq);
        if (r == null) {
            for (Memtable m : s.immutables) {
                r = m.get(key, v.seq);
                if (r != null) {
                    break;
                }
            }
        }
        if (r != null) {
            return r == Memtable.TOMBSTONE ? null : r.clone();
        }
        for (Segment seg : s.segments) {
            if (seg.mayContain(key)) {
                int i = seg.find(key);
                if (i >= 0) {
                    return seg.isTombstone(i) ? null : seg.valueAt(i);
                }
            }
        }
        return null;
    }

    /**
     * Live entries with {@code start <= key < end} ({@code end == null}: unbounded), at most {@code limit}, and never
     * a key outside the engine's {@link #range()} (the request is clipped to it).
     */
    public List<KeyValue> scan(byte[] start, byte[] end, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        View v = view.get();
        List<KeyValue> out = new ArrayList<>(Math.min(limit, 1024));
        KeyRange clipped = clip(v.state.range, start, end);
        if (clipped == null) {
            return out;
        }
        start = clipped.start();
        end = clipped.end();
        Cursor c = cursor(v, start, end);
        for (; c.valid() && out.size() < limit; c.next()) {
            if (end != null && Bytes.compare(c.key(), end) >= 0) {
                break;
            }
            if (c.value() != null) {
                out.add(new KeyValue(c.key().clone(), c.value().clone()));
            }
        }
        return out;
    }

    /** {@code [start, end)} inside {@code range}, or {@code null} when they share no key. */
    private static KeyRange clip(KeyRange range, byte[] start, byte[] end) {
        if (end != null && Bytes.compare(start, end) >= 0) {
            return null;
        }
        return range.intersect(new KeyRange(start, end));
    }

    private static Cursor cursor(View v, byte[] start, byte[] end) {
        State s = v.state;
        List<Cursor> sources = new ArrayList<>();
        sources.add(s.active.cursor(start, v.seq));
        for (Memtable m : s.immutables) {
            sources.add(m.cursor(start, v.seq));
        }
        for (Segment seg : s.segments) {
            if (seg.overlaps(start, end)) {
                sources.add(seg.cursor(start));
            }
        }
        return new MergingCursor(sources);
    }

    /** SHA-256 over every live (key, value) in key order: equal digests mean equal contents. */
    public byte[] digest() {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        ByteBuffer len = ByteBuffer.allocate(8);
        for (Cursor c = cursor(view.get(), EMPTY, null); c.valid(); c.next()) {
            if (c.value() != null) {
                len.clear();
                len.putInt(c.key().length).putInt(c.value().length);
                sha.update(len.array());
                sha.update(c.key());
                sha.update(c.value());
            }
        }
        return sha.digest();
    }

    // ------------------------------------------------------------------ writes

    /**
     * Applies {@code batch} atomically as the effect of Raft entry {@code raftIndex}. Single writer. The engine
     * takes ownership of the arrays in the batch. An empty batch still records the index as applied.
     */
    public void apply(WriteBatch batch, long raftIndex) throws IOException {
        synchronized (writeLock) {
            checkWritable(raftIndex);
            KeyRange range = view.get().state.range;
            checkInRange(batch, range);
            awaitFlushCapacity();
            Memtable m = view.get().state.active;
            for (WriteBatch.Op op : batch.ops()) {
                if (op instanceof WriteBatch.Put p) {
                    m.put(p.key(), ++seq, p.value(), raftIndex);
                } else if (op instanceof WriteBatch.Delete d) {
                    m.put(d.key(), ++seq, Memtable.TOMBSTONE, raftIndex);
                } else if (op instanceof WriteBatch.DeleteRange r) {
                    KeyRange clipped = clip(range, r.start(), r.end());
                    if (clipped != null) {
                        deleteLiveKeys(m, clipped, raftIndex);
                    }
                }
            }
            finishWrite(m, raftIndex);
        }
    }

    /**
     * Refuses, before any op is applied, a batch that puts or deletes a key outside {@code range}: the caller routed
     * it by a stale range table. A delete-range is clipped to the range instead (its keys outside are not ours).
     */
    private void checkInRange(WriteBatch batch, KeyRange range) {
        for (WriteBatch.Op op : batch.ops()) {
            byte[] key = op instanceof WriteBatch.Put p ? p.key() : op instanceof WriteBatch.Delete d ? d.key() : null;
            if (key != null && !range.contains(key)) {
                throw new KeyOutOfRangeException(key, range);
            }
        }
    }

    /** Single put as the effect of the next index: for standalone use (tests, benchmarks). */
    public void put(byte[] key, byte[] value) throws IOException {
        synchronized (writeLock) {
            long index = appliedIndex + 1;
            checkWritable(index);
            if (!view.get().state.range.contains(key)) {
                throw new KeyOutOfRangeException(key, view.get().state.range);
            }
            awaitFlushCapacity();
            Memtable m = view.get().state.active;
            m.put(key, ++seq, value, index);
            finishWrite(m, index);
        }
    }

    /** Single delete as the effect of the next index: for standalone use (tests, benchmarks). */
    public void delete(byte[] key) throws IOException {
        apply(new WriteBatch().delete(key), appliedIndex + 1);
    }

    private void checkWritable(long raftIndex) throws IOException {
        if (closed) {
            throw new IllegalStateException("engine " + dir + " is closed");
        }
        Throwable failure = backgroundFailure;
        if (failure != null) {
            throw new IOException("engine " + dir + " stopped accepting writes after a background failure", failure);
        }
        if (raftIndex < appliedIndex) {
            throw new IllegalArgumentException("raft index " + raftIndex + " is below applied index " + appliedIndex);
        }
    }

    /**
     * Writes a tombstone for every key live in {@code r} as the writer sees it now (its own unpublished writes
     * included), {@link #DELETE_RANGE_CHUNK_KEYS_MAX} keys at a time: each chunk is found by a fresh cursor from just
     * after the previous chunk's last key, so the writer holds one chunk, never a list of the range. Why chunks and
     * not a range tombstone: a range tombstone must be honoured by every read path, flush, compaction and the segment
     * format; the tombstones written here still take memtable space per key (flushed like any write), which a range
     * tombstone would not; that is the remaining cost of a huge delete-range.
     */
    private void deleteLiveKeys(Memtable m, KeyRange r, long raftIndex) {
        byte[][] chunk = new byte[DELETE_RANGE_CHUNK_KEYS_MAX][];
        byte[] from = r.start();
        while (true) {
            int n = 0;
            for (Cursor c = cursor(new View(view.get().state, seq), from, r.end());
                 c.valid() && n < chunk.length && (r.end() == null || Bytes.compare(c.key(), r.end()) < 0); c.next()) {
                if (c.value() != null) {
                    chunk[n++] = c.key().clone();
                }
            }
            for (int i = 0; i < n; i++) {
                m.put(chunk[i], ++seq, Memtable.TOMBSTONE, raftIndex);
            }
            if (n < chunk.length) {
                return;
            }
            from = Bytes.concat(chunk[n - 1], new byte[]{0}); // the smallest key after the chunk's last
        }
    }

    private void finishWrite(Memtable m, long raftIndex) {
        m.noteRaftIndex(raftIndex);
        appliedIndex = raftIndex;
        long visible = seq;
        View v;
        do {
            v = view.get();
        } while (!view.compareAndSet(v, new View(v.state, visible)));
        reportActiveBytes(m);
        if (m.entries() >= options.retrainThreshold() || m.bytes() >= MEMTABLE_BYTES_MAX) {
            freeze();
        }
    }

    /** Tells the budget how much the active memtable {@code m} grew since the last report. Writer only. */
    private void reportActiveBytes(Memtable m) {
        long bytes = m.bytes();
        budgetShare.grew(bytes - activeBytesReported);
        activeBytesReported = bytes;
    }

    private void awaitFlushCapacity() throws IOException {
        while (view.get().state.immutables.size() >= options.immutableMemtablesMax()) {
            flushOldestHere();
        }
    }

    /** Makes the active memtable immutable, installs a fresh one and schedules its flush. Writer only. */
    private void freeze() {
        Memtable frozen = view.get().state.active;
        reportActiveBytes(frozen);
        View v;
        do {
            v = view.get();
        } while (!view.compareAndSet(v, new View(new State(v.state.range, new Memtable(),
                prepend(v.state.active, v.state.immutables), v.state.segments), v.seq)));
        budgetShare.froze(activeBytesReported);
        activeBytesReported = 0;
        flusher.execute(this::flushOldest);
    }

    /**
     * The {@link MemtableBudget}'s request, from its own thread: freezes the active memtable below its freeze point and
     * schedules its flush (the ordinary flush: a segment whose highest Raft index the manifest records as durable).
     * Does not wait for flush capacity: the writer does, at its next write. False when the engine is closed, failed or
     * has nothing buffered.
     */
    private boolean freezeForPressure() {
        synchronized (writeLock) {
            if (closed || backgroundFailure != null || view.get().state.active.isEmpty()) {
                return false;
            }
            freeze();
            return true;
        }
    }

    // ------------------------------------------------------------------ flush

    /**
     * Flushes the oldest frozen memtable on the calling thread instead of waiting for the engine's flush queue, which
     * on a shared {@link MaintenancePool} may sit behind other engines' compactions for seconds (a split waited up to
     * 9 s there). {@link #flushLock} keeps one flush at a time, oldest first, whichever thread runs it; the queued
     * task then finds that memtable gone.
     */
    private void flushOldestHere() throws IOException {
        flushOldest();
        if (backgroundFailure != null) {
            throw new IOException("background flush failed", backgroundFailure);
        }
    }

    private void flushOldest() {
        try {
            synchronized (flushLock) {
                flushOldestLocked();
            }
            if (policy.pick(view.get().state.segments) != null) {
                compactor.execute(this::compactTiers);
            }
        } catch (Throwable t) {
            failBackground(t);
        }
    }

    private void flushOldestLocked() throws IOException {
        List<Memtable> frozen = view.get().state.immutables;
        if (frozen.isEmpty()) {
            return;
        }
        Memtable m = frozen.get(frozen.size() - 1);
        List<Segment> written = m.isEmpty() ? List.of()
                : writeRun(m.cursor(EMPTY, Long.MAX_VALUE), sharedPrefix(m.firstKey(), m.lastKey()),
                m.maxRaftIndex(), false);
        synchronized (manifestLock) {
            List<Segment> next = new ArrayList<>(written);
            next.addAll(view.get().state.segments);
            commitManifest(Math.max(manifest.durableIndex(), m.maxRaftIndex()), next);
            View v;
            do {
                v = view.get();
            } while (!view.compareAndSet(v, new View(new State(v.state.range, v.state.active,
                    without(v.state.immutables, m), List.copyOf(next)), v.seq)));
        }
        budgetShare.flushed(m.bytes());
    }

    /**
     * Streams the records of {@code c} into new segment files (a new one whenever {@code segmentBytesMax} bytes
     * were written), skipping tombstones when asked. Every key starts with {@code prefix}. The files are not in the
     * manifest yet: a crash before the caller commits it leaves only orphans, deleted at the next open.
     */
    private List<Segment> writeRun(Cursor c, byte[] prefix, long maxRaftIndex, boolean dropTombstones)
            throws IOException {
        List<Segment> out = new ArrayList<>();
        SegmentFile.Writer w = null;
        try {
            for (; c.valid(); c.next()) {
                if (c.value() == null && dropTombstones) {
                    continue;
                }
                if (w == null) {
                    w = newWriter(prefix);
                }
                w.add(c.key(), c.value());
                if (w.dataBytes() >= options.segmentBytesMax()) {
                    out.add(finish(w, maxRaftIndex));
                    w = null;
                }
            }
            if (w != null) {
                out.add(finish(w, maxRaftIndex));
                w = null;
            }
            return out;
        } catch (IOException | RuntimeException e) {
            deleteUnpublished(out);
            throw e;
        } finally {
            if (w != null) {
                w.close(); // deletes the unfinished file
            }
        }
    }

    /** Closes and deletes segments no manifest names. */
    private static void deleteUnpublished(List<Segment> segments) throws IOException {
        for (Segment s : segments) {
            s.close();
            Files.deleteIfExists(s.file);
        }
    }

    /** The prefix of every key in {@code [lo, hi]}. */
    private static byte[] sharedPrefix(byte[] lo, byte[] hi) {
        return Arrays.copyOf(lo, Bytes.commonPrefix(lo, hi));
    }

    private SegmentFile.Writer newWriter(byte[] prefix) throws IOException {
        long id;
        synchronized (manifestLock) {
            id = manifest.nextSegmentId();
            manifest = manifest.withNextSegmentId(id + 1);
        }
        return new SegmentFile.Writer(dir.resolve(SegmentFile.fileName(id)), id, prefix, options.compressionEnabled(),
                options.blockBytesTarget(), options.valueBytesInlineMax());
    }

    private Segment finish(SegmentFile.Writer w, long maxRaftIndex) throws IOException {
        writerHeapBytesPeak.accumulateAndGet(w.retainedBytes(), Math::max);
        return w.finish(heads -> IndexCodec.build(options.modelType(), heads, options.maxError()), maxRaftIndex,
                options.fsyncEnabled());
    }

    /**
     * Writes the manifest naming {@code segments}, keeping the range and any pending split or merge (which only a
     * reopen may resolve). Caller holds manifestLock and publishes afterwards.
     */
    private void commitManifest(long durable, List<Segment> segments) throws IOException {
        commitManifest(durable, manifest.range(), segments, manifest.pending());
    }

    /** Writes the manifest of {@code range} and {@code segments}; the commit point of every change of shape. */
    private void commitManifest(long durable, KeyRange range, List<Segment> segments, Manifest.Pending pending)
            throws IOException {
        Manifest next = new Manifest(durable, manifest.nextSegmentId(), range, entries(segments), pending);
        next.writeAtomically(dir, options.fsyncEnabled());
        manifest = next;
        durableIndex = durable;
    }

    private static List<Manifest.Entry> entries(List<Segment> segments) {
        List<Manifest.Entry> out = new ArrayList<>(segments.size());
        for (Segment s : segments) {
            out.add(new Manifest.Entry(s.id, s.range));
        }
        return out;
    }

    private void failBackground(Throwable t) {
        if (backgroundFailure == null) {
            backgroundFailure = t;
        }
    }

    /**
     * Flushes every buffered write into segments; afterwards {@code durableIndex() == appliedIndex()}. The calling
     * thread does the flushing (see {@link #flushOldestHere}), so a split or checkpoint never queues behind other
     * engines' work on a shared pool.
     */
    public void flush() throws IOException {
        Memtable frozen = null;
        synchronized (writeLock) {
            long target = appliedIndex;
            State s = view.get().state;
            if (!s.active.isEmpty() || target > durableIndex) {
                s.active.noteRaftIndex(target); // an empty memtable still carries the index the manifest records
                frozen = s.active;
                freeze();
            }
        }
        while (frozen != null && indexOfIdentity(view.get().state.immutables, frozen) >= 0) {
            flushOldestHere();
        }
    }

    // ------------------------------------------------------------------ compaction

    private void compactTiers() {
        try {
            synchronized (compactionLock) {
                List<Segment> window;
                while (!closed && (window = policy.pick(view.get().state.segments)) != null) {
                    List<Segment> all = view.get().state.segments;
                    mergeAndSwap(List.copyOf(window), window.get(window.size() - 1) == all.get(all.size() - 1));
                }
            }
        } catch (Throwable t) {
            failBackground(t);
        }
    }

    /**
     * Full compaction: flushes, then merges every segment into one sorted run (split at segmentBytesMax) with
     * freshly trained models, dropping tombstones. This is also "rebuild the index".
     */
    public void compact() throws IOException {
        flush();
        synchronized (compactionLock) {
            List<Segment> all = view.get().state.segments;
            if (!all.isEmpty()) {
                mergeAndSwap(all, true);
            }
        }
    }

    private void mergeAndSwap(List<Segment> window, boolean dropTombstones) throws IOException {
        List<Cursor> sources = new ArrayList<>(window.size());
        long maxIndex = 0;
        byte[] min = window.get(0).minKey();
        byte[] max = window.get(0).maxKey();
        for (Segment s : window) {
            sources.add(s.cursor(EMPTY));
            maxIndex = Math.max(maxIndex, s.maxRaftIndex);
            min = Bytes.compare(s.minKey(), min) < 0 ? s.minKey() : min;
            max = Bytes.compare(s.maxKey(), max) > 0 ? s.maxKey() : max;
        }
        List<Segment> outputs = writeRun(new MergingCursor(sources), sharedPrefix(min, max), maxIndex,
                dropTombstones);
        for (Segment s : outputs) {
            compactionBytesWritten.addAndGet(s.fileBytes);
        }
        synchronized (manifestLock) {
            List<Segment> current = view.get().state.segments;
            int at = indexOfIdentity(current, window.get(0));
            if (!holdsRunAt(current, window, at)) {
                // a split re-bounded (or dropped) the window's segments while it merged: its output may hold keys
                // the engine no longer owns, so it is thrown away and the policy picks again from the new list
                deleteUnpublished(outputs);
                return;
            }
            List<Segment> next = new ArrayList<>(current.subList(0, at));
            for (Segment out : outputs) {
                next.add(out.bounded(view.get().state.range)); // every output record came from inside the range
            }
            next.addAll(current.subList(at + window.size(), current.size()));
            List<Segment> published = List.copyOf(next);
            commitManifest(manifest.durableIndex(), published);
            View v;
            do {
                v = view.get();
            } while (!view.compareAndSet(v, new View(v.state.withSegments(published), v.seq)));
        }
        for (Segment s : window) {
            Files.deleteIfExists(s.file); // readers holding s keep its columns and open file (see Segment)
        }
    }

    // ------------------------------------------------------------------ split and merge

    /**
     * What {@link #splitOff} did: the two halves, the segment files the right one shares with the left, and those
     * segments as loaded here, for opening the right engine without reading its files again.
     */
    public record SplitResult(KeyRange left, KeyRange right, Path rightDir, int segmentsLinked,
                              LoadedSegments rightSegments) {
    }

    /**
     * Splits this engine at {@code splitKey} as the effect of Raft entry {@code index}: afterwards this engine owns
     * {@code [start, splitKey)} with {@code durableIndex() == index}, and {@code rightDir} (which must not exist)
     * holds an engine owning {@code [splitKey, end)} at durable index {@code rightIndex} (the index its own log
     * starts from), to be opened with {@link #open}. Writer only (the apply thread), like {@link #apply}.
     *
     * <p>Zero copy: buffered writes are flushed (at most one memtable, so the time does not grow with the range),
     * then every segment holding keys of the right half is hard-linked into {@code rightDir} and both manifests
     * record the key range each segment answers for; no record is read or written. A shared file is trimmed lazily:
     * a compaction on either side writes only the records inside that side's range, and the file's last link goes
     * when neither side names it any more.
     *
     * <p>Crash safety, with one commit point: the right directory's manifest. Steps: (1) this engine's manifest
     * records the intent (split key, right directory, index); (2) segments are linked into {@code rightDir};
     * (3) {@code rightDir}'s manifest is written (temp, fsync, rename, fsync directory; then its parent directory
     * is fsynced) — the commit; (4) this engine's manifest becomes the left half. A crash before (3) leaves the old
     * state: reopening this engine removes {@code rightDir} and the Raft layer re-applies the split; a crash after
     * (3) leaves the new state: reopening this engine finishes (4). At no point do two engines own a key once this
     * engine is reopened, and no key is owned by none.
     *
     * <p>Deterministic: what is written depends on this replica's segments, the split key and the indexes only (no
     * clock, no randomness), so every replica applying the split at the same index gets a right engine with the
     * same range, durable index and contents ({@link #digest()}); the file layout mirrors each replica's own.
     *
     * @throws IllegalArgumentException when {@code splitKey} does not cut {@link #range()} into two non-empty halves
     * @throws IOException when {@code rightDir} exists (nothing changed), or on I/O failure during the split: the
     *                     engine then refuses writes until it is reopened, which finishes or undoes the split
     */
    public SplitResult splitOff(byte[] splitKey, long index, Path rightDir, long rightIndex) throws IOException {
        synchronized (writeLock) {
            checkWritable(index);
            KeyRange range = view.get().state.range;
            if (!range.canSplitAt(splitKey)) {
                throw new IllegalArgumentException("split key " + Bytes.hex(splitKey)
                        + " does not cut the engine's range " + range + " into two non-empty halves");
            }
            Path right = rightDir.toAbsolutePath().normalize();
            if (Files.exists(right)) {
                throw new IOException("split target " + right + " already exists");
            }
            flush();
            KeyRange left = range.leftOf(splitKey);
            KeyRange rightRange = range.rightOf(splitKey);
            List<Segment> dropped = new ArrayList<>();
            LoadedSegments linked;
            synchronized (manifestLock) {
                List<Segment> segments = view.get().state.segments;
                manifest = manifest.withPending(new Manifest.SplitIntent(right.toString(), splitKey, index));
                try {
                    manifest.writeAtomically(dir, options.fsyncEnabled());
                    stepHook.reached("split:intent-written");
                    linked = writeRightHalf(segments, rightRange, right, rightIndex);
                    stepHook.reached("split:right-committed");
                    List<Segment> kept = new ArrayList<>();
                    for (Segment seg : segments) {
                        Segment b = seg.bounded(left);
                        if (b == null) {
                            dropped.add(seg);
                        } else {
                            kept.add(b);
                        }
                    }
                    commitManifest(index, left, kept, null);
                    appliedIndex = index;
                    publish(left, List.copyOf(kept));
                } catch (IOException | RuntimeException e) {
                    failBackground(e); // only a reopen may finish or undo the split: no more writes until then
                    throw e;
                }
            }
            for (Segment seg : dropped) {
                Files.deleteIfExists(seg.file); // the right engine has its own link
            }
            return new SplitResult(left, rightRange, right, linked.size(), linked);
        }
    }

    /**
     * Links into {@code right} every segment with keys in {@code rightRange} and commits its manifest; returns the
     * linked segments as loaded here.
     */
    private LoadedSegments writeRightHalf(List<Segment> segments, KeyRange rightRange, Path right, long rightIndex)
            throws IOException {
        Files.createDirectories(right);
        List<Manifest.Entry> entries = new ArrayList<>();
        Map<Segment, Path> links = new IdentityHashMap<>();
        for (Segment seg : segments) {
            Segment b = seg.bounded(rightRange);
            if (b != null) {
                Path link = right.resolve(seg.file.getFileName());
                FileOps.linkOrCopy(seg.file, link);
                entries.add(new Manifest.Entry(seg.id, b.range));
                links.put(seg.whole(), link);
            }
        }
        stepHook.reached("split:right-linked");
        new Manifest(rightIndex, manifest.nextSegmentId(), rightRange, entries, null)
                .writeAtomically(right, options.fsyncEnabled());
        if (options.fsyncEnabled() && right.getParent() != null) {
            FileOps.fsync(right.getParent());
        }
        return LoadedSegments.of(links);
    }

    /**
     * Merges the engine in {@code rightDir} (closed; owning the range that starts where this one ends) into this one
     * as the effect of Raft entry {@code index}: afterwards this engine owns the union, with
     * {@code durableIndex() == index}, and {@code rightDir} is gone. The right engine's segment files are
     * hard-linked into this directory under new names and opened (checksums verified: this reads the right
     * engine's files once, which is why merges are for small ranges); no record is rewritten. Writer only.
     *
     * <p>Crash safety, with one commit point: this engine's manifest naming the linked segments, the union range and
     * the right directory as to be removed. A crash before it leaves the old state (the links are orphans, deleted
     * at the next open; the right engine is untouched); a crash after it leaves the new state (the next open of this
     * engine removes the right directory, manifest first).
     *
     * @return the union range
     * @throws IllegalArgumentException when the right engine's range does not start where this one ends
     * @throws IOException when {@code rightDir} holds no engine, is open, or has an unfinished split or merge
     */
    public KeyRange absorb(Path rightDir, long index) throws IOException {
        synchronized (writeLock) {
            checkWritable(index);
            Path right = rightDir.toAbsolutePath().normalize();
            if (!Manifest.exists(right)) {
                throw new IOException("no engine to merge in " + right);
            }
            KeyRange union;
            List<Segment> linked = new ArrayList<>();
            try (FileChannel lockCh = FileChannel.open(right.resolve("LOCK"), StandardOpenOption.CREATE,
                    StandardOpenOption.WRITE); FileLock lock = tryLock(lockCh, right)) {
                Manifest rm = Manifest.readOrEmpty(right, KeyRange.ALL);
                if (rm.pending() != null) {
                    throw new IOException("engine " + right + " has an unfinished split or merge: open it once first");
                }
                KeyRange range = view.get().state.range;
                union = range.unionWithRightNeighbour(rm.range());
                flush();
                try {
                    linkSegmentsOf(right, rm, linked);
                    stepHook.reached("absorb:linked");
                } catch (IOException | RuntimeException e) {
                    deleteUnpublished(linked);
                    throw e;
                }
            }
            synchronized (manifestLock) {
                List<Segment> next = new ArrayList<>(view.get().state.segments);
                next.addAll(linked); // disjoint ranges: the order between the two engines' segments does not matter
                List<Segment> published = List.copyOf(next);
                try {
                    commitManifest(index, union, published, new Manifest.AbsorbedDir(right.toString()));
                    appliedIndex = index;
                    publish(union, published);
                    stepHook.reached("absorb:committed");
                    EngineDirs.deleteEngineDir(right, options.fsyncEnabled());
                    commitManifest(index, union, published, null);
                } catch (IOException | RuntimeException e) {
                    failBackground(e); // the merge is committed or not; a reopen finishes it
                    throw e;
                }
            }
            return union;
        }
    }

    /**
     * Moves the end of this engine's {@link #range()} right to {@code newEnd} ({@code null}: unbounded), so that writes
     * of the keys up to it are accepted; a no-op when the range reaches that far already (never shrinks it). The
     * records in the added keys are whatever the caller writes next: a range that absorbs its right neighbour by
     * copying records (the Raft layer's copy-based merge) widens, then writes them. The segments keep the ranges they
     * answer for, so a segment shared with another engine since a split never shows its keys here. Writer only.
     *
     * <p>Crash safety: the manifest is written with the wider range and the unchanged durable index before the new
     * range is published, so after a crash the engine reopens either narrow or wide, and the Raft layer replays the
     * entries after its durable index, which widen again (idempotent) and re-write.
     *
     * @return the range afterwards
     */
    public KeyRange widenTo(byte[] newEnd) throws IOException {
        synchronized (writeLock) {
            checkWritable(appliedIndex);
            KeyRange range = view.get().state.range;
            if (range.end() == null || (newEnd != null && Bytes.compare(newEnd, range.end()) <= 0)) {
                return range;
            }
            KeyRange wider = new KeyRange(range.start(), newEnd);
            synchronized (manifestLock) {
                List<Segment> segments = view.get().state.segments;
                commitManifest(durableIndex, wider, segments, manifest.pending());
                publish(wider, segments);
            }
            return wider;
        }
    }

    private static FileLock tryLock(FileChannel ch, Path engineDir) throws IOException {
        FileLock lock = tryLockOrNull(ch);
        if (lock == null) {
            throw new IOException("engine directory " + engineDir + " is open: close it before merging it");
        }
        return lock;
    }

    /** The directory lock, or {@code null} when another engine (in this process or another) holds it. */
    private static FileLock tryLockOrNull(FileChannel ch) throws IOException {
        try {
            return ch.tryLock();
        } catch (OverlappingFileLockException e) {
            return null;
        }
    }

    /** Links the segments {@code rm} names into this directory under new ids and opens them, bounded. */
    private void linkSegmentsOf(Path right, Manifest rm, List<Segment> out) throws IOException {
        for (Manifest.Entry e : rm.segments()) {
            KeyRange r = e.range().intersect(rm.range());
            if (r == null) {
                continue;
            }
            long id;
            synchronized (manifestLock) {
                id = manifest.nextSegmentId();
                manifest = manifest.withNextSegmentId(id + 1);
            }
            Path link = dir.resolve(SegmentFile.fileName(id));
            FileOps.linkOrCopy(right.resolve(SegmentFile.fileName(e.id())), link);
            Segment whole = SegmentFile.read(link, id, options.valueBytesInlineMax());
            Segment b = whole.bounded(r);
            if (b == null) {
                deleteUnpublished(List.of(whole));
            } else {
                out.add(b);
            }
        }
    }

    /** Installs {@code range} and {@code segments} in the read view. Caller holds writeLock and manifestLock. */
    private void publish(KeyRange range, List<Segment> segments) {
        View v;
        do {
            v = view.get();
        } while (!view.compareAndSet(v, new View(new State(range, v.state.active, v.state.immutables, segments),
                v.seq)));
    }

    /**
     * The key that splits this engine's stored bytes (keys + values) in two equal halves, estimated from the
     * segments' learned indexes and offset columns without reading a record ({@link MedianEstimator}: exact to one
     * record when no key is in two segments; buffered writes not counted), or {@code null} when no key can split
     * {@link #range()} (fewer than two keys stored).
     */
    public byte[] estimateMedianKey() {
        State s = view.get().state;
        byte[] key = MedianEstimator.estimate(s.segments, s.range);
        return key == null ? null : key.clone();
    }

    /**
     * Bytes (keys + values, tombstones' keys) of the records this engine's segments hold inside their ranges, plus
     * the memtables' bytes: the range's size for a size-based split trigger. Exact per segment from its offset
     * columns (no I/O); a key in several segments counts once per segment. Use this, not
     * {@link EngineStats#diskBytes()}, which counts a file shared after a split whole on both sides until a
     * compaction trims it.
     */
    public long dataBytes() {
        State s = view.get().state;
        long sum = s.active.bytes();
        for (Memtable m : s.immutables) {
            sum += m.bytes();
        }
        for (Segment seg : s.segments) {
            sum += seg.dataBytes();
        }
        return sum;
    }

    /** The keys this engine owns: reads return nothing outside, writes outside are refused. */
    public KeyRange range() {
        return view.get().state.range;
    }

    // ------------------------------------------------------------------ checkpoint, stats, lifecycle

    /**
     * A consistent copy of this engine in {@code target} (which must not exist): every buffered write is flushed,
     * then the live segments are hard-linked (copied where links are impossible) and a manifest is written.
     * The copy opens with {@link #open} and holds exactly the effects of entries up to the returned index.
     */
    public CheckpointInfo checkpoint(Path target) throws IOException {
        synchronized (writeLock) {
            flush();
            synchronized (manifestLock) {
                Files.createDirectories(target.toAbsolutePath().getParent());
                Files.createDirectory(target);
                List<String> files = new ArrayList<>();
                State s = view.get().state;
                for (Segment seg : s.segments) {
                    Path link = target.resolve(seg.file.getFileName());
                    FileOps.linkOrCopy(seg.file, link);
                    files.add(link.getFileName().toString());
                }
                new Manifest(manifest.durableIndex(), manifest.nextSegmentId(), s.range, entries(s.segments), null)
                        .writeAtomically(target, options.fsyncEnabled());
                files.add(Manifest.FILE);
                return new CheckpointInfo(target, manifest.durableIndex(), Collections.unmodifiableList(files));
            }
        }
    }

    public long appliedIndex() {
        return appliedIndex;
    }

    public long durableIndex() {
        return durableIndex;
    }

    public Path directory() {
        return dir;
    }

    public EngineOptions options() {
        return options;
    }

    public EngineStats stats() {
        State s = view.get().state;
        long records = 0;
        long leaves = 0;
        double errSum = 0;
        long errMax = 0;
        long modelBytes = 0;
        long diskBytes = 0;
        for (Segment seg : s.segments) {
            IndexStats is = seg.indexStats();
            records += seg.records();
            leaves += is.leaves();
            errSum += is.meanError() * is.leaves();
            errMax = Math.max(errMax, is.maxError());
            modelBytes += is.modelBytes();
            diskBytes += seg.fileBytes;
        }
        long buffered = s.active.entries();
        for (Memtable m : s.immutables) {
            buffered += m.entries();
        }
        return new EngineStats(s.segments.size(), records, buffered, leaves, leaves == 0 ? 0 : errSum / leaves,
                errMax, modelBytes, diskBytes, records == 0 ? 0 : (double) diskBytes / records, appliedIndex,
                durableIndex);
    }

    /** Heap held by the live segments' keys, small values and value refs (large values stay on disk). */
    public long segmentHeapBytes() {
        long sum = 0;
        for (Segment seg : view.get().state.segments) {
            sum += seg.residentBytes();
        }
        return sum;
    }

    /** Bytes of the memtables (active and frozen, not yet flushed), as reported to the node's memtable budget. */
    public long memtableBytes() {
        return budgetShare.bytes();
    }

    /** Memtables the node's {@link MemtableBudget} froze and flushed below their freeze point, since the engine opened. */
    public long memoryPressureFlushes() {
        return budgetShare.pressureFlushes();
    }

    /** Most heap one segment writer (flush or compaction output) held, since the engine opened. */
    public long writerHeapBytesPeak() {
        return writerHeapBytesPeak.get();
    }

    /** Segment file bytes written by compactions since the engine opened (write amplification). */
    public long compactionBytesWritten() {
        return compactionBytesWritten.get();
    }

    /** Per-segment index statistics, newest segment first (for tests and {@code /admin/index-stats}). */
    public List<IndexStats> segmentIndexStats() {
        List<IndexStats> out = new ArrayList<>();
        for (Segment seg : view.get().state.segments) {
            out.add(seg.indexStats());
        }
        return out;
    }

    /**
     * Stops the engine as a crash would for what is on disk: no flush and no manifest write; the background threads
     * are stopped and the directory released, so a test can reopen it.
     */
    void crashForTest() throws IOException {
        backgroundFailure = new IOException("crashed by a test");
        close();
    }

    /** Flushes buffered writes (unless a background failure makes that impossible) and releases the directory. */
    @Override
    public void close() throws IOException {
        if (closed) {
            return;
        }
        IOException flushFailure = null;
        try {
            if (backgroundFailure == null) {
                flush();
            }
        } catch (IOException e) {
            flushFailure = e;
        }
        closed = true;
        try {
            flusher.closeAndAwait(TimeUnit.MINUTES.toMillis(1));
            compactor.closeAndAwait(TimeUnit.MINUTES.toMillis(10));
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        budgetShare.leave();
        if (ownedPool != null) {
            ownedPool.close();
        }
        view.get().state.segments.forEach(Segment::close);
        dirLock.release();
        lockChannel.close();
        if (flushFailure != null) {
            throw flushFailure;
        }
    }

    // ------------------------------------------------------------------ helpers

    private static <T> List<T> prepend(T head, List<T> tail) {
        List<T> out = new ArrayList<>(tail.size() + 1);
        out.add(head);
        out.addAll(tail);
        return List.copyOf(out);
    }

    private static <T> List<T> without(List<T> list, T item) {
        List<T> out = new ArrayList<>(list.size());
        for (T t : list) {
            if (t != item) {
                out.add(t);
            }
        }
        return List.copyOf(out);
    }

    /** True when {@code list} holds exactly {@code run}'s objects, in order, from position {@code at}. */
    private static <T> boolean holdsRunAt(List<T> list, List<T> run, int at) {
        if (at < 0 || at + run.size() > list.size()) {
            return false;
        }
        for (int i = 0; i < run.size(); i++) {
            if (list.get(at + i) != run.get(i)) {
                return false;
            }
        }
        return true;
    }

    private static <T> int indexOfIdentity(List<T> list, T item) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == item) {
                return i;
            }
        }
        return -1;
    }
}
