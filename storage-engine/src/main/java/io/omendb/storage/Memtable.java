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
 * <p>Two indexes over the same versions. The skip list orders them (key ascending, newest version first) for scans
 * and flush. A hash index maps each key to its version chain (newest first), so a point read costs one hash lookup
 * instead of a skip-list descent of about 2·log2(entries) key comparisons, each a cache miss or two; most point
 * reads of a large key space miss the memtable altogether, and a descent costs the same for a miss. Measured before
 * the hash index: skip-list searches were 93 % of the engine's point-read CPU in the cluster benchmark's mixed
 * workload (docs/BENCHMARKS.md). The price is one hash insert per write and the heap of the second index, charged
 * in {@link #ENTRY_OVERHEAD_BYTES}.
 *
 * <p>Threading: one writer ({@link #put}); any number of concurrent readers. A version is immutable and reaches
 * readers through the concurrent maps, and a version older than a reader's sequence is linked before any newer one
 * is published, so a reader walking a chain finds every version its sequence covers. The counters are written by
 * the writer only and read by background flush after the memtable was frozen (published through a volatile view).
 */
final class Memtable {
    /** Marks a deletion. Compared by identity: an empty value is a different array. */
    static final byte[] TOMBSTONE = new byte[0];

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

    private final ConcurrentSkipListMap<InternalKey, byte[]> map = new ConcurrentSkipListMap<>();
    private final ConcurrentHashMap<HashKey, Version> newest = new ConcurrentHashMap<>();
    /**
     * Bookkeeping charged per version on top of its key and value: skip-list node and index share, InternalKey and
     * two array headers (96 bytes), plus the hash index's version record, map node and key wrapper (88 bytes; a
     * key's second version adds only its record, but the bound must hold for distinct keys).
     */
    static final int ENTRY_OVERHEAD_BYTES = 184;

    private volatile int entries;
    private volatile long bytes;
    private volatile long maxRaftIndex;

    void put(byte[] key, long seq, byte[] valueOrTombstone, long raftIndex) {
        map.put(new InternalKey(key, seq), valueOrTombstone);
        newest.compute(new HashKey(key), (k, older) -> new Version(seq, valueOrTombstone, older));
        entries++;
        bytes += key.length + valueOrTombstone.length + ENTRY_OVERHEAD_BYTES;
        maxRaftIndex = Math.max(maxRaftIndex, raftIndex);
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
        return map.firstKey().key;
    }

    byte[] lastKey() {
        return map.lastKey().key;
    }

    long maxRaftIndex() {
        return maxRaftIndex;
    }

    /** Keys {@code >= start} as visible at {@code seq}, newest version of each, tombstones included. */
    Cursor cursor(byte[] start, long seq) {
        return new VersionCursor(map.tailMap(new InternalKey(start, Long.MAX_VALUE)).entrySet().iterator(), seq);
    }

    private static final class VersionCursor implements Cursor {
        private final Iterator<Map.Entry<InternalKey, byte[]>> it;
        private final long seq;
        private Map.Entry<InternalKey, byte[]> pending;
        private byte[] key;
        private byte[] value;

        VersionCursor(Iterator<Map.Entry<InternalKey, byte[]>> it, long seq) {
            this.it = it;
            this.seq = seq;
            pending = it.hasNext() ? it.next() : null;
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
            key = null;
            while (pending != null) {
                Map.Entry<InternalKey, byte[]> e = pending;
                pending = it.hasNext() ? it.next() : null;
                if (e.getKey().seq > seq) {
                    continue; // written after this reader's view
                }
                key = e.getKey().key;
                value = e.getValue();
                while (pending != null && Arrays.equals(pending.getKey().key, key)) {
                    pending = it.hasNext() ? it.next() : null; // older versions of the same key
                }
                return;
            }
        }
    }
}
