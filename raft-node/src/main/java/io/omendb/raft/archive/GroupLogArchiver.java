package io.omendb.raft.archive;

import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;
import java.util.function.LongSupplier;

/**
 * Archives one range replica's committed Raft log entries into the log archive ({@link ArchiveFiles}) so that a
 * point-in-time restore can replay them after the log itself is purged.
 *
 * <p><b>What and when.</b> {@link #archiveThrough(long)} copies every entry with index in
 * {@code (archivedIndex, committedIndex]} that the replica's log files hold into one new archive file per source
 * segment, reading them with Ratis' reader (checksums verified) and writing with Ratis' writer. The caller passes an
 * index it knows is committed (the state machine's applied index), so an uncommitted tail that a new leader may
 * still truncate is never archived; entries the node has applied but not yet flushed to its own log (a leader
 * commits on its followers' acknowledgements) are simply taken by the next pass. It runs on a timer
 * ({@code backup.log_archive_interval_ms}: the loss window if the whole cluster is lost) and, synchronously, before
 * every snapshot: Ratis purges the log only after a snapshot succeeds, and the state machine fails the snapshot when
 * archiving fails, so no entry is purged before it is archived.
 *
 * <p><b>Restart-safe and idempotent.</b> The archived index is recovered from the archive directory (files with a
 * sidecar); unfinished files are deleted and rewritten. Entries already archived are never written again.
 *
 * <p><b>Gaps.</b> If the log no longer holds the entry after the archived index (archiving was turned on late, or
 * this replica installed a snapshot from the leader instead of receiving entries), the pass starts at the first entry
 * it has, counts a gap and logs it: the other replicas' copies may cover it, and restore checks that the union of
 * all copies has no hole.
 *
 * <p><b>Threading.</b> Passes are serialized on this object (the timer thread and the group's apply thread call
 * it); the metrics are readable from any thread.
 */
public final class GroupLogArchiver {
    private static final Logger LOG = LoggerFactory.getLogger(GroupLogArchiver.class);

    private final Path logDir;
    private final Path archiveDir;
    private final int writeBufferBytes;
    private final LongSupplier clockMillis;
    private final AtomicLong archivedIndex = new AtomicLong(-1);
    private final AtomicLong lastPassMillis = new AtomicLong(-1);
    private final AtomicLong archivedBytes = new AtomicLong();
    private final AtomicLong gaps = new AtomicLong();
    private final AtomicLong failures = new AtomicLong();

    /**
     * @param logDir           the replica's Ratis log directory ({@code <group dir>/current})
     * @param archiveDir       this replica's archive directory ({@link ArchiveFiles#nodeDir})
     * @param writeBufferBytes buffer for writing archive files: at least the largest log entry plus 8 bytes
     */
    public GroupLogArchiver(Path logDir, Path archiveDir, int writeBufferBytes, LongSupplier clockMillis)
            throws IOException {
        this.logDir = logDir;
        this.archiveDir = archiveDir;
        this.writeBufferBytes = writeBufferBytes;
        this.clockMillis = clockMillis;
        ArchiveFiles.deleteUnfinished(archiveDir);
        List<ArchiveFiles.Archived> done = ArchiveFiles.list(archiveDir);
        if (!done.isEmpty()) {
            archivedIndex.set(done.get(done.size() - 1).lastIndex());
        }
    }

    /** Highest index archived by this replica (-1: none yet). */
    public long archivedIndex() {
        return archivedIndex.get();
    }

    /** Wall-clock time of the last successful pass (-1: none since start). */
    public long lastPassMillis() {
        return lastPassMillis.get();
    }

    public long archivedBytes() {
        return archivedBytes.get();
    }

    /** Times a pass found that its log no longer held the next entry to archive. */
    public long gaps() {
        return gaps.get();
    }

    /** Passes that failed (I/O error); the next pass retries. */
    public long failures() {
        return failures.get();
    }

    /**
     * Archives every entry up to {@code committedIndex} that the log holds and that is not archived yet; returns the
     * archived index. An {@link IOException} leaves the archive as it was (complete files only).
     */
    public synchronized long archiveThrough(long committedIndex) throws IOException {
        try {
            for (RaftLogFiles.Segment s : RaftLogFiles.list(logDir)) {
                if (archivedIndex.get() >= committedIndex || s.startIndex() > committedIndex) {
                    break;
                }
                if (s.endIndex() <= archivedIndex.get()) {
                    continue;
                }
                archiveSegment(s, committedIndex);
            }
        } catch (IOException | RuntimeException e) {
            failures.incrementAndGet();
            throw e instanceof IOException io ? io : new IOException(e);
        }
        lastPassMillis.set(clockMillis.getAsLong());
        return archivedIndex.get();
    }

    private void archiveSegment(RaftLogFiles.Segment s, long committedIndex) throws IOException {
        Pass pass = new Pass(committedIndex);
        try {
            RaftLogFiles.read(s, pass::visit);
        } catch (NoSuchFileException renamedOrPurged) {
            // an open segment was closed (renamed) meanwhile: keep what was read; the next pass goes on from there
        } catch (IOException e) {
            if (!s.open()) {
                pass.abort();
                throw e;
            }
            // Ratis is appending to this segment while we read it (bytes appeared after what looked like the
            // terminator): every entry read so far passed its checksum; the next pass reads the rest
            LOG.debug("Log archive {}: stopped reading the open segment {}: {}", archiveDir, s.path(), e.toString());
        } catch (RuntimeException e) {
            pass.abort();
            throw e;
        }
        pass.finish();
    }

    /** One archive file being filled from one segment. */
    private final class Pass {
        private final long committedIndex;
        private ArchiveFiles.Writer writer;

        Pass(long committedIndex) {
            this.committedIndex = committedIndex;
        }

        boolean visit(LogEntryProto e) throws IOException {
            long index = e.getIndex();
            if (index <= archivedIndex.get()) {
                return true;
            }
            if (index > committedIndex) {
                return false;
            }
            if (writer == null) {
                long expected = archivedIndex.get() + 1;
                if (archivedIndex.get() >= 0 && index != expected) {
                    gaps.incrementAndGet();
                    LOG.warn("Log archive {}: entries {}..{} are no longer in this replica's log; archiving from {} "
                            + "(other replicas' copies may hold them)", archiveDir, expected, index - 1, index);
                }
                writer = new ArchiveFiles.Writer(archiveDir, index, writeBufferBytes);
            }
            writer.write(e);
            return index < committedIndex;
        }

        void finish() throws IOException {
            if (writer == null) {
                return;
            }
            ArchiveFiles.Archived a = writer.finish();
            archivedBytes.addAndGet(a.sizeBytes());
            archivedIndex.set(a.lastIndex());
        }

        void abort() throws IOException {
            if (writer != null) {
                writer.abort();
            }
        }
    }
}
