package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.BackupCheckpoints;
import io.omendb.raft.storage.GroupDir;
import io.omendb.storage.LoadedSegments;
import io.omendb.storage.StorageEngine;
import io.omendb.storage.WriteBatch;

import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * Applies one decoded {@link Command} at a Raft index to a range's engine. Deterministic: the outcome depends only
 * on the engine contents and the command, so every replica decides a compare-and-set the same way. Called only by
 * the engine's single writer: the group's apply thread, or the backup tool replaying archived entries offline into
 * a restored engine ({@link #applyCommitted} is the one apply path for both, so a replayed store equals the live
 * one). An {@link IOException} means the engine failed; the caller must stop rather than skip the entry.
 *
 * <p><b>Range checks.</b> Before a write changes anything it is checked against the replica's descriptor at this
 * index ({@link EpochCheck}); a refused write is answered {@link CommandResult.Refused} and changes nothing, on every
 * replica alike. A group's members are checked one by one (the others still apply). Descriptor entries are applied even
 * when the engine already holds their index, so a replay rebuilds the descriptor ({@link ReplicaDescriptor}).
 */
public final class CommandExecutor {
    private CommandExecutor() {
    }

    /**
     * Applies the committed entry {@code at} unless the engine already holds it ({@code index <= appliedIndex}:
     * log replay after a restart, or an offline replay starting below the engine's index).
     *
     * @param descriptor the replica's descriptor (checked, and changed by descriptor entries)
     * @param route      what the entry's sender routed it by; null for entries sent without one
     * @param group      the replica's group directory (where {@link Command.Checkpoint} puts its files)
     */
    public static CommandResult applyCommitted(StorageEngine engine, ReplicaDescriptor descriptor, Route route,
                                               Command command, TermIndex at, GroupDir group) throws IOException {
        return applyCommitted(engine, descriptor, route, command, at, group, OFFLINE);
    }

    /**
     * Refuses to replay a split or a merge offline (the backup tool's replay into a restored range): the restored
     * layout has the ranges of the backup, not those the change makes. Restore to a time after a split or merge by
     * restoring a backup taken after it.
     */
    private static final ShapeListener OFFLINE = new ShapeListener() {
        @Override
        public void splitApplied(RaftGroupId parent, StagedSplit split, LoadedSegments rightSegments) {
            throw new IllegalStateException("the log of group " + parent + " splits it at entry " + split.splitIndex()
                    + "; an offline replay cannot follow a split: restore a backup taken after the split");
        }

        @Override
        public void mergeStep(RaftGroupId group, Command step, long index) {
            throw new IllegalStateException("the log of group " + group + " takes part in a range merge at entry "
                    + index + "; an offline replay cannot follow a merge: restore to a time before it, or a backup "
                    + "taken after it");
        }
    };

    /**
     * Same as {@link #applyCommitted(StorageEngine, ReplicaDescriptor, Route, Command, TermIndex, GroupDir)}, with
     * {@code splits} told of every split applied ({@link RangeSplits}).
     */
    public static CommandResult applyCommitted(StorageEngine engine, ReplicaDescriptor descriptor, Route route,
                                               Command command, TermIndex at, GroupDir group, ShapeListener splits)
            throws IOException {
        if (command instanceof Command.Split s) {
            return RangeSplits.apply(engine, descriptor, route, s, at, group, splits);
        }
        if (command instanceof Command.SetDescriptor d) {
            descriptor.recordIfAbsent(d.descriptor());
            return new CommandResult.Written(at.getIndex());
        }
        if (command instanceof Command.PrepareMerge p) {
            return RangeMerges.prepare(descriptor, route, p, at, RaftGroupId.valueOf(group.groupId()), splits);
        } else if (command instanceof Command.CommitMerge c) {
            return RangeMerges.commit(engine, descriptor, route, c, at, RaftGroupId.valueOf(group.groupId()), splits);
        } else if (command instanceof Command.MergeData m) {
            return RangeMerges.data(engine, descriptor, route, m, at.getIndex(), RaftGroupId.valueOf(group.groupId()));
        }
        if (at.getIndex() <= engine.appliedIndex()) {
            return new CommandResult.AlreadyApplied(at.getIndex());
        }
        RangeRefusal refusal = EpochCheck.command(descriptor.current(), route, command);
        if (refusal != null) {
            return new CommandResult.Refused(at.getIndex(), refusal);
        }
        return execute(engine, descriptor, command, at, group);
    }

    /**
     * @param descriptor the replica's descriptor, for members' checks and backup checkpoints
     * @param at         term and index of the entry being applied
     * @param group      the replica's group directory (where {@link Command.Checkpoint} puts its files)
     */
    private static CommandResult execute(StorageEngine engine, ReplicaDescriptor descriptor, Command command,
                                         TermIndex at, GroupDir group) throws IOException {
        long index = at.getIndex();
        RangeBounds bounds = descriptor.current();
        if (command instanceof Command.Put p) {
            engine.apply(new WriteBatch().put(p.key(), p.value()), index);
            return new CommandResult.Written(index);
        } else if (command instanceof Command.Delete d) {
            boolean existed = engine.get(d.key()) != null;
            engine.apply(new WriteBatch().delete(d.key()), index);
            return new CommandResult.Deleted(index, existed);
        } else if (command instanceof Command.Batch b) {
            applyBatch(engine, b, index);
            return new CommandResult.Written(index);
        } else if (command instanceof Command.CompareAndSet c) {
            return compareAndSet(engine, c, index);
        } else if (command instanceof Command.DeleteRange r) {
            engine.apply(new WriteBatch().deleteRange(r.start(), r.end()), index);
            return new CommandResult.Written(index);
        } else if (command instanceof Command.Maintain m) {
            maintain(engine, m.kind());
            return new CommandResult.Written(index);
        } else if (command instanceof Command.Checkpoint c) {
            BackupCheckpoints.create(engine, group, c.backupId(), at, bounds, descriptor.mergeFence());
            return new CommandResult.Written(index);
        } else if (command instanceof Command.Group g) {
            return applyGroup(engine, bounds, g, index);
        } else if (command instanceof Command.CompareAndSetAll all) {
            return compareAndSetAll(engine, all, index);
        }
        throw new IllegalArgumentException("unknown command " + command);
    }

    /**
     * Decides every member against the engine as it is before the group (members have distinct keys, so none can
     * see another's effect), then applies all effects as one atomic engine batch: the engine's durable index never
     * splits an entry, so replay after a crash finds a group either wholly applied or not at all. A member whose key
     * is outside the range is refused alone.
     */
    private static CommandResult applyGroup(StorageEngine engine, RangeBounds bounds, Command.Group g, long index)
            throws IOException {
        WriteBatch batch = new WriteBatch();
        List<CommandResult> results = new ArrayList<>(g.commands().size());
        for (Command member : g.commands()) {
            RangeRefusal refusal = EpochCheck.key(bounds, Command.singleKeyOf(member));
            if (refusal != null) {
                results.add(new CommandResult.Refused(index, refusal));
            } else if (member instanceof Command.Put p) {
                batch.put(p.key(), p.value());
                results.add(new CommandResult.Written(index));
            } else if (member instanceof Command.Delete d) {
                results.add(new CommandResult.Deleted(index, engine.get(d.key()) != null));
                batch.delete(d.key());
            } else if (member instanceof Command.CompareAndSet c) {
                byte[] current = engine.get(c.key());
                boolean matches = Arrays.equals(current, c.expected());
                if (matches) {
                    casEffect(batch, c);
                }
                results.add(new CommandResult.CasOutcome(index, matches, matches ? c.newValue() : current));
            } else {
                throw new IllegalArgumentException("a group cannot hold " + member);
            }
        }
        if (!batch.isEmpty()) {
            engine.apply(batch, index);
        }
        return new CommandResult.Grouped(index, results);
    }

    private static void casEffect(WriteBatch batch, Command.CompareAndSet c) {
        if (c.newValue() == null) {
            batch.delete(c.key());
        } else {
            batch.put(c.key(), c.newValue());
        }
    }

    private static void applyBatch(StorageEngine engine, Command.Batch b, long index) throws IOException {
        if (b.ops().isEmpty()) {
            return;
        }
        WriteBatch batch = new WriteBatch();
        for (WriteBatch.Op op : b.ops()) {
            if (op instanceof WriteBatch.Put p) {
                batch.put(p.key(), p.value());
            } else if (op instanceof WriteBatch.Delete d) {
                batch.delete(d.key());
            } else if (op instanceof WriteBatch.DeleteRange r) {
                batch.deleteRange(r.start(), r.end());
            }
        }
        engine.apply(batch, index);
    }

    private static CommandResult compareAndSet(StorageEngine engine, Command.CompareAndSet c, long index)
            throws IOException {
        byte[] current = engine.get(c.key());
        if (!Arrays.equals(current, c.expected())) {
            return new CommandResult.CasOutcome(index, false, current);
        }
        WriteBatch batch = new WriteBatch();
        casEffect(batch, c);
        engine.apply(batch, index);
        return new CommandResult.CasOutcome(index, true, c.newValue());
    }

    /** Every expectation is checked before any effect; all effects go into one engine batch, or none does. */
    private static CommandResult compareAndSetAll(StorageEngine engine, Command.CompareAndSetAll all, long index)
            throws IOException {
        for (Command.CompareAndSet c : all.members()) {
            if (!Arrays.equals(engine.get(c.key()), c.expected())) {
                return new CommandResult.CasOutcome(index, false, null);
            }
        }
        WriteBatch batch = new WriteBatch();
        all.members().forEach(c -> casEffect(batch, c));
        engine.apply(batch, index);
        return new CommandResult.CasOutcome(index, true, null);
    }

    private static void maintain(StorageEngine engine, Command.Maintenance kind) throws IOException {
        switch (kind) {
            case FLUSH -> engine.flush();
            case COMPACT -> engine.compact();
        }
    }
}
