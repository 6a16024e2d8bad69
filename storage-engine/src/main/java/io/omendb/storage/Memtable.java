package io.omendb.storage;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The sorted in-memory delta buffer: recent writes and tombstones, multi-versioned by sequence number.
 *
 * <p>Every write gets a sequence number; a reader holding sequence {@code s} sees, for each key, the newest
 * version with {@code seq <= s}. That is what lets the single writer keep inserting while a scan walks one
 * consistent state, and what makes a batch atomic: its versions become visible only when the engine publishes
 * a read view whose sequence covers the batch's last op.
 *
 * <p><b>Order: a sorted run and a small skip list.</b> Scans and flush need the versions in order (key ascending,
 * newest version first). They live in two levels, published together through one volatile reference: an immutable
 * sorted <em>run</em> (three parallel arrays) holding older versions, and a <em>recent</em> skip list taking new
 * ones. When the skip list reaches an eighth of the run (at least {@link #RECENT_VERSIONS_MIN}), the writer folds
 * it into a new run: for each recent version, in order, a galloping search of the old run from the previous
 * insertion point (a few key comparisons), and bulk array copies of the run between them. Why: an insert into one
 * skip list of the whole buffer (up to 200,000 versions at the default {@code retrain_threshold}, about 56,000 of
 * 100-byte values before the 16-MiB freeze) descends 16-18 levels, each a pointer chase to a node and its key that
 * misses the cache on a busy node; that descent was 7.5-10.7 % of node CPU under the cluster write benchmark
 * (docs/BENCHMARKS.md). The recent skip list stays small enough to stay cached, and a fold copies at most nine
 * slots of each array per version folded (the run grows by at least an eighth per fold), so a write's cost no
 * longer grows with the buffer.
 *
 * <p>Recent versions are always newer than the run's: sequence numbers only grow ({@link #put} refuses one that
 * does not), so a fold places a recent version before every run version of its key by comparing keys alone.
 *
 * <p><b>Point reads.</b> A hash index maps each key to its version chain (newest first), so a point read costs one
 * hash lookup instead of a search of the ordered levels; most point reads of a large key space miss the memtable
 * altogether, and a search costs the same for a miss. Measured before the hash index: skip-list searches were
 * 93 % of the engine's point-read CPU in the cluster benchmark's mixed workload (docs/BENCHMARKS.md). The price is
 * one hash insert per write and the heap of the second index, charged in {@link #ENTRY_OVERHEAD_BYTES}.
 *
 * <p><b>Threading.</b> One writer ({@link #put}, and the folds it runs); any number of concurrent readers. A
 * reader takes the two levels once, as one published pair: a fold publishes the new run with a new, empty skip
 * list, and never changes the old run or (the writer having moved on) the old skip list, so a reader holding the
 * old pair still sees every version it covered. A version is immutable, and a version older than a reader's
 * sequence is linked before any newer one is published, so a reader walking a chain finds every version its
 * sequence covers. The counters are written by the writer only and read by background flush after the memtable
 * was frozen (published through a volatile view).
 */
final class Memtable {
    /** Marks a deletion. Compared by identity: an empty value is a different array. */
    static final byte[] TOMBSTONE = new byte[0];

    /** Fewest versions the recent skip list holds before a fold (it also waits for an eighth of the run). */
    static final int RECENT_VERSIONS_MIN = 4096;
    /** A fold happens once the recent skip list holds {@code 1 / RUN_TO_RECENT_RATIO} of the run's versions. */
    private static final int RUN_TO_RECENT_RATIO = 8;

    private record InternalKey(byte[] key, long seq) implements Comparable<InternalKey> {
        @Override
        public int compareTo(InternalKey o) {
            int c = Arrays.compareUnsigned(key, o.key);
            return c != 0 ? c : Long.compare(o.seq, seq); // newest version first
        }
    }

    /** A key as a hash-map key: content equality, hash computed once. */
    private record HashKey(byte[] bytes, int hash) {
        HashKey(byte[] bytes) {
            this(bytes, Arrays.hashCode(bytes));
        }

        @Override
        public boolean equals(Object o) {
            return o instanceof HashKey k && k.hash == hash && Arrays.equals(k.bytes, bytes);
        }

        @Override
        public int hashCode() {
            return hash;
        }
    }

    /** One version of a key and the key's next older version in this buffer. */
    private record Version(long seq, byte[] value, Version older) {
    }

    /** Immutable versions in order (key ascending, newest first): slot i is (keys[i], seqs[i], values[i]). */
    private record Run(byte[][] keys, long[] seqs, byte[][] values) {
        static final Run EMPTY = new Run(new byte[0][], new long[0], new byte[0][]);

        int size() {
            return keys.length;
        }

        /** First slot in {@code [from, size)} whose key is {@code >= key}, or size: galloping from {@code from}. */
        int lowerBound(int from, byte[] key) {
            int n = keys.length;
            int lo = from; // every slot in [from, lo) holds a smaller key
            int step = 1;
            while (lo + step <= n && Arrays.compareUnsigned(keys[lo + step - 1], key) < 0) {
                lo += step;
                step <<= 1;
            }
            int hi = Math.min(n, lo + step);
            while (lo < hi) {
                int mid = (lo + hi) >>> 1;
                if (Arrays.compareUnsigned(keys[mid], key) < 0) {
                    lo = mid + 1;
                } else {
                    hi = mid;
                }
            }
            return lo;
        }
    }

    /** The ordered levels as readers take them: always together. */
    private record Levels(Run run, ConcurrentSkipListMap<InternalKey, byte[]> recent) {
    }

    private volatile Levels levels = new Levels(Run.EMPTY, new ConcurrentSkipListMap<>());
    private final ConcurrentHashMap<HashKey, Version> newest = new ConcurrentHashMap<>();
    /**
     * Bookkeeping charged per version on top of its key and value: as a recent skip-list entry, its node and index
     * share, InternalKey and two array headers (96 bytes; folded into the run it needs 16, and a fold holds the old
     * and the new run at once), plus the hash index's version record, map node and key wrapper (88 bytes; a key's
     * second version adds only its record, but the bound must hold for distinct keys).
     */
    static final int ENTRY_OVERHEAD_BYTES = 184;

    private final int recentVersionsMin;
    private int recentVersions; // writer only
    private long lastSeq; // writer only
    private volatile int entries;
    private volatile long bytes;
    private volatile long maxRaftIndex;

    Memtable() {
        this(RECENT_VERSIONS_MIN);
    }

    /** A buffer folding its skip list from {@code recentVersionsMin} versions on (small in tests, to fold often). */
    Memtable(int recentVersionsMin) {
        if (recentVersionsMin < 1) {
            throw new IllegalArgumentException("recentVersionsMin must be >= 1, got " + recentVersionsMin);
        }
        this.recentVersionsMin = recentVersionsMin;
    }

    /** Adds a version; {@code seq} must exceed every earlier one (the engine numbers its writes in order). */
    void put(byte[] key, long seq, byte[] valueOrTombstone, long raftIndex) {
        if (seq <= lastSeq) {
            throw new IllegalArgumentException("sequence " + seq + " is not after " + lastSeq);
        }
        lastSeq = seq;
        Levels l = levels;
        l.recent.put(new InternalKey(key, seq), valueOrTombstone);
        newest.compute(new HashKey(key), (k, older) -> new Version(seq, valueOrTombstone, older));
        entries++;
        bytes += key.length + valueOrTombstone.length + ENTRY_OVERHEAD_BYTES;
        maxRaftIndex = Math.max(maxRaftIndex, raftIndex);
        if (++recentVersions >= Math.max(recentVersionsMin, l.run.size() / RUN_TO_RECENT_RATIO)) {
            levels = new Levels(fold(l.run, l.recent, recentVersions), new ConcurrentSkipListMap<>());
            recentVersions = 0;
        }
    }

    /** A new run holding {@code run}'s versions and {@code recent}'s ({@code count} of them, all newer). */
    private static Run fold(Run run, ConcurrentSkipListMap<InternalKey, byte[]> recent, int count) {
        int n = run.size() + count;
        byte[][] keys = new byte[n][];
        long[] seqs = new long[n];
        byte[][] values = new byte[n][];
        int from = 0;
        int out = 0;
        for (Map.Entry<InternalKey, byte[]> e : recent.entrySet()) {
            byte[] key = e.getKey().key;
            int to = run.lowerBound(from, key); // the run's versions of this key are older: they go after it
            out = copy(run, from, to, keys, seqs, values, out);
            from = to;
            keys[out] = key;
            seqs[out] = e.getKey().seq;
            values[out++] = e.getValue();
        }
        copy(run, from, run.size(), keys, seqs, values, out);
        return new Run(keys, seqs, values);
    }

    private static int copy(Run run, int from, int to, byte[][] keys, long[] seqs, byte[][] values, int out) {
        int length = to - from;
        System.arraycopy(run.keys, from, keys, out, length);
        System.arraycopy(run.seqs, from, seqs, out, length);
        System.arraycopy(run.values, from, values, out, length);
        return out + length;
    }

    /** The value visible at {@code seq}: a value, {@link #TOMBSTONE}, or {@code null} when this buffer has none. */
    byte[] get(byte[] key, long seq) {
        Version v = newest.get(new HashKey(key));
        while (v != null && v.seq > seq) {
            v = v.older; // written after this reader's view
        }
        return v == null ? null : v.value;
    }

    /** Records that this buffer holds the effects of entries up to {@code raftIndex}, even ones that wrote nothing. */
    void noteRaftIndex(long raftIndex) {
        maxRaftIndex = Math.max(maxRaftIndex, raftIndex);
    }

    int entries() {
        return entries;
    }

    /** Approximate heap held by this buffer's versions: what bounds its memory when values are large. */
    long bytes() {
        return bytes;
    }

    boolean isEmpty() {
        return entries == 0;
    }

    /** Smallest and largest key held (any version); the buffer must not be empty. */
    byte[] firstKey() {
        Levels l = levels;
        if (l.recent.isEmpty()) {
            return l.run.keys[0];
        }
        byte[] recent = l.recent.firstKey().key;
        return l.run.size() == 0 || Arrays.compareUnsigned(recent, l.run.keys[0]) < 0 ? recent : l.run.keys[0];
    }

    byte[] lastKey() {
        Levels l = levels;
        int n = l.run.size();
        if (l.recent.isEmpty()) {
            return l.run.keys[n - 1];
        }
        byte[] recent = l.recent.lastKey().key;
        return n == 0 || Arrays.compareUnsigned(recent, l.run.keys[n - 1]) > 0 ? recent : l.run.keys[n - 1];
    }

    long maxRaftIndex() {
        return maxRaftIndex;
    }

    /** Keys {@code >= start} as visible at {@code seq}, newest version of each, tombstones included. */
    Cursor cursor(byte[] start, long seq) {
        Levels l = levels;
        return new VersionCursor(l.run, l.run.lowerBound(0, start),
                l.recent.tailMap(new InternalKey(start, Long.MAX_VALUE)).entrySet().iterator(), seq);
    }

    /**
     * Merges the run (from a slot) with the recent skip list's entries: both in order, and a key's recent versions
     * are newer than its run versions, so on equal keys the recent one comes first. Yields each key's newest version
     * visible at {@code seq}.
     */
    private static final class VersionCursor implements Cursor {
        private final Run run;
        private int slot;
        private final Iterator<Map.Entry<InternalKey, byte[]>> recent;
        private Map.Entry<InternalKey, byte[]> recentNext;
        private final long seq;
        private byte[] key;
        private byte[] value;

        VersionCursor(Run run, int slot, Iterator<Map.Entry<InternalKey, byte[]>> recent, long seq) {
            this.run = run;
            this.slot = slot;
            this.recent = recent;
            this.seq = seq;
            recentNext = recent.hasNext() ? recent.next() : null;
            next();
        }

        @Override
        public boolean valid() {
            return key != null;
        }

        @Override
        public byte[] key() {
            return key;
        }

        @Override
        public byte[] value() {
            return value == TOMBSTONE ? null : value;
        }

        @Override
        public void next() {
            byte[] previous = key;
            key = null;
            while (recentNext != null || slot < run.size()) {
                boolean fromRecent = recentNext != null && (slot == run.size()
                        || Arrays.compareUnsigned(recentNext.getKey().key, run.keys[slot]) <= 0);
                byte[] k;
                long s;
                byte[] v;
                if (fromRecent) {
                    k = recentNext.getKey().key;
                    s = recentNext.getKey().seq;
                    v = recentNext.getValue();
                    recentNext = recent.hasNext() ? recent.next() : null;
                } else {
                    k = run.keys[slot];
                    s = run.seqs[slot];
                    v = run.values[slot++];
                }
                if (s > seq || (previous != null && Arrays.equals(k, previous))) {
                    continue; // written after this reader's view, or an older version of the key just yielded
                }
                key = k;
                value = v;
                return;
            }
        }
    }
}
