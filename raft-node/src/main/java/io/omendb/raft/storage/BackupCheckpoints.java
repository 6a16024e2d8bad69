package io.omendb.raft.storage;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.command.Command;
import io.omendb.storage.FileOps;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * How a replica keeps the engine checkpoints taken for backups ({@link Command.Checkpoint}).
 *
 * <p><b>Layout.</b> {@link GroupDir#backupCheckpointDir}: the engine's hard-linked segment files and manifest plus a
 * {@link SnapshotDescriptor} (term and index of the checkpoint entry, the engine's index inside it, every file and its
 * size). A backup checkpoint is therefore a complete, verifiable snapshot directory: the restore tool installs it
 * unchanged as {@link GroupDir#snapshotDir}.
 *
 * <p><b>Guarantees.</b> The checkpoint is taken on the apply thread while applying the checkpoint entry, so it holds
 * exactly the effects of the entries before it. It is written by {@link SnapshotDescriptor#writeSnapshotDir} (built
 * under a temp name, renamed once fsynced): a directory under its final name is complete. Re-applying the entry (log
 * replay after a crash) rebuilds it from scratch. Hard links cost no data copy; the files stay pinned until
 * {@link #release} removes them.
 */
public final class BackupCheckpoints {
    private BackupCheckpoints() {
    }

    /** The checkpoint directory of backup {@code backupId} in a group directory. */
    public static Path dir(GroupDir group, String backupId) {
        new Command.Checkpoint(backupId); // validates the id: it becomes a path element
        return group.backupCheckpointDir(backupId);
    }

    /**
     * Checkpoints {@code engine} as the state after entry {@code at}, with the replica's range descriptor
     * {@code rangeOrNull} and merge fence at that entry; returns the descriptor written with it.
     */
    public static SnapshotDescriptor create(StorageEngine engine, GroupDir group, String backupId, TermIndex at,
                                            RangeBounds rangeOrNull, long mergeFence) throws IOException {
        Path target = dir(group, backupId);
        FileOps.deleteRecursively(target);
        return SnapshotDescriptor.writeSnapshotDir(engine, target, at, rangeOrNull, mergeFence);
    }

    /** Deletes the checkpoint of {@code backupId} in every group directory of {@code node}; returns how many. */
    public static int release(NodeDataLayout node, String backupId) throws IOException {
        int n = 0;
        for (GroupDir g : node.groups()) {
            Path d = dir(g, backupId);
            if (Files.exists(d)) {
                FileOps.deleteRecursively(d);
                n++;
            }
            FileOps.deleteRecursively(GroupDir.tmpOf(d));
        }
        return n;
    }
}
