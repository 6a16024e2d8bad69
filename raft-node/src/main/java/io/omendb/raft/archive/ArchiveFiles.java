package io.omendb.raft.archive;

import io.omendb.storage.FileOps;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.raftlog.segmented.SegmentedRaftLogOutputStream;

import java.io.IOException;
import java.io.InputStream;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The on-disk form of the Raft log archive (docs/BACKUP.md, "Log archiving").
 *
 * <p><b>Layout.</b> {@code <archive dir>/<group uuid>/<node id>/log_<first>-<last>} (the directories:
 * {@link io.omendb.raft.storage.NodeDataLayout#archiveNodeDir}) plus a sidecar
 * {@code log_<first>-<last>.sha256}. Each data file is a closed Ratis log segment (header, then per entry a
 * length, the entry and its CRC32C), written with Ratis' own segment writer, holding exactly the committed entries
 * {@code first..last} of that group. Every replica archives its own copy; the entries of an index are the same on
 * every node (Raft's log matching), so a reader may take any node's file for any index.
 *
 * <p><b>Sidecar.</b> One line {@code sha256=<hex> bytes=<n> first=<i> last=<j>}. A data file counts only once its
 * sidecar exists; both are written as {@code .tmp}, fsynced and renamed (data first), so a crash leaves either a
 * complete pair, a data file without a sidecar (deleted and rewritten by the next pass) or temp files (deleted).
 */
public final class ArchiveFiles {
    static final String SIDECAR_SUFFIX = ".sha256";
    static final String TMP_SUFFIX = ".tmp";
    private static final Pattern SIDECAR = Pattern.compile("sha256=([0-9a-f]{64}) bytes=(\\d+) first=(\\d+) last=(\\d+)");

    private ArchiveFiles() {
    }

    /** One complete archived file. */
    public record Archived(Path path, long firstIndex, long lastIndex, long sizeBytes, String sha256) {
    }

    /** The complete files (with a readable sidecar) of one node directory, by first index. */
    public static List<Archived> list(Path nodeDir) throws IOException {
        List<Archived> out = new ArrayList<>();
        for (RaftLogFiles.Segment s : RaftLogFiles.list(nodeDir)) {
            Path sidecar = sidecarOf(s.path());
            if (s.open() || !Files.exists(sidecar)) {
                continue;
            }
            Matcher m = SIDECAR.matcher(Files.readString(sidecar, StandardCharsets.UTF_8).trim());
            if (!m.matches() || Long.parseLong(m.group(3)) != s.startIndex()
                    || Long.parseLong(m.group(4)) != s.endIndex()) {
                throw new IOException("archive sidecar " + sidecar + " is damaged or does not match its file name");
            }
            out.add(new Archived(s.path(), s.startIndex(), s.endIndex(), Long.parseLong(m.group(2)), m.group(1)));
        }
        return out;
    }

    /** Deletes temp files and data files without a sidecar (a pass interrupted by a crash). */
    static void deleteUnfinished(Path nodeDir) throws IOException {
        if (!Files.isDirectory(nodeDir)) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(nodeDir)) {
            for (Path p : s) {
                String name = p.getFileName().toString();
                boolean orphan = RaftLogFiles.parse(p) != null && !Files.exists(sidecarOf(p));
                if (name.endsWith(TMP_SUFFIX) || orphan) {
                    Files.deleteIfExists(p);
                }
            }
        }
    }

    /** Checks size and SHA-256 of {@code a} against its sidecar; the message says what is wrong. */
    public static void verify(Archived a) throws IOException {
        long size;
        try {
            size = Files.size(a.path());
        } catch (NoSuchFileException e) {
            throw new IOException("archived log file " + a.path() + " is missing");
        }
        String sha = sha256(a.path());
        if (size != a.sizeBytes() || !sha.equals(a.sha256())) {
            throw new IOException("archived log file " + a.path() + " is damaged: " + size + " bytes, sha256 " + sha
                    + "; its sidecar says " + a.sizeBytes() + " bytes, sha256 " + a.sha256());
        }
    }

    /** Removes an archived file: its sidecar first, so a crash in between leaves an orphan that does not count. */
    public static void delete(Archived a) throws IOException {
        Files.deleteIfExists(sidecarOf(a.path()));
        Files.deleteIfExists(a.path());
    }

    static Path sidecarOf(Path data) {
        return data.resolveSibling(data.getFileName() + SIDECAR_SUFFIX);
    }

    static String sha256(Path file) throws IOException {
        MessageDigest sha;
        try {
            sha = MessageDigest.getInstance("SHA-256");
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
        byte[] buf = new byte[1 << 16];
        try (InputStream in = Files.newInputStream(file)) {
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
        }
        return HexFormat.of().formatHex(sha.digest());
    }

    /**
     * Writes one archive file: entries must come in index order without gaps. Not thread-safe; {@link #finish} or
     * {@link #abort} must be called.
     */
    static final class Writer {
        private final Path dir;
        private final Path tmp;
        private final long firstIndex;
        private final SegmentedRaftLogOutputStream out;
        private long lastIndex;

        /** @param writeBufferBytes at least the largest entry plus 8 bytes of framing */
        Writer(Path dir, long firstIndex, int writeBufferBytes) throws IOException {
            this.dir = Files.createDirectories(dir);
            this.firstIndex = firstIndex;
            this.lastIndex = firstIndex - 1;
            this.tmp = dir.resolve("log_" + firstIndex + TMP_SUFFIX);
            Files.deleteIfExists(tmp);
            // no preallocation: the file is exactly its entries
            this.out = new SegmentedRaftLogOutputStream(tmp.toFile(), false, Long.MAX_VALUE, 0,
                    ByteBuffer.allocate(writeBufferBytes));
        }

        void write(LogEntryProto e) throws IOException {
            if (e.getIndex() != lastIndex + 1) {
                throw new IllegalArgumentException("archive file " + tmp + ": entry " + e.getIndex() + " after "
                        + lastIndex);
            }
            out.write(e);
            lastIndex = e.getIndex();
        }

        long lastIndex() {
            return lastIndex;
        }

        /** Fsyncs and publishes the file and its sidecar; returns it. */
        Archived finish() throws IOException {
            out.close(); // flushes and fsyncs
            Path data = dir.resolve("log_" + firstIndex + "-" + lastIndex);
            long size = Files.size(tmp);
            String sha = sha256(tmp);
            Files.move(tmp, data, StandardCopyOption.ATOMIC_MOVE);
            Path sidecar = sidecarOf(data);
            Path sidecarTmp = sidecar.resolveSibling(sidecar.getFileName() + TMP_SUFFIX);
            try (FileChannel ch = FileChannel.open(sidecarTmp, StandardOpenOption.CREATE,
                    StandardOpenOption.TRUNCATE_EXISTING, StandardOpenOption.WRITE)) {
                ch.write(ByteBuffer.wrap(("sha256=" + sha + " bytes=" + size + " first=" + firstIndex + " last="
                        + lastIndex + "\n").getBytes(StandardCharsets.UTF_8)));
                ch.force(true);
            }
            Files.move(sidecarTmp, sidecar, StandardCopyOption.ATOMIC_MOVE);
            FileOps.fsync(dir);
            return new Archived(data, firstIndex, lastIndex, size, sha);
        }

        void abort() throws IOException {
            try {
                out.close();
            } finally {
                Files.deleteIfExists(tmp);
            }
        }
    }
}
