package io.omendb.storage;

import java.io.ByteArrayInputStream;
import java.io.ByteArrayOutputStream;
import java.io.DataInputStream;
import java.io.DataOutputStream;
import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's root of truth on disk: the key range the engine owns, which segment files are live (newest first,
 * each with the key range it answers for), the highest Raft index whose effects they contain, and a split or
 * merge that was under way.
 *
 * <p>Written atomically: the new manifest goes to {@code MANIFEST.tmp}, is fsynced, renamed over
 * {@code MANIFEST}, and the directory is fsynced. A crash leaves either the old or the new manifest, never a
 * mix; segment files not named by it are leftovers of an interrupted flush, compaction or merge and are deleted at
 * open. The content ends with a CRC32C checked on read. This write is the commit point of every change of the
 * engine's shape: flush, compaction, split ({@link StorageEngine#splitOff}) and merge ({@link StorageEngine#absorb}).
 *
 * <p>Format 2 (written since ranges can split) adds the ranges and the pending operation; format 1 (no ranges)
 * is still read, as an engine owning every key.
 *
 * @param durableIndex  highest Raft index contained in the live segments
 * @param nextSegmentId id the next segment file will get
 * @param range         the keys this engine owns
 * @param segments      live segments, newest first, each answering only for keys inside its range
 * @param pending       a split or merge whose second half the next open must finish or undo, or {@code null}
 */
record Manifest(long durableIndex, long nextSegmentId, KeyRange range, List<Entry> segments, Pending pending) {
    static final String FILE = "MANIFEST";
    private static final String TMP = "MANIFEST.tmp";
    private static final long MAGIC_V1 = 0x4f4d4d414e493031L; // "OMMANI01"
    private static final long MAGIC_V2 = 0x4f4d4d414e493032L; // "OMMANI02"
    private static final int SEGMENTS_MAX = 1 << 20;
    private static final int KEY_BYTES_MAX = 1 << 20;
    private static final int PENDING_NONE = 0;
    private static final int PENDING_SPLIT = 1;
    private static final int PENDING_ABSORBED = 2;

    /** One live segment file and the keys it answers for in this engine (a shared file answers for a part). */
    record Entry(long id, KeyRange range) {
    }

    /** The second half of a split or merge, recorded before it starts so the next open can finish or undo it. */
    sealed interface Pending permits SplitIntent, AbsorbedDir {
    }

    /**
     * A split of this engine at {@code splitKey}, building the right engine in {@code rightDir}: committed if and
     * only if {@code rightDir} holds a manifest (its own commit point); then this engine's range ends at
     * {@code splitKey} and its durable index becomes {@code index}.
     */
    record SplitIntent(String rightDir, byte[] splitKey, long index) implements Pending {
    }

    /** A merged-in engine directory that is no longer an engine and must be removed (finished at open). */
    record AbsorbedDir(String dir) implements Pending {
    }

    Manifest {
        segments = List.copyOf(segments);
    }

    static Manifest empty(KeyRange range) {
        return new Manifest(0, 1, range, List.of(), null);
    }

    List<Long> segmentIds() {
        List<Long> ids = new ArrayList<>(segments.size());
        for (Entry e : segments) {
            ids.add(e.id);
        }
        return ids;
    }

    Manifest withNextSegmentId(long next) {
        return new Manifest(durableIndex, next, range, segments, pending);
    }

    Manifest withPending(Pending p) {
        return new Manifest(durableIndex, nextSegmentId, range, segments, p);
    }

    static boolean exists(Path dir) {
        return Files.exists(dir.resolve(FILE));
    }

    /** The manifest in {@code dir}, or an empty one owning {@code rangeIfNew} when there is none. */
    static Manifest readOrEmpty(Path dir, KeyRange rangeIfNew) throws IOException {
        Path file = dir.resolve(FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return empty(rangeIfNew);
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        long magic = bytes.length < 32 ? 0 : b.getLong();
        if (magic != MAGIC_V1 && magic != MAGIC_V2) {
            throw new CorruptDataException(file, "not a manifest (bad magic or truncated)");
        }
        if (ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt() != SegmentFile.crc(bytes, 0, bytes.length - 4)) {
            throw new CorruptDataException(file, "checksum mismatch");
        }
        return magic == MAGIC_V1 ? readV1(file, bytes, b) : readV2(file, bytes);
    }

    private static Manifest readV1(Path file, byte[] bytes, ByteBuffer b) throws CorruptDataException {
        long durable = b.getLong();
        long next = b.getLong();
        int n = b.getInt();
        if (n < 0 || n > SEGMENTS_MAX || bytes.length != 32 + 8 * n) {
            throw new CorruptDataException(file, "segment count " + n + " does not match its size");
        }
        List<Entry> entries = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            entries.add(new Entry(b.getLong(), KeyRange.ALL));
        }
        return new Manifest(durable, next, KeyRange.ALL, entries, null);
    }

    private static Manifest readV2(Path file, byte[] bytes) throws CorruptDataException {
        DataInputStream in = new DataInputStream(new ByteArrayInputStream(bytes, 8, bytes.length - 12));
        try {
            long durable = in.readLong();
            long next = in.readLong();
            KeyRange range = readRange(file, in);
            Pending pending = switch (in.readUnsignedByte()) {
                case PENDING_NONE -> null;
                case PENDING_SPLIT -> new SplitIntent(readString(file, in), readBytes(file, in), in.readLong());
                case PENDING_ABSORBED -> new AbsorbedDir(readString(file, in));
                default -> throw new CorruptDataException(file, "unknown pending operation");
            };
            int n = in.readInt();
            if (n < 0 || n > SEGMENTS_MAX) {
                throw new CorruptDataException(file, "segment count " + n + " out of range");
            }
            List<Entry> entries = new ArrayList<>(n);
            for (int i = 0; i < n; i++) {
                entries.add(new Entry(in.readLong(), readRange(file, in)));
            }
            if (in.available() != 0) {
                throw new CorruptDataException(file, "trailing bytes");
            }
            return new Manifest(durable, next, range, entries, pending);
        } catch (IOException | IllegalArgumentException e) {
            throw new CorruptDataException(file, "malformed: " + e.getMessage());
        }
    }

    private static KeyRange readRange(Path file, DataInputStream in) throws IOException {
        byte[] start = readBytes(file, in);
        return new KeyRange(start, in.readBoolean() ? readBytes(file, in) : null);
    }

    private static byte[] readBytes(Path file, DataInputStream in) throws IOException {
        int len = in.readInt();
        if (len < 0 || len > KEY_BYTES_MAX) {
            throw new CorruptDataException(file, "key length " + len + " out of range");
        }
        return in.readNBytes(len);
    }

    private static String readString(Path file, DataInputStream in) throws IOException {
        return new String(readBytes(file, in), StandardCharsets.UTF_8);
    }

    private byte[] encode() throws IOException {
        ByteArrayOutputStream bytes = new ByteArrayOutputStream();
        DataOutputStream out = new DataOutputStream(bytes);
        out.writeLong(MAGIC_V2);
        out.writeLong(durableIndex);
        out.writeLong(nextSegmentId);
        writeRange(out, range);
        if (pending == null) {
            out.writeByte(PENDING_NONE);
        } else if (pending instanceof SplitIntent s) {
            out.writeByte(PENDING_SPLIT);
            writeBytes(out, s.rightDir.getBytes(StandardCharsets.UTF_8));
            writeBytes(out, s.splitKey);
            out.writeLong(s.index);
        } else if (pending instanceof AbsorbedDir a) {
            out.writeByte(PENDING_ABSORBED);
            writeBytes(out, a.dir.getBytes(StandardCharsets.UTF_8));
        }
        out.writeInt(segments.size());
        for (Entry e : segments) {
            out.writeLong(e.id);
            writeRange(out, e.range);
        }
        out.writeInt(0); // room for the checksum
        byte[] a = bytes.toByteArray();
        ByteBuffer.wrap(a).putInt(a.length - 4, SegmentFile.crc(a, 0, a.length - 4));
        return a;
    }

    private static void writeRange(DataOutputStream out, KeyRange r) throws IOException {
        writeBytes(out, r.start());
        out.writeBoolean(r.end() != null);
        if (r.end() != null) {
            writeBytes(out, r.end());
        }
    }

    private static void writeBytes(DataOutputStream out, byte[] a) throws IOException {
        out.writeInt(a.length);
        out.write(a);
    }

    void writeAtomically(Path dir, boolean fsync) throws IOException {
        Path tmp = dir.resolve(TMP);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(encode()));
            if (fsync) {
                ch.force(true);
            }
        }
        try {
            Files.move(tmp, dir.resolve(FILE), StandardCopyOption.ATOMIC_MOVE, StandardCopyOption.REPLACE_EXISTING);
        } catch (AtomicMoveNotSupportedException e) {
            throw new IOException("filesystem of " + dir + " cannot rename atomically", e);
        }
        if (fsync) {
            FileOps.fsync(dir);
        }
    }


    static boolean isTemporary(String fileName) {
        return fileName.equals(TMP);
    }
}
