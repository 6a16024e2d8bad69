package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.GroupDir;
import io.omendb.storage.FileOps;
import io.omendb.storage.LoadedSegments;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.protocol.TermIndex;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Applies a {@link Command.Split} on one replica: the replica's engine is cut at the split key without copying a
 * record ({@link StorageEngine#splitOff}), the right half is staged for the new range's group ({@link StagedSplit}),
 * and the replica's descriptor becomes the left half. Every replica applies the split entry at the same index to the
 * same prefix of the log, so every replica stages the identical right half and records the identical left half.
 *
 * <p><b>Epochs.</b> Both halves get {@code max(route epoch, replica epoch) + 1}: above every epoch the range table
 * had for the parent (the route carries the table's epoch, which also counts membership changes), so every request
 * routed by the old table is refused with the new descriptor and re-routed.
 *
 * <p><b>Crash safety and replay.</b> The engine's split has one commit point (the right engine's manifest) and
 * leaves the left engine at durable index = the split's index. After a restart Ratis replays the log from the last
 * snapshot, and this class is called again for the split entry:
 * <ul>
 *   <li>the engine is below the split's index: the split did not commit (the engine's reopen removed the partial right
 *       engine): whatever is staged is deleted and the split is done again;</li>
 *   <li>the engine holds the split's index: the split committed: the record is written if missing, and the listener
 *       is told again (it starts the right group if this node does not host it yet);</li>
 *   <li>the staging directory is gone: the right group adopted it already; only the descriptor is rebuilt.</li>
 * </ul>
 * The descriptor is rebuilt in every case, as for {@link Command.SetDescriptor}.
 *
 * <p>Single writer: called on the group's apply thread only.
 */
final class RangeSplits {
    private static final Logger LOG = LoggerFactory.getLogger(RangeSplits.class);
    /** The index the right engine starts at: its group's first snapshot is {@code (term 0, index 0)}. */
    static final long RIGHT_START_INDEX = 0;

    private RangeSplits() {
    }

    static CommandResult apply(StorageEngine engine, ReplicaDescriptor descriptor, Route route, Command.Split split,
                               TermIndex at, GroupDir group, ShapeListener listener) throws IOException {
        long index = at.getIndex();
        RangeBounds current = descriptor.current();
        if (current == null) {
            LOG.warn("{}: split at entry {} ignored: this range's log records no descriptor yet", group.groupId(), index);
            return new CommandResult.AlreadyApplied(index);
        }
        boolean replay = index <= engine.appliedIndex();
        if (!replay) {
            RangeRefusal refusal = EpochCheck.route(current, route);
            if (refusal == null && !current.canSplitAt(split.splitKey())) {
                refusal = new RangeRefusal(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, current);
            }
            if (refusal != null) {
                return new CommandResult.Refused(index, refusal);
            }
        } else if (!current.canSplitAt(split.splitKey())) {
            return new CommandResult.AlreadyApplied(index); // refused when first applied: nothing to rebuild
        }
        long epoch = Math.max(route == null ? 0 : route.epoch(), current.epoch()) + 1;
        StagedSplit staged = new StagedSplit(split.newGroupId(),
                new RangeBounds(current.rangeId(), current.start(), split.splitKey(), epoch),
                new RangeBounds(split.newRangeId(), split.splitKey(), current.end(), epoch), index);
        Path staging = group.nodeLayout().splitStagingDir(split.newGroupId());
        boolean fsync = engine.options().fsyncEnabled();
        LoadedSegments rightSegments = LoadedSegments.NONE;
        if (!replay) {
            FileOps.deleteRecursively(staging); // a split a crash undid: its engine reopen removed the right half
            Files.createDirectories(staging.getParent());
            Files.createDirectories(staging);
            long startNanos = System.nanoTime();
            StorageEngine.SplitResult r = engine.splitOff(split.splitKey(), index, StagedSplit.engineDir(staging),
                    RIGHT_START_INDEX);
            staged.writeTo(staging, fsync);
            rightSegments = r.rightSegments();
            LOG.info("{}: split at entry {}: keeps {}, staged {} for group {} ({} segment files linked; flushed, "
                    + "linked and staged in {} ms)", group.groupId(), index, staged.left(), staged.right(),
                    split.newGroupId(), r.segmentsLinked(), (System.nanoTime() - startNanos) / 1_000_000);
        } else if (Files.isDirectory(StagedSplit.engineDir(staging)) && StagedSplit.readFrom(staging).isEmpty()) {
            staged.writeTo(staging, fsync);
        }
        descriptor.replace(staged.left());
        if (Files.isDirectory(staging)) {
            listener.splitApplied(RaftGroupId.valueOf(group.groupId()), staged, rightSegments);
        }
        return replay ? new CommandResult.AlreadyApplied(index) : new CommandResult.Written(index);
    }
}
