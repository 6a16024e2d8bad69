package io.omendb.raft.command;

import io.omendb.storage.WriteBatch;

import java.util.List;
import java.util.Objects;

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

    enum Maintenance {
        /** Flush the memtable into a segment with a freshly trained model ({@code /admin/retrain-index}). */
        FLUSH,
        /** Full merge of all segments and retrain ({@code /admin/rebuild-index}). */
        COMPACT
    }
}
