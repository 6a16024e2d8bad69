package io.omendb.storage;

import io.omendb.storage.index.IndexCodec;
import io.omendb.storage.index.IndexStats;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.Collections;
import java.util.List;
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
 * </ul>
 *
 * <p><b>Threading.</b> {@code writeLock} serialises writers (and flush/checkpoint against them);
 * {@code manifestLock} serialises changes to the segment list (flush, compaction, checkpoint), each of which
 * writes the manifest before publishing the new view; flushes run one at a time and compactions one at a time,
 * on the engine's own two threads or on a {@link MaintenancePool} shared by many engines.
 * Publishing a view is a compare-and-set, so the writer never waits for a manifest fsync.
 *
 * <p><b>Write stalls.</b> When {@code immutableMemtablesMax} frozen memtables are waiting for flush, the writer
 * waits (bounded memory); readers are unaffected. A memtable is frozen at {@code retrainThreshold} entries or
 * {@link #MEMTABLE_BYTES_MAX} bytes, whichever comes first, so the memtables of one engine hold at most about
 * {@code (immutableMemtablesMax + 1) * MEMTABLE_BYTES_MAX} plus one batch, whatever the value sizes.
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
    private static final long STALL_POLL_MS = 50;
    /**
     * Bytes (keys, values, bookkeeping) at which the active memtable is frozen even below {@code retrainThreshold}
     * entries: 200 000 entries of 1 MiB values would be 200 GiB of heap, and a node hosts many engines.
     */
    static final long MEMTABLE_BYTES_MAX = 16L << 20;

    /** Memtables newest first, segments newest first. Immutable. */
    private record State(Memtable active, List<Memtable> immutables, List<Segment> segments) {
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
    private final Object flushSignal = new Object();
    private final MaintenancePool ownedPool; // null when the caller shares a pool across engines
    private final MaintenancePool.Queue flusher;
    private final MaintenancePool.Queue compactor;
    private final FileChannel lockChannel;
    private final FileLock dirLock;
    private final CompactionPolicy policy;
    private final AtomicLong compactionBytesWritten = new AtomicLong();
    private final AtomicLong writerHeapBytesPeak = new AtomicLong();
    private Manifest manifest; // guarded by manifestLock
    private volatile long durableIndex;
    private volatile long appliedIndex;
    private long seq; // writer only
    private volatile Throwable backgroundFailure;
    private volatile boolean closed;

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
        this.view = new AtomicReference<>(new View(new State(new Memtable(), List.of(), segments), 0));
        String name = dir.getFileName() == null ? "engine" : dir.getFileName().toString();
        this.ownedPool = sharedPool == null ? MaintenancePool.create(2, "omendb-maintenance-" + name) : null;
        MaintenancePool pool = sharedPool == null ? ownedPool : sharedPool;
        this.flusher = pool.newQueue();
        this.compactor = pool.newQueue();
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
        Files.createDirectories(dir);
        FileChannel lockChannel = FileChannel.open(dir.resolve("LOCK"), StandardOpenOption.CREATE, StandardOpenOption.WRITE);
        FileLock lock;
        try {
            lock = lockChannel.tryLock();
        } catch (OverlappingFileLockException e) {
            lock = null;
        }
        if (lock == null) {
            lockChannel.close();
            throw new IOException("engine directory " + dir + " is already open by another engine");
        }
        try {
            Manifest manifest = Manifest.readOrEmpty(dir);
            removeLeftovers(dir, manifest);
            List<Segment> segments = new ArrayList<>();
            try {
                for (long id : manifest.segmentIds()) {
                    segments.add(SegmentFile.read(dir.resolve(SegmentFile.fileName(id)), id, options.valueBytesInlineMax()));
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

    /** The value of {@code key}, or {@code null} when absent. */
    public byte[] get(byte[] key) {
        View v = view.get();
        State s = v.state;
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

    /** Live entries with {@code start <= key < end} ({@code end == null}: unbounded), at most {@code limit}. */
    public List<KeyValue> scan(byte[] start, byte[] end, int limit) {
        if (limit < 0) {
            throw new IllegalArgumentException("limit must be >= 0, got " + limit);
        }
        List<KeyValue> out = new ArrayList<>(Math.min(limit, 1024));
        Cursor c = cursor(view.get(), start, end);
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
            awaitFlushCapacity();
            Memtable m = view.get().state.active;
            for (WriteBatch.Op op : batch.ops()) {
                if (op instanceof WriteBatch.Put p) {
                    m.put(p.key(), ++seq, p.value(), raftIndex);
                } else if (op instanceof WriteBatch.Delete d) {
                    m.put(d.key(), ++seq, Memtable.TOMBSTONE, raftIndex);
                } else if (op instanceof WriteBatch.DeleteRange r) {
                    for (byte[] k : liveKeysForWriter(r.start(), r.end())) {
                        m.put(k, ++seq, Memtable.TOMBSTONE, raftIndex);
                    }
                }
            }
            finishWrite(m, raftIndex);
        }
    }

    /** Single put as the effect of the next index: for standalone use (tests, benchmarks). */
    public void put(byte[] key, byte[] value) throws IOException {
        synchronized (writeLock) {
            long index = appliedIndex + 1;
            checkWritable(index);
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

    /** Keys live in {@code [start, end)} as the writer sees them now, including its own unpublished writes. */
    private List<byte[]> liveKeysForWriter(byte[] start, byte[] end) {
        List<byte[]> keys = new ArrayList<>();
        for (Cursor c = cursor(new View(view.get().state, seq), start, end); c.valid(); c.next()) {
            if (Bytes.compare(c.key(), end) >= 0) {
                break;
            }
            if (c.value() != null) {
                keys.add(c.key().clone());
            }
        }
        return keys;
    }

    private void finishWrite(Memtable m, long raftIndex) {
        m.noteRaftIndex(raftIndex);
        appliedIndex = raftIndex;
        long visible = seq;
        View v;
        do {
            v = view.get();
        } while (!view.compareAndSet(v, new View(v.state, visible)));
        if (m.entries() >= options.retrainThreshold() || m.bytes() >= MEMTABLE_BYTES_MAX) {
            freeze();
        }
    }

    private void awaitFlushCapacity() throws IOException {
        synchronized (flushSignal) {
            while (view.get().state.immutables.size() >= options.immutableMemtablesMax()) {
                if (backgroundFailure != null) {
                    throw new IOException("background flush failed", backgroundFailure);
                }
                waitOn(flushSignal);
            }
        }
    }

    /** Makes the active memtable immutable, installs a fresh one and schedules its flush. Writer only. */
    private void freeze() {
        View v;
        do {
            v = view.get();
        } while (!view.compareAndSet(v, new View(new State(new Memtable(), prepend(v.state.active, v.state.immutables),
                v.state.segments), v.seq)));
        flusher.execute(this::flushOldest);
    }

    // ------------------------------------------------------------------ flush

    private void flushOldest() {
        try {
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
                } while (!view.compareAndSet(v, new View(new State(v.state.active, without(v.state.immutables, m),
                        List.copyOf(next)), v.seq)));
            }
            synchronized (flushSignal) {
                flushSignal.notifyAll();
            }
            if (policy.pick(view.get().state.segments) != null) {
                compactor.execute(this::compactTiers);
            }
        } catch (Throwable t) {
            failBackground(t);
        }
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
            for (Segment s : out) {
                s.close();
                Files.deleteIfExists(s.file);
            }
            throw e;
        } finally {
            if (w != null) {
                w.close(); // deletes the unfinished file
            }
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
            manifest = new Manifest(manifest.durableIndex(), id + 1, manifest.segmentIds());
        }
        return new SegmentFile.Writer(dir.resolve(SegmentFile.fileName(id)), id, prefix, options.compressionEnabled(),
                options.blockBytesTarget(), options.valueBytesInlineMax());
    }

    private Segment finish(SegmentFile.Writer w, long maxRaftIndex) throws IOException {
        writerHeapBytesPeak.accumulateAndGet(w.retainedBytes(), Math::max);
        return w.finish(heads -> IndexCodec.build(options.modelType(), heads, options.maxError()), maxRaftIndex,
                options.fsyncEnabled());
    }

    /** Writes the manifest naming {@code segments}. Caller holds manifestLock and publishes afterwards. */
    private void commitManifest(long durable, List<Segment> segments) throws IOException {
        List<Long> ids = new ArrayList<>(segments.size());
        for (Segment s : segments) {
            ids.add(s.id);
        }
        Manifest next = new Manifest(durable, manifest.nextSegmentId(), ids);
        next.writeAtomically(dir, options.fsyncEnabled());
        manifest = next;
        durableIndex = durable;
    }

    private void failBackground(Throwable t) {
        if (backgroundFailure == null) {
            backgroundFailure = t;
        }
        synchronized (flushSignal) {
            flushSignal.notifyAll();
        }
    }

    /** Flushes every buffered write into segments; afterwards {@code durableIndex() == appliedIndex()}. */
    public void flush() throws IOException {
        long target;
        Memtable frozen = null;
        synchronized (writeLock) {
            target = appliedIndex;
            State s = view.get().state;
            if (!s.active.isEmpty() || target > durableIndex) {
                s.active.noteRaftIndex(target);
                frozen = s.active;
                freeze();
            }
        }
        synchronized (flushSignal) {
            while (durableIndex < target || (frozen != null && indexOfIdentity(view.get().state.immutables, frozen) >= 0)) {
                if (backgroundFailure != null) {
                    throw new IOException("background flush failed", backgroundFailure);
                }
                waitOn(flushSignal);
            }
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
            if (at < 0 || at + window.size() > current.size() || current.get(at + window.size() - 1) != window.get(window.size() - 1)) {
                throw new IllegalStateException("compaction window is no longer contiguous in the segment list");
            }
            List<Segment> next = new ArrayList<>(current.subList(0, at));
            next.addAll(outputs);
            next.addAll(current.subList(at + window.size(), current.size()));
            List<Segment> published = List.copyOf(next);
            commitManifest(manifest.durableIndex(), published);
            View v;
            do {
                v = view.get();
            } while (!view.compareAndSet(v, new View(new State(v.state.active, v.state.immutables, published), v.seq)));
        }
        for (Segment s : window) {
            Files.deleteIfExists(s.file); // readers holding s keep its columns and open file (see Segment)
        }
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
                for (Segment s : view.get().state.segments) {
                    Path link = target.resolve(s.file.getFileName());
                    try {
                        Files.createLink(link, s.file);
                    } catch (UnsupportedOperationException | FileSystemException e) {
                        Files.copy(s.file, link);
                    }
                    files.add(link.getFileName().toString());
                }
                manifest.writeAtomically(target, options.fsyncEnabled());
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
            records += seg.count;
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

    private static void waitOn(Object monitor) throws IOException {
        try {
            monitor.wait(STALL_POLL_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while waiting for flush", e);
        }
    }

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

    private static <T> int indexOfIdentity(List<T> list, T item) {
        for (int i = 0; i < list.size(); i++) {
            if (list.get(i) == item) {
                return i;
            }
        }
        return -1;
    }
}
