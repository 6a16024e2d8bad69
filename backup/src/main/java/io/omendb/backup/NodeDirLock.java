package io.omendb.backup;

import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

/**
 * Proof that no node is using a data directory: Ratis holds an exclusive lock on its lock file
 * ({@link GroupDir#lockFile}) in every group directory while the node runs; this takes the same locks (so the node
 * cannot start meanwhile either) and keeps them until {@link #close}. A lock that cannot be taken means the node is
 * running: a refusal (exit 2) whose message ends with the caller's advice ({@code ifRunning}: what the operator
 * must do, e.g. stop the node).
 */
final class NodeDirLock implements AutoCloseable {
    private final List<RandomAccessFile> files = new ArrayList<>();

    private NodeDirLock() {
    }

    /** Locks every group directory of {@code node}. */
    static NodeDirLock acquire(NodeDataLayout node, String ifRunning) throws BackupException {
        if (!Files.isDirectory(node.raftDir())) {
            throw BackupException.usage(node.dataDir() + " is not a node's data dir (no " + node.raftDir().getFileName()
                    + "/ directory)");
        }
        return acquireGroups(node, ifRunning);
    }

    /** Like {@link #acquire}, but a directory without Raft groups (absent, empty, ...) has nothing to lock. */
    static NodeDirLock acquireIfAny(NodeDataLayout node, String ifRunning) throws BackupException {
        return Files.isDirectory(node.raftDir()) ? acquireGroups(node, ifRunning) : new NodeDirLock();
    }

    private static NodeDirLock acquireGroups(NodeDataLayout node, String ifRunning) throws BackupException {
        NodeDirLock lock = new NodeDirLock();
        try {
            for (GroupDir g : node.groups()) {
                lock.lock(g.lockFile(), node.dataDir(), ifRunning);
            }
            return lock;
        } catch (IOException | BackupException | RuntimeException e) {
            lock.close();
            if (e instanceof BackupException b) {
                throw b;
            }
            throw BackupException.failed("cannot lock the groups in " + node.raftDir() + ": " + e.getMessage());
        }
    }

    private void lock(Path lockFile, Path dataDir, String ifRunning) throws IOException, BackupException {
        RandomAccessFile f = new RandomAccessFile(lockFile.toFile(), "rw");
        files.add(f);
        FileLock lock;
        try {
            lock = f.getChannel().tryLock();
        } catch (OverlappingFileLockException heldInThisJvm) {
            lock = null;
        }
        if (lock == null) {
            throw BackupException.usage("the node using " + dataDir + " is running (" + lockFile + " is locked): "
                    + ifRunning);
        }
    }

    /** Releases every lock (closing a file releases its lock). */
    @Override
    public void close() {
        for (RandomAccessFile f : files) {
            try {
                f.close();
            } catch (IOException e) {
                System.err.println("omendb backup: warning: cannot release " + f + ": " + e.getMessage());
            }
        }
        files.clear();
    }
}
