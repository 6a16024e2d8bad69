package io.omendb.storage;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.AtomicMoveNotSupportedException;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.List;

/**
 * The engine's root of truth on disk: which segment files are live (newest first) and the highest Raft index
 * whose effects they contain.
 *
 * <p>Written atomically: the new manifest goes to {@code MANIFEST.tmp}, is fsynced, renamed over
 * {@code MANIFEST}, and the directory is fsynced. A crash leaves either the old or the new manifest, never a
 * mix; segment files not named by it are leftovers of an interrupted flush or compaction and are deleted at
 * open. The content ends with a CRC32C checked on read.
 *
 * @param durableIndex  highest Raft index contained in the live segments
 * @param nextSegmentId id the next segment file will get
 * @param segmentIds    live segments, newest first
 */
record Manifest(long durableIndex, long nextSegmentId, List<Long> segmentIds) {
    static final String FILE = "MANIFEST";
    private static final String TMP = "MANIFEST.tmp";
    private static final long MAGIC = 0x4f4d4d414e493031L; // "OMMANI01"
    private static final int SEGMENTS_MAX = 1 << 20;

    Manifest {
        segmentIds = List.copyOf(segmentIds);
    }

    static Manifest empty() {
        return new Manifest(0, 1, List.of());
    }

    static Manifest readOrEmpty(Path dir) throws IOException {
        Path file = dir.resolve(FILE);
        byte[] bytes;
        try {
            bytes = Files.readAllBytes(file);
        } catch (NoSuchFileException e) {
            return empty();
        }
        ByteBuffer b = ByteBuffer.wrap(bytes);
        if (bytes.length < 32 || b.getLong() != MAGIC) {
            throw new CorruptDataException(file, "not a manifest (bad magic or truncated)");
        }
        if (ByteBuffer.wrap(bytes, bytes.length - 4, 4).getInt() != SegmentFile.crc(bytes, 0, bytes.length - 4)) {
            throw new CorruptDataException(file, "checksum mismatch");
        }
        long durable = b.getLong();
        long next = b.getLong();
        int n = b.getInt();
        if (n < 0 || n > SEGMENTS_MAX || bytes.length != 32 + 8 * n) {
            throw new CorruptDataException(file, "segment count " + n + " does not match its size");
        }
        List<Long> ids = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            ids.add(b.getLong());
        }
        return new Manifest(durable, next, ids);
    }

    void writeAtomically(Path dir, boolean fsync) throws IOException {
        ByteBuffer b = ByteBuffer.allocate(32 + 8 * segmentIds.size());
        b.putLong(MAGIC).putLong(durableIndex).putLong(nextSegmentId).putInt(segmentIds.size());
        for (long id : segmentIds) {
            b.putLong(id);
        }
        b.putInt(SegmentFile.crc(b.array(), 0, b.capacity() - 4));
        Path tmp = dir.resolve(TMP);
        try (FileChannel ch = FileChannel.open(tmp, StandardOpenOption.CREATE, StandardOpenOption.WRITE,
                StandardOpenOption.TRUNCATE_EXISTING)) {
            ch.write(ByteBuffer.wrap(b.array()));
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
