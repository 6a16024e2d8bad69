package io.omendb.backup;

import io.omendb.raft.archive.GroupLogArchiver;
import io.omendb.raft.archive.RaftLogFiles;
import io.omendb.raft.meta.NodeMetadataStore;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.storage.SnapshotDescriptor;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.UUID;

/**
 * {@code backup --data-dir DIR archive-log}: archives a <b>stopped</b> node's committed Raft log entries into the
 * log archive with the archiver the running node uses ({@link GroupLogArchiver}, same layout, same files), e.g. a
 * surviving disk of a lost cluster whose last interval was not archived yet, so a point-in-time restore can reach
 * its last committed write. Committed means: at or below the highest commit index Ratis recorded in the log, or the
 * newest snapshot's index. Idempotent like the node's own passes. Also the rerunnable measurement of archiving
 * throughput (docs/BACKUP.md). The data dir is only read (under {@link NodeDirLock}).
 */
final class StoppedNodeArchiver {
    /** Write buffer of an archive file: the largest entry the reader accepts plus framing. */
    static final int WRITE_BUFFER_BYTES = RaftLogFiles.ENTRY_BYTES_MAX.getSizeInt() + 8;

    private final Path dataDir;
    private final NodeDataLayout node;
    private final Path archiveRoot;
    private final BackupTaker.Progress progress;
    private final String ifRunning;

    /** @param ifRunning what the operator must do when the node is found running */
    StoppedNodeArchiver(Path dataDir, Path archiveRoot, BackupTaker.Progress progress, String ifRunning) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.node = NodeDataLayout.of(this.dataDir);
        this.archiveRoot = archiveRoot.toAbsolutePath().normalize();
        this.progress = progress;
        this.ifRunning = ifRunning;
    }

    void run() throws BackupException {
        try (NodeDirLock lock = NodeDirLock.acquire(node, ifRunning)) {
            String nodeId = nodeId();
            long started = System.nanoTime();
            long entries = 0;
            long bytes = 0;
            int groups = 0;
            for (GroupDir g : node.groups()) {
                UUID group = g.groupId();
                Path logDir = g.logDir();
                long committed = Math.max(OfflineGroup.highestRecordedCommit(logDir),
                        OfflineGroup.newestSnapshot(g).map(SnapshotDescriptor::index).orElse(-1L));
                GroupLogArchiver a = new GroupLogArchiver(logDir,
                        NodeDataLayout.archiveNodeDir(archiveRoot, group, nodeId), WRITE_BUFFER_BYTES,
                        System::currentTimeMillis);
                long before = a.archivedIndex();
                a.archiveThrough(committed);
                entries += Math.max(0, a.archivedIndex() - before);
                bytes += a.archivedBytes();
                groups++;
                progress.line(String.format("group %s: archived through %d (committed %d)%s", group,
                        a.archivedIndex(), committed, a.gaps() > 0 ? "; GAP: the log no longer holds entries after "
                                + before : ""));
            }
            double secs = Math.max(1e-9, (System.nanoTime() - started) / 1e9);
            progress.line(String.format("archived %d entries (%d bytes) of %d groups of node %s in %.2f s "
                    + "(%.0f entries/s, %.1f MB/s) into %s", entries, bytes, groups, nodeId, secs, entries / secs,
                    bytes / 1e6 / secs, archiveRoot));
        } catch (IOException e) {
            throw BackupException.failed("archiving the log of " + dataDir + " failed: " + e.getMessage());
        }
    }

    private String nodeId() throws BackupException, IOException {
        Path meta = node.nodeMetaDir();
        if (!Files.isDirectory(meta)) {
            throw BackupException.usage(dataDir + " has no " + meta.getFileName() + "/ (not a node's data dir)");
        }
        try (NodeMetadataStore store = NodeMetadataStore.open(node)) {
            return store.identity().orElseThrow(() -> new IOException(meta + " records no node identity"))
                    .nodeId();
        }
    }
}
