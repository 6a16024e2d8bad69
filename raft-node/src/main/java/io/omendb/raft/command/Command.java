package io.omendb.raft.command;

import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.KeyValue;
import io.omendb.storage.WriteBatch;

import java.nio.ByteBuffer;
import java.util.HashSet;
import java.util.List;
import java.util.Objects;
import java.util.Set;
import java.util.UUID;

/**
 * A write replicated through a range's Raft log. Every command is applied on every replica, in log order, on
 * the group's single apply thread, so anything a command decides (a compare-and-set, whether a deleted key
 * existed) is decided identically everywhere. Encoded by {@link CommandCodec}.
 */
public sealed interface Command {
    record Put(byte[] key, byte[] value) implements Command {
        public Put {
            Objects.requireNonNull(key, "key");
            Objects.requireNonNull(value, "value");
        }
    }

    record Delete(byte[] key) implements Command {
        public Delete {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Applied atomically: readers see all of its operations or none. */
    record Batch(List<WriteBatch.Op> ops) implements Command {
        public Batch {
            ops = List.copyOf(ops);
        }
    }

    /**
     * Sets {@code key} to {@code newValue} (or deletes it when {@code newValue} is null) if and only if its current
     * value equals {@code expected} ({@code expected == null}: the key must be absent). Evaluated at apply time.
     */
    record CompareAndSet(byte[] key, byte[] expected, byte[] newValue) implements Command {
        public CompareAndSet {
            Objects.requireNonNull(key, "key");
        }
    }

    /** Deletes every key in {@code [start, end)}. */
    record DeleteRange(byte[] start, byte[] end) implements Command {
        public DeleteRange {
            Objects.requireNonNull(start, "start");
            Objects.requireNonNull(end, "end");
        }
    }

    /**
     * Several independent single-key writes committed as one Raft entry (group commit): one log append, one
     * replication round and one apply for all of them. Each member is decided and answered on its own, exactly as
     * if it had its own entry at this index; the engine applies all their effects atomically. Members are
     * {@link Put}, {@link Delete} or {@link CompareAndSet} on pairwise distinct keys, so no member can observe
     * another and the order inside the group never matters (and no two writes of one key share a revision).
     */
    record Group(List<Command> commands) implements Command {
        public Group {
            commands = List.copyOf(commands);
            if (commands.size() < 2) {
                throw new IllegalArgumentException("a group holds at least 2 commands, got " + commands.size());
            }
            Set<ByteBuffer> keys = new HashSet<>();
            for (Command c : commands) {
                byte[] key = singleKeyOf(c);
                if (key == null) {
                    throw new IllegalArgumentException("a group holds only put, delete and compare-and-set, not " + c);
                }
                if (!keys.add(ByteBuffer.wrap(key))) {
                    throw new IllegalArgumentException("a group's commands must have distinct keys");
                }
            }
        }
    }

    /** The key of a command that may join a {@link Group} (put, delete, compare-and-set); null for any other. */
    static byte[] singleKeyOf(Command c) {
        if (c instanceof Put p) {
            return p.key();
        } else if (c instanceof Delete d) {
            return d.key();
        } else if (c instanceof CompareAndSet cas) {
            return cas.key();
        }
        return null;
    }

    /** Engine maintenance on every replica, at the same point of the log. */
    record Maintain(Maintenance kind) implements Command {
        public Maintain {
            Objects.requireNonNull(kind, "kind");
        }
    }

    /**
     * Hard-links a consistent checkpoint of the range's engine, at exactly this log index, into the replica's
     * backup area ({@code <group dir>/backups/<backupId>/}) for the backup tool to copy. Applied on every replica,
     * so any replica that applied it can serve the files. {@code backupId} is also a directory name, hence
     * {@link #BACKUP_ID}: 1 to 100 characters of {@code [A-Za-z0-9._-]}, starting with a letter or digit.
     */
    record Checkpoint(String backupId) implements Command {
        public static final java.util.regex.Pattern BACKUP_ID =
                java.util.regex.Pattern.compile("[A-Za-z0-9][A-Za-z0-9._-]{0,99}");

        public Checkpoint {
            Objects.requireNonNull(backupId, "backupId");
            if (!BACKUP_ID.matcher(backupId).matches()) {
                throw new IllegalArgumentException("bad backup id '" + backupId + "': 1-100 of [A-Za-z0-9._-], "
                        + "starting with a letter or digit");
            }
        }
    }

    /**
     * Records the range's descriptor in the replica (its bounds and epoch, see {@code EpochCheck}) if it has none yet:
     * the first such entry of a range's log wins, later ones change nothing. Written once per range by a meta peer
     * after the range table exists ({@code RangeTableSeeder}); a range whose log has none (created before descriptors
     * existed, or not yet reached) accepts every key. Splits and merges will change the descriptor by commands of
     * their own, applied at one index on every replica.
     */
    record SetDescriptor(RangeBounds descriptor) implements Command {
        public SetDescriptor {
            Objects.requireNonNull(descriptor, "descriptor");
        }
    }

    /**
     * Splits the range at {@code splitKey}, by apply and without copying data: from this entry on, the replica owns
     * {@code [start, splitKey)} and a new range {@code newRangeId}, the Raft group {@code newGroupId} on the same
     * peers, owns {@code [splitKey, end)}; both descriptors get the epoch {@code max(route epoch, replica epoch) + 1},
     * so every request routed before the split is refused and re-routed. Every replica applies it at the same index to
     * the same prefix of the log, so every replica derives the identical right half ({@code RangeSplits}). Refused
     * ({@code KEY_OUTSIDE_RANGE}) unless {@code splitKey} cuts the replica's range into two non-empty halves; a
     * replica without a descriptor does not split (the proposer records one first).
     */
    record Split(byte[] splitKey, long newRangeId, UUID newGroupId) implements Command {
        public Split {
            Objects.requireNonNull(splitKey, "splitKey");
            Objects.requireNonNull(newGroupId, "newGroupId");
        }
    }

    /**
     * Compare-and-sets on pairwise distinct keys that take effect all together or not at all: decided against the
     * engine before any of them, answered as one {@link CommandResult.CasOutcome} (succeeded only when every
     * expectation held; no value). Used in the meta group to change several range descriptors as one step (a split
     * shrinks the parent and creates the right half), so the range table never has a gap or an overlap.
     */
    record CompareAndSetAll(List<CompareAndSet> members) implements Command {
        public CompareAndSetAll {
            members = List.copyOf(members);
            if (members.isEmpty()) {
                throw new IllegalArgumentException("compare-and-set-all needs at least one member");
            }
            Set<ByteBuffer> keys = new HashSet<>();
            for (CompareAndSet c : members) {
                if (!keys.add(ByteBuffer.wrap(c.key()))) {
                    throw new IllegalArgumentException("compare-and-set-all members must have distinct keys");
                }
            }
        }
    }

    /**
     * First step of merging this range (the source) into its left neighbour {@code intoRangeId} (the target): from this
     * entry on the replica's epoch is {@code max(route epoch, replica epoch) + 1}, above the range table's, so every
     * request routed by the table is refused as stale ({@code STALE_EPOCH}) and re-routed: the range takes no more
     * writes, and its records can be copied into the target ({@link MergeData}). Reads routed with the new epoch (the
     * merge's own copy) are answered. The range table decides the merge: it either replaces both ranges by the union
     * (the merge committed, {@link CommitMerge} follows on the target) or sets this range's epoch to the frozen one
     * (the merge was abandoned: requests routed by it are accepted again). Refused ({@code KEY_OUTSIDE_RANGE}) on a
     * replica without a descriptor.
     */
    record PrepareMerge(long intoRangeId) implements Command {
    }

    /**
     * Records of a merge source {@code [sourceStart, sourceEnd)} ({@code sourceEnd} null: unbounded), copied into this
     * range, the target, whose descriptor ends at {@code sourceStart}: {@code records} are written, {@code deletes}
     * (keys the source no longer holds, found by the merge's second pass) deleted. The first chunk of a merge widens
     * the engine to the source's end ({@code StorageEngine#widenTo}), deletes whatever an abandoned earlier merge left
     * there and makes {@code mergeId} the replica's merge fence: from then on only chunks of that merge are applied,
     * so a chunk of another merge of the same ranges (a concurrent one, or a late one of an abandoned merge) can never
     * overwrite what this merge copied. The records stay invisible (outside the replica's descriptor) until
     * {@link CommitMerge} widens the descriptor. Refused ({@code KEY_OUTSIDE_RANGE}) unless the target still ends where
     * the source starts, every key is in the source's range and the chunk is of the fenced merge or, a first chunk,
     * of a merge claimed after it ({@link #idOfClaim}; so the late first chunk of an abandoned merge cannot take the
     * target back from a later merge). {@code mergeId} 0 and no deletes: a chunk logged by a build before merge
     * fences; a positive {@code mergeId}: a random id, drawn by a build before ordered ids.
     */
    record MergeData(byte[] sourceStart, byte[] sourceEnd, boolean first, long mergeId, List<KeyValue> records,
                     List<byte[]> deletes) implements Command {
        public MergeData {
            Objects.requireNonNull(sourceStart, "sourceStart");
            records = List.copyOf(records);
            deletes = List.copyOf(deletes);
        }

        /**
         * The id of the merge whose claim on its target the meta group recorded at log index {@code claimIndex}.
         * Claims on one target follow each other in the meta group's log, so a merge claimed later has a later index;
         * ids are the index negated, so they never equal the random positive ids older builds logged, and of two merges
         * into one target the one claimed later has the smaller id.
         */
        public static long idOfClaim(long claimIndex) {
            if (claimIndex <= 0) {
                throw new IllegalArgumentException("claim index " + claimIndex + " is not a log index");
            }
            return -claimIndex;
        }
    }

    /**
     * Makes this range, the target of a merge the range table has recorded, own the union {@code merged}: its
     * descriptor ends at {@code sourceStart} now and becomes {@code merged} (same start, the source's end, a higher
     * epoch). Written after the table's compare-and-set, by the merge's proposer or by any node that finds the table
     * ahead of its replica. A replica whose descriptor is not the target's left part (already merged, or changed)
     * changes nothing.
     */
    record CommitMerge(RangeBounds merged, byte[] sourceStart) implements Command {
        public CommitMerge {
            Objects.requireNonNull(merged, "merged");
            Objects.requireNonNull(sourceStart, "sourceStart");
        }
    }

    enum Maintenance {
        /** Flush the memtable into a segment with a freshly trained model ({@code /admin/retrain-index}). */
        FLUSH,
        /** Full merge of all segments and retrain ({@code /admin/rebuild-index}). */
        COMPACT
    }
}
