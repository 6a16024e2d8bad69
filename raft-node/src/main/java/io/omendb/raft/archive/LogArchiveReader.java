package io.omendb.raft.archive;

import io.omendb.raft.storage.NodeDataLayout;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.HashSet;
import java.util.List;
import java.util.Set;
import java.util.UUID;
import java.util.function.Consumer;

/**
 * Reads one range group's archived log (every node's copy merged) offline, in index order, for point-in-time
 * restore.
 *
 * <p><b>Merging.</b> Replicas archive at their own moments, so their files start and end at different indexes; for
 * any index any copy will do (committed entries are identical on every replica). The reader walks up from the
 * requested index, each time taking the intact file that covers the next index and reaches furthest; a damaged
 * file (size or SHA-256 differs from its sidecar, or an entry fails Ratis' CRC) is skipped with a warning when
 * another copy covers the same index, and is an error otherwise.
 *
 * <p><b>Gaps.</b> An index with no copy while files exist beyond it is a {@link GapException}: replaying past it
 * would produce a state that never existed. The end of the archive (no file at or beyond the index) is not an error:
 * the reader returns, and the caller decides whether the archive reached far enough.
 *
 * <p>Not thread-safe; reads only.
 */
public final class LogArchiveReader {
    private final Path groupDir;
    private final Consumer<String> warnings;

    /** The archive of {@code group} has no entry {@code from..to} while later entries exist. */
    public static final class GapException extends IOException {
        public GapException(String message) {
            super(message);
        }
    }

    public LogArchiveReader(Path archiveRoot, UUID group, Consumer<String> warnings) {
        this.groupDir = NodeDataLayout.archiveGroupDir(archiveRoot, group);
        this.warnings = warnings;
    }

    /**
     * Visits archived entries with index {@code >= from} in order, until the visitor says stop or the archive
     * ends; returns the last index visited ({@code from - 1} if none).
     */
    public long read(long from, RaftLogFiles.EntryVisitor visitor) throws IOException {
        List<ArchiveFiles.Archived> files = allFiles();
        Set<Path> damaged = new HashSet<>();
        Progress p = new Progress(from - 1);
        while (!p.stopped) {
            long want = p.lastVisited + 1;
            List<ArchiveFiles.Archived> covering = new ArrayList<>(files.stream()
                    .filter(f -> f.firstIndex() <= want && f.lastIndex() >= want && !damaged.contains(f.path()))
                    .toList());
            if (covering.isEmpty()) {
                if (files.stream().anyMatch(f -> f.firstIndex() <= want && f.lastIndex() >= want)) {
                    throw new IOException("no intact archived copy of entry " + want + " of group "
                            + groupDir.getFileName() + " (every copy is damaged, see the warnings above)");
                }
                long beyond = files.stream().mapToLong(ArchiveFiles.Archived::firstIndex).filter(i -> i > want).min()
                        .orElse(-1);
                if (beyond >= 0) {
                    throw new GapException("the log archive of group " + groupDir.getFileName() + " has no entries "
                            + want + ".." + (beyond - 1) + " (next archived entry: " + beyond + ")");
                }
                return p.lastVisited;
            }
            covering.sort(Comparator.comparingLong(ArchiveFiles.Archived::lastIndex).reversed());
            ArchiveFiles.Archived f = covering.get(0);
            try {
                ArchiveFiles.verify(f);
                readFile(f, p, visitor);
            } catch (VisitorFailure e) {
                throw e.cause;
            } catch (IOException e) {
                damaged.add(f.path());
                warnings.accept("skipping damaged archive file " + f.path() + ": " + e.getMessage());
            }
        }
        return p.lastVisited;
    }

    /** How far the visitor got; a damaged file's later entries are taken from another copy. */
    private static final class Progress {
        long lastVisited;
        boolean stopped;

        Progress(long lastVisited) {
            this.lastVisited = lastVisited;
        }
    }

    /** Entries of one verified file after {@code p.lastVisited}; the visitor's own failures are not the file's. */
    private static void readFile(ArchiveFiles.Archived f, Progress p, RaftLogFiles.EntryVisitor visitor)
            throws IOException {
        RaftLogFiles.read(new RaftLogFiles.Segment(f.path(), f.firstIndex(), f.lastIndex()), e -> {
            if (e.getIndex() <= p.lastVisited) {
                return true;
            }
            if (e.getIndex() != p.lastVisited + 1) {
                throw new IOException("archived log file " + f.path() + " jumps from entry " + p.lastVisited
                        + " to " + e.getIndex());
            }
            boolean more;
            try {
                more = visitor.visit(e);
            } catch (IOException ex) {
                throw new VisitorFailure(ex);
            }
            p.lastVisited = e.getIndex();
            p.stopped = !more;
            return more;
        });
        if (!p.stopped && p.lastVisited < f.lastIndex()) {
            throw new IOException("archived log file " + f.path() + " ends at entry " + p.lastVisited
                    + ", its name says " + f.lastIndex());
        }
    }

    private List<ArchiveFiles.Archived> allFiles() throws IOException {
        List<ArchiveFiles.Archived> out = new ArrayList<>();
        if (!Files.isDirectory(groupDir)) {
            return out;
        }
        try (DirectoryStream<Path> nodes = Files.newDirectoryStream(groupDir)) {
            for (Path n : nodes) {
                if (Files.isDirectory(n)) {
                    out.addAll(ArchiveFiles.list(n));
                }
            }
        }
        return out;
    }

    /** Carries an exception thrown by the caller's visitor through the file reader. */
    private static final class VisitorFailure extends IOException {
        final IOException cause;

        VisitorFailure(IOException cause) {
            super(cause);
            this.cause = cause;
        }
    }
}
