package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.storage.CheckpointInfo;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Where and how a replica keeps the engine checkpoints taken for backups ({@link Command.Checkpoint}).
 *
 * <p><b>Layout.</b> {@code <data_dir>/raft/<group uuid>/backups/<backup id>/}: the engine's hard-linked segment files
 * and manifest plus a {@link SnapshotDescriptor} (term and index of the checkpoint entry, the engine's index inside
 * it, every file and its size). A backup checkpoint is therefore a complete, verifiable snapshot directory: the
 * restore tool installs it unchanged as {@code sm/snapshot.<term>_<index>/}.
 *
 * <p><b>Guarantees.</b> The checkpoint is taken on the apply thread while applying the checkpoint entry, so it holds
 * exactly the effects of the entries before it. It is built under {@code <id>.tmp} and renamed once its descriptor is
 * fsynced: a directory under its final name is complete. Re-applying the entry (log replay after a crash) rebuilds
 * it from scratch. Hard links cost no data copy; the files stay pinned until {@link #release} removes them.
 */
public final class BackupCheckpoints {
    static final String DIR = "backups";
    private static final String TMP_SUFFIX = ".tmp";

    private BackupCheckpoints() {
    }

    /** The group directory of range group {@code groupUuid} on the node whose data dir is {@code dataDir}. */
    public static Path groupDir(Path dataDir, UUID groupUuid) {
        return dataDir.resolve("raft").resolve(groupUuid.toString());
    }

    /** The checkpoint directory of backup {@code backupId} inside a group directory. */
    public static Path dir(Path groupDir, String backupId) {
        new Command.Checkpoint(backupId); // validates the id: it becomes a path element
        return groupDir.resolve(DIR).resolve(backupId);
    }

    /** Checkpoints {@code engine} as the state after entry {@code at}; returns the descriptor written with it. */
    static SnapshotDescriptor create(StorageEngine engine, Path groupDir, String backupId, TermIndex at)
            throws IOException {
        Path target = dir(groupDir, backupId);
        FileOps.deleteRecursively(target);
        return checkpointInto(engine, target, at);
    }

    /**
     * Writes a complete snapshot directory {@code target} (which must not exist): the engine's checkpoint plus a
     * descriptor naming {@code at}. Built under {@code <target>.tmp} and renamed once fsynced. Also used offline by
     * the backup tool for a replayed range (point-in-time restore, backups of a stopped node's data dir).
     */
    public static SnapshotDescriptor checkpointInto(StorageEngine engine, Path target, TermIndex at)
            throws IOException {
        Path tmp = target.resolveSibling(target.getFileName() + TMP_SUFFIX);
        FileOps.deleteRecursively(tmp);
        Files.createDirectories(tmp.getParent());
        CheckpointInfo cp = engine.checkpoint(tmp);
        List<SnapshotDescriptor.EngineFile> files = new ArrayList<>();
        for (String f : cp.files()) {
            files.add(new SnapshotDescriptor.EngineFile(f, Files.size(tmp.resolve(f))));
        }
        SnapshotDescriptor d = new SnapshotDescriptor(at.getTerm(), at.getIndex(), cp.appliedIndex(), files);
        d.writeTo(tmp);
        FileOps.fsyncDir(tmp);
        Files.move(tmp, target);
        FileOps.fsyncDir(target.getParent());
        return d;
    }

    /** Deletes the checkpoint of {@code backupId} in every group directory under {@code dataDir}; returns how many. */
    public static int release(Path dataDir, String backupId) throws IOException {
        Path raft = dataDir.resolve("raft");
        if (!Files.isDirectory(raft)) {
            return 0;
        }
        int n = 0;
        try (var groups = Files.newDirectoryStream(raft)) {
            for (Path g : groups) {
                Path d = dir(g, backupId);
                if (Files.exists(d)) {
                    FileOps.deleteRecursively(d);
                    n++;
                }
                FileOps.deleteRecursively(d.resolveSibling(backupId + TMP_SUFFIX));
            }
        }
        return n;
    }
}
