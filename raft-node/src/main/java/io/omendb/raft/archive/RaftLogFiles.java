package io.omendb.raft.archive;

import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.wire.CorruptFrameException;
import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.server.raftlog.segmented.LogSegment;
import org.apache.ratis.server.raftlog.segmented.LogSegmentPath;
import org.apache.ratis.util.SizeInBytes;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * Reads Ratis log segment files offline: a node's {@code <group>/current/} directory or a log archive, whose files
 * have the same format. Reading goes through Ratis' own segment reader ({@link LogSegment#readSegmentFile}), which
 * checks the file header and every entry's CRC32C, so an archive is read exactly as Ratis reads its log.
 *
 * <p>File names: {@code log_<start>-<end>} (closed) and {@code log_inprogress_<start>} (open: being appended to;
 * its tail may be a partly written entry, which the reader ignores, or preallocated zero bytes). Stateless.
 */
public final class RaftLogFiles {
    /** Largest entry the reader accepts: well above the largest entry a node writes (docs/CONFIG.md). */
    public static final SizeInBytes ENTRY_BYTES_MAX = SizeInBytes.valueOf("64MB");
    /** {@link Segment#endIndex()} of an open segment. */
    public static final long OPEN_END = Long.MAX_VALUE;
    private static final Pattern CLOSED = Pattern.compile("log_(\\d+)-(\\d+)");
    private static final Pattern OPEN = Pattern.compile("log_inprogress_(\\d+)");

    private RaftLogFiles() {
    }

    /** One segment file and the index range its name claims. */
    public record Segment(Path path, long startIndex, long endIndex) {
        public boolean open() {
            return endIndex == OPEN_END;
        }
    }

    /** Called for each entry in index order; returns false to stop reading. */
    public interface EntryVisitor {
        boolean visit(LogEntryProto entry) throws IOException;
    }

    /** A decoded entry: its command and time for state-machine entries, null for configuration/metadata ones. */
    public record LoggedEntry(LogEntryProto proto, CommandCodec.Logged logged) {
        public long index() {
            return proto.getIndex();
        }

        public long term() {
            return proto.getTerm();
        }
    }

    /** The segment file named {@code p}, or null when the name is not a segment's. */
    public static Segment parse(Path p) {
        String name = p.getFileName().toString();
        Matcher m = CLOSED.matcher(name);
        if (m.matches()) {
            return new Segment(p, Long.parseLong(m.group(1)), Long.parseLong(m.group(2)));
        }
        m = OPEN.matcher(name);
        return m.matches() ? new Segment(p, Long.parseLong(m.group(1)), OPEN_END) : null;
    }

    /** The segment files of {@code dir}, by start index (empty when the directory does not exist). */
    public static List<Segment> list(Path dir) throws IOException {
        List<Segment> out = new ArrayList<>();
        if (!Files.isDirectory(dir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            for (Path p : s) {
                Segment seg = parse(p);
                if (seg != null) {
                    out.add(seg);
                }
            }
        }
        out.sort(Comparator.comparingLong(Segment::startIndex));
        return out;
    }

    /**
     * Reads {@code segment}'s entries in order until the visitor says stop. A checksum mismatch, a bad header or an
     * index out of sequence is an {@link IOException}; a partly written last entry of an open segment ends it.
     */
    public static void read(Segment segment, EntryVisitor visitor) throws IOException {
        LogSegmentPath path = LogSegmentPath.matchLogSegment(segment.path());
        if (path == null) {
            throw new IOException(segment.path() + " is not named like a Raft log segment");
        }
        try {
            LogSegment.readSegmentFile(segment.path().toFile(), path.getStartEnd(), ENTRY_BYTES_MAX,
                    RaftServerConfigKeys.Log.CorruptionPolicy.EXCEPTION, null, e -> {
                        boolean more;
                        try {
                            more = visitor.visit(e);
                        } catch (IOException ex) {
                            throw new UncheckedIOException(ex);
                        }
                        if (!more) {
                            throw STOP;
                        }
                    });
        } catch (StopReading stop) {
            // the visitor has what it wanted
        } catch (UncheckedIOException e) {
            throw e.getCause();
        } catch (IllegalStateException e) { // Ratis' Preconditions: an entry out of sequence
            throw new IOException(segment.path() + ": " + e.getMessage(), e);
        }
    }

    /**
     * Decodes an entry's command and time. A state-machine entry that does not decode is an {@link IOException}:
     * replay must never skip an entry.
     */
    public static LoggedEntry decode(LogEntryProto e) throws IOException {
        if (!e.hasStateMachineLogEntry()) {
            return new LoggedEntry(e, null);
        }
        try {
            return new LoggedEntry(e, CommandCodec.decodeLogged(e.getStateMachineLogEntry().getLogData().toByteArray()));
        } catch (CorruptFrameException | IllegalArgumentException ex) {
            throw new IOException("log entry " + e.getTerm() + "_" + e.getIndex() + " is undecodable: "
                    + ex.getMessage(), ex);
        }
    }

    /** Ends a read early from inside Ratis' entry consumer; carries no stack trace. */
    private static final class StopReading extends RuntimeException {
        StopReading() {
            super(null, null, false, false);
        }
    }

    private static final StopReading STOP = new StopReading();
}
