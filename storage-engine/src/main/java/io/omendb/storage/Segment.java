package io.omendb.storage;

import io.omendb.storage.index.IndexStats;
import io.omendb.storage.index.KeyIndex;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.lang.ref.Cleaner;
import java.nio.channels.FileChannel;
import java.nio.file.Path;
import java.util.Arrays;

/**
 * One immutable sorted run of records with its learned index. Keys, the model and values up to
 * {@code valueBytesInlineMax} are resident in memory; larger values stay in the file and are read (one block,
 * checksum verified) when asked for, so a segment's heap grows with its record count, not its bytes.
 *
 * <p>Keys share the segment's common {@code prefix}; the index is trained on each key's head (the 8 bytes
 * after the prefix). A point lookup checks the prefix, asks the index for the first position whose head is
 * {@code >=} the key's head, then confirms the full key among the (almost always single) records with that
 * head. The segment never changes after construction, so any number of readers use it without locks; the
 * file behind it may be deleted by compaction while readers still hold this object: a segment with large values
 * keeps its file open, and the channel is closed by {@link #close()} (engine close) or, for a segment a compaction
 * replaced, by a {@link Cleaner} once no reader can reach it, so a reader never finds the channel closed under it.
 *
 * <p><b>Bounds.</b> A segment answers only for keys inside its {@link #range}: since a split shares segment files
 * between two engines (hard links), each engine sees a shared file through its own half. {@link #find},
 * {@link #lowerBound}, cursors, {@link #minKey}/{@link #maxKey} and {@link #records} all stay inside the positions
 * {@code [from, to)} of the range; records outside it are never returned and are dropped when a compaction
 * rewrites the segment. {@link #bounded} makes such a view without copying: it shares the columns, the model and
 * the file channel, and keeps the segment it was made from reachable so that segment's {@link Cleaner} cannot
 * close the shared channel under it.
 */
final class Segment implements CompactionPolicy.Sized {
    private static final Cleaner CLEANER = Cleaner.create();
    final long id;
    final Path file;
    final long fileBytes;
    /** Keys + values, inline or not: the segment's logical size, which compaction tiers are measured in. */
    final long dataBytes;
    final long maxRaftIndex;
    final int count;
    final byte[] prefix;
    final long[] heads;
    final KeyIndex index;
    private final byte[] keyBlob;
    private final int[] keyOff;
    private final byte[] valBlob;
    private final int[] valOff;
    private final long[] tombstones;
    private final ValueRefs refs;
    private final FileChannel channel; // null when every value is inline
    private final Cleaner.Cleanable channelCloser;
    /** The segment the columns and channel were loaded for; {@code this} unless made by {@link #bounded}. */
    private final Segment base;
    /** Keys this segment answers for, and the positions of its records inside them: {@code [from, to)}. */
    final KeyRange range;
    private final int from;
    private final int to;
    private final byte[] minKey;
    private final byte[] maxKey;
    /** All keys have this length (-1: they differ); then key offsets are implicit. */
    private final int keyLength;
    /** Fixed-length keys whose part after the prefix fits in the head: equal heads mean equal keys. */
    private final boolean headIsKey;
    /** No tombstones and all values this long (-1 otherwise); then value offsets are implicit. */
    private final int valueLength;

    /** {@code channel} reads the values {@code c.refs()} names; the segment owns it (null when there are none). */
    Segment(long id, Path file, long fileBytes, long maxRaftIndex, SegmentBuilder.Columns c, KeyIndex index,
            FileChannel channel) {
        if (c.count() == 0) {
            throw new IllegalArgumentException("a segment holds at least one record");
        }
        this.id = id;
        this.file = file;
        this.fileBytes = fileBytes;
        this.dataBytes = c.dataBytes();
        this.maxRaftIndex = maxRaftIndex;
        this.count = c.count();
        this.prefix = c.prefix();
        this.heads = c.heads();
        this.index = index;
        this.keyBlob = c.keyBlob();
        this.valBlob = c.valBlob();
        this.tombstones = c.tombstones();
        this.refs = c.refs();
        if (refs.isEmpty() != (channel == null)) {
            throw new IllegalArgumentException("a channel is needed exactly when values are on disk");
        }
        this.channel = channel;
        this.channelCloser = channel == null ? null : CLEANER.register(this, closer(channel));
        this.keyLength = uniformLength(c.keyOff());
        this.valueLength = tombstones == null && refs.isEmpty() ? uniformLength(c.valOff()) : -1;
        this.keyOff = keyLength >= 0 ? null : c.keyOff(); // implicit offsets save memory and a cache miss
        this.valOff = valueLength >= 0 ? null : c.valOff();
        this.headIsKey = keyLength >= 0 && keyLength - prefix.length <= 8;
        this.base = this;
        this.range = KeyRange.ALL;
        this.from = 0;
        this.to = count;
        this.minKey = keyAt(0);
        this.maxKey = keyAt(count - 1);
    }

    /** A view of {@code b} answering only for keys in {@code range}, holding its records {@code [from, to)}. */
    private Segment(Segment b, KeyRange range, int from, int to) {
        this(b, b.file, b.channel, false, range, from, to);
    }

    /** The whole segment {@code b} is a view of, stored in {@code file}, reading through {@code channel}, its own. */
    private Segment(Segment b, Path file, FileChannel channel) {
        this(b, file, channel, true, KeyRange.ALL, 0, b.count);
        if (b.refs.isEmpty() != (channel == null)) {
            throw new IllegalArgumentException("a channel is needed exactly when values are on disk");
        }
    }

    /**
     * {@code b}'s columns and model; {@code ownsChannel}: a whole segment of its own (its cleaner closes
     * {@code channel}), else a view sharing {@code b}'s channel and keeping {@code b}'s whole segment reachable.
     */
    private Segment(Segment b, Path file, FileChannel channel, boolean ownsChannel, KeyRange range, int from, int to) {
        this.id = b.id;
        this.file = file;
        this.fileBytes = b.fileBytes;
        this.dataBytes = b.dataBytes;
        this.maxRaftIndex = b.maxRaftIndex;
        this.count = b.count;
        this.prefix = b.prefix;
        this.heads = b.heads;
        this.index = b.index;
        this.keyBlob = b.keyBlob;
        this.keyOff = b.keyOff;
        this.valBlob = b.valBlob;
        this.valOff = b.valOff;
        this.tombstones = b.tombstones;
        this.refs = b.refs;
        this.channel = channel;
        this.channelCloser = !ownsChannel ? b.channelCloser
                : channel == null ? null : CLEANER.register(this, closer(channel));
        this.keyLength = b.keyLength;
        this.headIsKey = b.headIsKey;
        this.valueLength = b.valueLength;
        this.base = ownsChannel ? this : b.base;
        this.range = range;
        this.from = from;
        this.to = to;
        this.minKey = keyAt(from);
        this.maxKey = keyAt(to - 1);
    }

    /** The whole segment (all its records, its own file and channel) this one is a view of. */
    Segment whole() {
        return base;
    }

    /** Whether some values are read from the file when asked for (then the segment needs an open channel). */
    boolean hasValuesOnDisk() {
        return !refs.isEmpty();
    }

    /**
     * The whole segment read from {@code file}, a link to the same bytes, sharing this segment's columns and model
     * (immutable) instead of reading the file again ({@link LoadedSegments}); it owns {@code channel} (open on
     * {@code file}; null exactly when every value is in memory).
     */
    Segment reopenedAt(Path file, FileChannel channel) {
        return new Segment(base, file, channel);
    }

    /**
     * This segment answering only for {@code r} intersected with its current range (no copy), or {@code null} when
     * none of its records falls inside.
     */
    Segment bounded(KeyRange r) {
        KeyRange both = range.intersect(r);
        if (both == null) {
            return null;
        }
        if (both.equals(range)) {
            return this;
        }
        int lo = lowerBound(both.start());
        int hi = both.end() == null ? to : lowerBound(both.end());
        return lo >= hi ? null : new Segment(this, both, lo, hi);
    }

    /** The cleaning action must not reach the segment, or it would never become unreachable. */
    private static Runnable closer(FileChannel channel) {
        return () -> {
            try {
                channel.close();
            } catch (IOException e) {
                // closing a read-only view of an immutable file: nothing to recover
            }
        };
    }

    /** Keys + values of the records inside the range (exact: from the offset columns, no I/O). */
    @Override
    public long dataBytes() {
        return from == 0 && to == count ? dataBytes : bytesBefore(to) - bytesBefore(from);
    }

    /** Records (tombstones included) inside the range. */
    @Override
    public long records() {
        return to - from;
    }

    /**
     * Keys + values of the records at positions {@code [0, p)}, range or not: O(1) for keys and small values (their
     * offset columns are cumulative), O(log) for large ones ({@link ValueRefs#bytesBefore}).
     */
    long bytesBefore(int p) {
        long keys = keyLength >= 0 ? (long) p * keyLength : keyOff[p];
        long values = valueLength >= 0 ? (long) p * valueLength : valOff[p];
        return keys + values + refs.bytesBefore(p);
    }

    /** First position of the range: records before it belong to another engine or to nobody. */
    int from() {
        return from;
    }

    /** Position after the range's last record. */
    int to() {
        return to;
    }

    /** Closes the file channel now (engine close); reads of large values fail afterwards. */
    void close() {
        if (channelCloser != null) {
            channelCloser.clean();
        }
    }

    /** Heap held by keys, heads, small values, offsets, tombstones and value refs (the model is not counted). */
    long residentBytes() {
        return (long) keyBlob.length + valBlob.length + 8L * heads.length
                + 4L * ((keyOff == null ? 0 : keyOff.length) + (valOff == null ? 0 : valOff.length))
                + 8L * (tombstones == null ? 0 : tombstones.length) + refs.retainedBytes();
    }

    private static int uniformLength(int[] offsets) {
        int len = offsets[1] - offsets[0];
        for (int i = 2; i < offsets.length; i++) {
            if (offsets[i] - offsets[i - 1] != len) {
                return -1;
            }
        }
        return len;
    }

    /** Position of {@code key}, or -1 when this segment has no record for it inside its range. */
    int find(byte[] key) {
        if (from != 0 || to != count) {
            int p = findAnywhere(key);
            return p >= from && p < to ? p : -1;
        }
        return findAnywhere(key);
    }

    private int findAnywhere(byte[] key) {
        int plen = prefix.length;
        if (key.length < plen || !Arrays.equals(key, 0, plen, prefix, 0, plen)) {
            return -1;
        }
        long h = Bytes.head(key, plen);
        int i = index.lowerBound(h);
        if (headIsKey) {
            return i < count && heads[i] == h && key.length == keyLength ? i : -1;
        }
        for (int steps = 0; i < count && heads[i] == h; i++, steps++) {
            int c = compareKeyAt(i, key);
            if (c == 0) {
                return i;
            }
            if (c > 0) {
                return -1;
            }
            if (steps == 8) {
                return findInLongRun(key, h, i + 1);
            }
        }
        return -1;
    }

    /** Keys sharing 8 bytes after the prefix: binary search on full keys inside the run of equal heads. */
    private int findInLongRun(byte[] key, long h, int from) {
        int p = lowerBoundInRun(key, h, from);
        return p < count && compareKeyAt(p, key) == 0 ? p : -1;
    }

    private int lowerBoundInRun(byte[] key, long h, int from) {
        int lo = from;
        int hi = h == -1L ? count : index.lowerBound(h + 1);
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (compareKeyAt(mid, key) < 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    /** First position inside the range whose key is {@code >= key}, or {@link #to()}. */
    int lowerBound(byte[] key) {
        return Math.min(to, Math.max(from, lowerBoundAnywhere(key)));
    }

    /** First position whose key is {@code >= key}, or {@link #count}, ignoring the range. */
    private int lowerBoundAnywhere(byte[] key) {
        int plen = prefix.length;
        int common = Math.min(plen, key.length);
        int c = Arrays.compareUnsigned(key, 0, common, prefix, 0, common);
        if (c < 0 || (c == 0 && key.length < plen)) {
            return 0;
        }
        if (c > 0) {
            return count;
        }
        long h = Bytes.head(key, plen);
        int i = index.lowerBound(h);
        return i < count && heads[i] == h ? lowerBoundInRun(key, h, i) : i;
    }

    private int compareKeyAt(int i, byte[] key) {
        int from = keyFrom(i);
        return Arrays.compareUnsigned(keyBlob, from, from + keyLen(i), key, 0, key.length);
    }

    private int keyFrom(int i) {
        return keyLength >= 0 ? i * keyLength : keyOff[i];
    }

    private int keyLen(int i) {
        return keyLength >= 0 ? keyLength : keyOff[i + 1] - keyOff[i];
    }

    boolean mayContain(byte[] key) {
        return Arrays.compareUnsigned(key, minKey) >= 0 && Arrays.compareUnsigned(key, maxKey) <= 0;
    }

    /** True when some key of this segment may fall in {@code [start, end)}; {@code end == null} is unbounded. */
    boolean overlaps(byte[] start, byte[] end) {
        return Arrays.compareUnsigned(maxKey, start) >= 0 && (end == null || Arrays.compareUnsigned(minKey, end) < 0);
    }

    boolean isTombstone(int i) {
        return tombstones != null && (tombstones[i >>> 6] & (1L << i)) != 0;
    }

    byte[] keyAt(int i) {
        int from = keyFrom(i);
        return Arrays.copyOfRange(keyBlob, from, from + keyLen(i));
    }

    /** The value of record {@code i} (not a tombstone); a large value is read from the file and verified. */
    byte[] valueAt(int i) {
        if (!refs.isEmpty()) {
            int ref = refs.indexOf(i);
            if (ref >= 0) {
                try {
                    return SegmentFile.readValue(file, channel, refs, ref);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
        }
        if (valueLength >= 0) {
            return Arrays.copyOfRange(valBlob, i * valueLength, (i + 1) * valueLength);
        }
        return Arrays.copyOfRange(valBlob, valOff[i], valOff[i + 1]);
    }

    byte[] minKey() {
        return minKey;
    }

    byte[] maxKey() {
        return maxKey;
    }

    IndexStats indexStats() {
        return index.stats();
    }

    /** Records from the first key {@code >= start} to the end of the range. */
    Cursor cursor(byte[] start) {
        return new SegmentCursor(this, lowerBound(start));
    }

    private static final class SegmentCursor implements Cursor {
        private final Segment s;
        private int i;
        private byte[] key;
        private byte[] value; // read once per position: a large value costs a disk read

        SegmentCursor(Segment s, int from) {
            this.s = s;
            this.i = from;
            this.key = from < s.to ? s.keyAt(from) : null;
        }

        @Override
        public boolean valid() {
            return i < s.to;
        }

        @Override
        public byte[] key() {
            return key;
        }

        @Override
        public byte[] value() {
            if (value == null && !s.isTombstone(i)) {
                value = s.valueAt(i);
            }
            return value;
        }

        @Override
        public void next() {
            i++;
            value = null;
            key = i < s.to ? s.keyAt(i) : null;
        }
    }
}
