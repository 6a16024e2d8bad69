package io.omendb.backup;

import java.io.IOException;
import java.io.RandomAccessFile;
import java.nio.channels.FileLock;
import java.nio.channels.OverlappingFileLockException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Proof that no node is using a data directory: Ratis holds an exclusive lock on {@code in_use.lock} in every group
 * directory while the node runs; this takes the same locks (so the node cannot start meanwhile either) and keeps
 * them until {@link #close}. A lock that cannot be taken means the node is running: a refusal (exit 2).
 */
final class NodeDirLock implements AutoCloseable {
    private final List<RandomAccessFile> files = new ArrayList<>();

    private NodeDirLock() {
    }

    /** Locks every group directory under {@code <dataDir>/raft}. */
    static NodeDirLock acquire(Path dataDir) throws BackupException {
        Path raft = dataDir.resolve("raft");
        if (!Files.isDirectory(raft)) {
            throw BackupException.usage(dataDir + " is not a node's data dir (no raft/ directory)");
        }
        NodeDirLock lock = new NodeDirLock();
        try (DirectoryStream<Path> groups = Files.newDirectoryStream(raft)) {
            for (Path g : groups) {
                if (Files.isDirectory(g) && isUuid(g.getFileName().toString())) {
                    lock.lock(g.resolve("in_use.lock"), dataDir);
                }
            }
            return lock;
        } catch (IOException | BackupException | RuntimeException e) {
            lock.close();
            if (e instanceof BackupException b) {
                throw b;
            }
            throw BackupException.failed("cannot lock the groups in " + raft + ": " + e.getMessage());
        }
    }

    private void lock(Path lockFile, Path dataDir) throws IOException, BackupException {
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
                    + "stop it first, or back up through --cluster");
        }
    }

    /** The group directories (named by their group UUID) under {@code <dataDir>/raft}. */
    static List<Path> groupDirs(Path dataDir) throws IOException {
        List<Path> out = new ArrayList<>();
        try (DirectoryStream<Path> groups = Files.newDirectoryStream(dataDir.resolve("raft"))) {
            for (Path g : groups) {
                if (Files.isDirectory(g) && isUuid(g.getFileName().toString())) {
                    out.add(g);
                }
            }
        }
        return out;
    }

    private static boolean isUuid(String s) {
        try {
            UUID.fromString(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
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
