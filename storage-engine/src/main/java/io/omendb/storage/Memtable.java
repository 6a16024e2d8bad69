package io.omendb.storage;

import java.util.Arrays;
import java.util.Iterator;
import java.util.Map;
import java.util.concurrent.ConcurrentSkipListMap;

/**
 * The sorted in-memory delta buffer: recent writes and tombstones, multi-versioned by sequence number.
 *
 * <p>Every write gets a sequence number; a reader holding sequence {@code s} sees, for each key, the newest
 * version with {@code seq <= s}. That is what lets the single writer keep inserting while a scan walks one
 * consistent state, and what makes a batch atomic: its versions become visible only when the engine publishes
 * a read view whose sequence covers the batch's last op.
 *
 * <p>Threading: one writer ({@link #put}); any number of concurrent readers. The counters are written by the
 * writer only and read by background flush after the memtable was frozen (published through a volatile view).
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

    private final ConcurrentSkipListMap<InternalKey, byte[]> map = new ConcurrentSkipListMap<>();
    /** Bookkeeping charged per version on top of its key and value (skip-list node, InternalKey, array headers). */
    static final int ENTRY_OVERHEAD_BYTES = 96;

    private volatile int entries;
    private volatile long bytes;
    private volatile long maxRaftIndex;

    void put(byte[] key, long seq, byte[] valueOrTombstone, long raftIndex) {
        map.put(new InternalKey(key, seq), valueOrTombstone);
        entries++;
        bytes += key.length + valueOrTombstone.length + ENTRY_OVERHEAD_BYTES;
        maxRaftIndex = Math.max(maxRaftIndex, raftIndex);
    }

    /** The value visible at {@code seq}: a value, {@link #TOMBSTONE}, or {@code null} when this buffer has none. */
    byte[] get(byte[] key, long seq) {
        Map.Entry<InternalKey, byte[]> e = map.ceilingEntry(new InternalKey(key, seq));
        return e != null && Arrays.equals(e.getKey().key, key) ? e.getValue() : null;
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
