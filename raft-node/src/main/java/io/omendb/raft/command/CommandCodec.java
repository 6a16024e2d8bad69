package io.omendb.raft.command;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;
import io.omendb.storage.KeyValue;
import io.omendb.storage.WriteBatch;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The versioned binary encoding of {@link Command}s (as stored in the Raft log) and {@link CommandResult}s (as
 * sent back to clients), framed by {@link FrameWriter}/{@link FrameReader} with a CRC32C. Kinds are stable
 * wire numbers: never renumber, only add. Stateless and thread-safe.
 *
 * <p><b>Log entries carry a time.</b> Clients send a bare command frame; the leader wraps it, when it accepts the
 * request, in a stamped frame holding its wall-clock time ({@link #stamp}), and that is what the log stores.
 * Point-in-time restore replays archived entries up to a time, so every entry needs one, decided once by the leader
 * and replicated with the entry. {@link #decodeLogged} reads stamped entries, the time-only {@code STAMPED} frames
 * older builds wrote, and bare frames written before stamps existed ({@link #UNSTAMPED}). {@link #decode} refuses a
 * stamped frame: a client cannot choose the time of its own entry.
 *
 * <p><b>Log entries carry a committed index.</b> The same wrapper ({@code STAMPED_COMMITTED}) also holds an index
 * the leader knew committed when it accepted the command (its state machine's applied index). It replaces Ratis'
 * metadata entries (one extra log entry, fsync and replication round per commit; turned off in
 * {@code RatisSettings}) as the record that lets a <b>stopped</b> node's log be replayed offline up to a committed
 * point ({@code backup} of a stopped node). Why it is safe although the entry itself may never commit: every entry
 * up to that index is committed and is in the leader's log before this entry, and any log holding this entry (same
 * index and term) holds the leader's prefix (Raft's log matching), so its entries up to the recorded index are the
 * committed ones — even when the leader was a stale one. {@link #WITHOUT_COMMITTED} marks entries written before.
 *
 * <p><b>Commands carry a route.</b> A client wraps each command frame in a {@code ROUTED} frame naming the range id
 * and epoch its range table routed it by ({@link #encode(Route, Command)}, {@link #route}); the stamp wraps that, and
 * the replica checks it at apply time ({@code EpochCheck}). Frames without a route (logs written before routes
 * existed, older routers, the meta group's writes) decode with {@link Routed#route()} null: their keys are still
 * checked against the replica's bounds, their epoch is not.
 */
public final class CommandCodec {
    /** Upper bound on operations in one batch, checked when decoding. */
    public static final int BATCH_OPS_MAX = 1_000_000;
    /** Upper bound on members of one {@link Command.Group}, checked when decoding. */
    public static final int GROUP_COMMANDS_MAX = 100_000;

    private static final int PUT = 1;
    private static final int DELETE = 2;
    private static final int BATCH = 3;
    private static final int CAS = 4;
    private static final int DELETE_RANGE = 5;
    private static final int MAINTAIN = 6;
    private static final int CHECKPOINT = 7;
    private static final int STAMPED = 8;
    private static final int GROUP = 9;
    private static final int STAMPED_COMMITTED = 10;
    private static final int ROUTED = 11;
    private static final int SET_DESCRIPTOR = 12;
    private static final int SPLIT = 13;
    private static final int CAS_ALL = 14;
    private static final int PREPARE_MERGE = 15;
    private static final int MERGE_DATA = 16;
    private static final int COMMIT_MERGE = 17;

    /** {@link Logged#timestampMillis()} of an entry written before the leader stamped entries. */
    public static final long UNSTAMPED = -1;
    /** {@link Logged#committedIndex()} of an entry written before the leader recorded a committed index in it. */
    public static final long WITHOUT_COMMITTED = -1;

    private static final int OP_PUT = 1;
    private static final int OP_DELETE = 2;
    private static final int OP_DELETE_RANGE = 3;

    private static final int RESULT_WRITTEN = 101;
    private static final int RESULT_DELETED = 102;
    private static final int RESULT_CAS = 103;
    private static final int RESULT_ALREADY_APPLIED = 104;
    private static final int RESULT_GROUPED = 105;
    private static final int RESULT_REFUSED = 106;

    private CommandCodec() {
    }

    /**
     * A command as stored in a log entry.
     *
     * @param timestampMillis the leader's wall-clock time (ms since the epoch) when it accepted the command, or
     *                        {@link #UNSTAMPED}
     * @param committedIndex  a log index the leader knew committed when it accepted the command, or
     *                        {@link #WITHOUT_COMMITTED}
     */
    public record Logged(long timestampMillis, long committedIndex, Route route, Command command) {
    }

    /** A command with the route its sender chose ({@code route == null}: sent without one). */
    public record Routed(Route route, Command command) {
    }

    /** A client's frame: {@code command} routed by {@code route}. */
    public static byte[] encode(Route route, Command command) {
        return route(route, encode(command));
    }

    /** Wraps an (already validated) command frame with the route its sender chose. */
    public static byte[] route(Route route, byte[] commandFrame) {
        return new FrameWriter(ROUTED).writeVarLong(route.rangeId()).writeVarLong(route.epoch())
                .writeBytes(commandFrame).finish();
    }

    /** Decodes a client's frame: a routed command, or a bare one (route null). Refuses stamped frames. */
    public static Routed decodeRouted(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != ROUTED) {
            return new Routed(null, decode(frame));
        }
        Route route = readRoute(r);
        byte[] inner = r.readBytes();
        r.expectEnd();
        return new Routed(route, decode(inner));
    }

    static Route readRoute(FrameReader r) {
        long rangeId = r.readVarLong();
        long epoch = r.readVarLong();
        if (epoch < 0) {
            throw new CorruptFrameException("negative epoch " + epoch);
        }
        return new Route(rangeId, epoch);
    }

    /**
     * The log form of an (already validated) command frame: wrapped with the leader's time and an index it knows
     * committed.
     */
    public static byte[] stamp(byte[] commandFrame, long timestampMillis, long committedIndex) {
        if (timestampMillis < 0) {
            throw new IllegalArgumentException("timestamp must be >= 0, got " + timestampMillis);
        }
        if (committedIndex < 0) {
            throw new IllegalArgumentException("committed index must be >= 0, got " + committedIndex);
        }
        return new FrameWriter(STAMPED_COMMITTED).writeVarLong(timestampMillis).writeVarLong(committedIndex)
                .writeBytes(commandFrame).finish();
    }

    /**
     * Decodes the data of a log entry: a command stamped with a time and a committed index, one stamped with a time
     * only (written before committed indexes were recorded), or a bare one from before stamps existed.
     */
    public static Logged decodeLogged(byte[] logData) {
        FrameReader r = new FrameReader(logData);
        if (r.kind() != STAMPED && r.kind() != STAMPED_COMMITTED) {
            Routed bare = decodeRouted(logData);
            return new Logged(UNSTAMPED, WITHOUT_COMMITTED, bare.route(), bare.command());
        }
        long timestamp = r.readVarLong();
        long committed = r.kind() == STAMPED_COMMITTED ? r.readVarLong() : WITHOUT_COMMITTED;
        byte[] inner = r.readBytes();
        r.expectEnd();
        Routed routed = decodeRouted(inner);
        return new Logged(timestamp, committed, routed.route(), routed.command());
    }

    public static byte[] encode(Command command) {
        FrameWriter w = new FrameWriter(kindOf(command));
        writeFields(w, command);
        return w.finish();
    }

    private static int kindOf(Command command) {
        if (command instanceof Command.Put) {
            return PUT;
        } else if (command instanceof Command.Delete) {
            return DELETE;
        } else if (command instanceof Command.Batch) {
            return BATCH;
        } else if (command instanceof Command.CompareAndSet) {
            return CAS;
        } else if (command instanceof Command.DeleteRange) {
            return DELETE_RANGE;
        } else if (command instanceof Command.Maintain) {
            return MAINTAIN;
        } else if (command instanceof Command.Checkpoint) {
            return CHECKPOINT;
        } else if (command instanceof Command.Group) {
            return GROUP;
        } else if (command instanceof Command.SetDescriptor) {
            return SET_DESCRIPTOR;
        } else if (command instanceof Command.Split) {
            return SPLIT;
        } else if (command instanceof Command.CompareAndSetAll) {
            return CAS_ALL;
        } else if (command instanceof Command.PrepareMerge) {
            return PREPARE_MERGE;
        } else if (command instanceof Command.MergeData) {
            return MERGE_DATA;
        } else if (command instanceof Command.CommitMerge) {
            return COMMIT_MERGE;
        }
        throw new IllegalArgumentException("unknown command " + command);
    }

    /** A group's members are written as (kind byte, fields) without frames of their own: one CRC per entry. */
    private static void writeFields(FrameWriter w, Command command) {
        if (command instanceof Command.Put p) {
            w.writeBytes(p.key()).writeBytes(p.value());
        } else if (command instanceof Command.Delete d) {
            w.writeBytes(d.key());
        } else if (command instanceof Command.Batch b) {
            w.writeVarLong(b.ops().size());
            b.ops().forEach(op -> writeOp(w, op));
        } else if (command instanceof Command.CompareAndSet c) {
            w.writeBytes(c.key()).writeNullableBytes(c.expected()).writeNullableBytes(c.newValue());
        } else if (command instanceof Command.DeleteRange r) {
            w.writeBytes(r.start()).writeBytes(r.end());
        } else if (command instanceof Command.Maintain m) {
            w.writeByte(m.kind().ordinal());
        } else if (command instanceof Command.Checkpoint c) {
            w.writeBytes(c.backupId().getBytes(StandardCharsets.UTF_8));
        } else if (command instanceof Command.SetDescriptor d) {
            RangeBounds.write(w, d.descriptor());
        } else if (command instanceof Command.Split sp) {
            w.writeBytes(sp.splitKey()).writeVarLong(sp.newRangeId())
                    .writeVarLong(sp.newGroupId().getMostSignificantBits())
                    .writeVarLong(sp.newGroupId().getLeastSignificantBits());
        } else if (command instanceof Command.CompareAndSetAll all) {
            w.writeVarLong(all.members().size());
            all.members().forEach(c -> writeFields(w, c));
        } else if (command instanceof Command.PrepareMerge pm) {
            w.writeVarLong(pm.intoRangeId());
        } else if (command instanceof Command.MergeData md) {
            w.writeBytes(md.sourceStart()).writeNullableBytes(md.sourceEnd()).writeByte(md.first() ? 1 : 0)
                    .writeVarLong(md.records().size());
            md.records().forEach(kv -> w.writeBytes(kv.key()).writeBytes(kv.value()));
            w.writeVarLong(md.mergeId()).writeVarLong(md.deletes().size());
            md.deletes().forEach(w::writeBytes);
        } else if (command instanceof Command.CommitMerge cm) {
            RangeBounds.write(w, cm.merged()).writeBytes(cm.sourceStart());
        } else if (command instanceof Command.Group g) {
            w.writeVarLong(g.commands().size());
            for (Command member : g.commands()) {
                w.writeByte(kindOf(member));
                writeFields(w, member);
            }
        }
    }

    public static Command decode(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        Command c = readFields(r.kind(), r);
        r.expectEnd();
        return c;
    }

    private static Command readFields(int kind, FrameReader r) {
        return switch (kind) {
            case PUT -> new Command.Put(r.readBytes(), r.readBytes());
            case DELETE -> new Command.Delete(r.readBytes());
            case BATCH -> readBatch(r);
            case CAS -> new Command.CompareAndSet(r.readBytes(), r.readNullableBytes(), r.readNullableBytes());
            case DELETE_RANGE -> new Command.DeleteRange(r.readBytes(), r.readBytes());
            case MAINTAIN -> new Command.Maintain(maintenance(r.readByte()));
            case CHECKPOINT -> new Command.Checkpoint(new String(r.readBytes(), StandardCharsets.UTF_8));
            case GROUP -> readGroup(r);
            case SET_DESCRIPTOR -> new Command.SetDescriptor(RangeBounds.read(r));
            case SPLIT -> new Command.Split(r.readBytes(), r.readVarLong(), new UUID(r.readVarLong(), r.readVarLong()));
            case CAS_ALL -> readCompareAndSetAll(r);
            case PREPARE_MERGE -> new Command.PrepareMerge(r.readVarLong());
            case MERGE_DATA -> readMergeData(r);
            case COMMIT_MERGE -> new Command.CommitMerge(RangeBounds.read(r), r.readBytes());
            default -> throw new CorruptFrameException("unknown command kind " + kind);
        };
    }

    private static Command.Group readGroup(FrameReader r) {
        int n = r.readCount(GROUP_COMMANDS_MAX);
        List<Command> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = r.readByte();
            if (kind != PUT && kind != DELETE && kind != CAS) {
                throw new CorruptFrameException("command kind " + kind + " cannot be a group member");
            }
            members.add(readFields(kind, r));
        }
        return new Command.Group(members);
    }

    private static Command.MergeData readMergeData(FrameReader r) {
        byte[] start = r.readBytes();
        byte[] end = r.readNullableBytes();
        boolean first = r.readByte() != 0;
        int n = r.readCount(BATCH_OPS_MAX);
        List<KeyValue> records = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            records.add(new KeyValue(r.readBytes(), r.readBytes()));
        }
        if (r.atEnd()) {
            return new Command.MergeData(start, end, first, 0, records, List.of()); // logged before merge fences
        }
        long mergeId = r.readVarLong();
        int d = r.readCount(BATCH_OPS_MAX);
        List<byte[]> deletes = new ArrayList<>(d);
        for (int i = 0; i < d; i++) {
            deletes.add(r.readBytes());
        }
        return new Command.MergeData(start, end, first, mergeId, records, deletes);
    }

    private static Command.CompareAndSetAll readCompareAndSetAll(FrameReader r) {
        int n = r.readCount(GROUP_COMMANDS_MAX);
        List<Command.CompareAndSet> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            members.add((Command.CompareAndSet) readFields(CAS, r));
        }
        return new Command.CompareAndSetAll(members);
    }

    public static byte[] encodeResult(CommandResult result) {
        FrameWriter w = new FrameWriter(resultKindOf(result));
        writeResultFields(w, result);
        return w.finish();
    }

    private static int resultKindOf(CommandResult result) {
        if (result instanceof CommandResult.Written) {
            return RESULT_WRITTEN;
        } else if (result instanceof CommandResult.Deleted) {
            return RESULT_DELETED;
        } else if (result instanceof CommandResult.CasOutcome) {
            return RESULT_CAS;
        } else if (result instanceof CommandResult.AlreadyApplied) {
            return RESULT_ALREADY_APPLIED;
        } else if (result instanceof CommandResult.Grouped) {
            return RESULT_GROUPED;
        } else if (result instanceof CommandResult.Refused) {
            return RESULT_REFUSED;
        }
        throw new IllegalArgumentException("unknown result " + result);
    }

    private static void writeResultFields(FrameWriter w, CommandResult result) {
        w.writeVarLong(result.revision());
        if (result instanceof CommandResult.Deleted d) {
            w.writeBoolean(d.existed());
        } else if (result instanceof CommandResult.CasOutcome c) {
            w.writeBoolean(c.succeeded()).writeNullableBytes(c.current());
        } else if (result instanceof CommandResult.Refused f) {
            writeRefusal(w, f.refusal());
        } else if (result instanceof CommandResult.Grouped g) {
            w.writeVarLong(g.results().size());
            for (CommandResult member : g.results()) {
                w.writeByte(resultKindOf(member));
                writeResultFields(w, member);
            }
        }
    }

    public static CommandResult decodeResult(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        CommandResult result = readResultFields(r.kind(), r);
        r.expectEnd();
        return result;
    }

    private static CommandResult readResultFields(int kind, FrameReader r) {
        return switch (kind) {
            case RESULT_WRITTEN -> new CommandResult.Written(r.readVarLong());
            case RESULT_DELETED -> new CommandResult.Deleted(r.readVarLong(), r.readBoolean());
            case RESULT_CAS -> new CommandResult.CasOutcome(r.readVarLong(), r.readBoolean(), r.readNullableBytes());
            case RESULT_ALREADY_APPLIED -> new CommandResult.AlreadyApplied(r.readVarLong());
            case RESULT_GROUPED -> readGrouped(r);
            case RESULT_REFUSED -> new CommandResult.Refused(r.readVarLong(), readRefusal(r));
            default -> throw new CorruptFrameException("unknown result kind " + kind);
        };
    }

    private static CommandResult.Grouped readGrouped(FrameReader r) {
        long revision = r.readVarLong();
        int n = r.readCount(GROUP_COMMANDS_MAX);
        List<CommandResult> members = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            int kind = r.readByte();
            if (kind == RESULT_GROUPED) {
                throw new CorruptFrameException("a grouped result cannot nest another");
            }
            members.add(readResultFields(kind, r));
        }
        return new CommandResult.Grouped(revision, members);
    }

    static FrameWriter writeRefusal(FrameWriter w, RangeRefusal refusal) {
        return RangeBounds.write(w.writeByte(refusal.reason().ordinal()), refusal.current());
    }

    static RangeRefusal readRefusal(FrameReader r) {
        int reason = r.readByte();
        RangeRefusal.Reason[] all = RangeRefusal.Reason.values();
        if (reason >= all.length) {
            throw new CorruptFrameException("unknown refusal reason " + reason);
        }
        return new RangeRefusal(all[reason], RangeBounds.read(r));
    }

    private static void writeOp(FrameWriter w, WriteBatch.Op op) {
        if (op instanceof WriteBatch.Put p) {
            w.writeByte(OP_PUT).writeBytes(p.key()).writeBytes(p.value());
        } else if (op instanceof WriteBatch.Delete d) {
            w.writeByte(OP_DELETE).writeBytes(d.key());
        } else if (op instanceof WriteBatch.DeleteRange r) {
            w.writeByte(OP_DELETE_RANGE).writeBytes(r.start()).writeBytes(r.end());
        }
    }

    private static Command.Batch readBatch(FrameReader r) {
        int n = r.readCount(BATCH_OPS_MAX);
        List<WriteBatch.Op> ops = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            int tag = r.readByte();
            ops.add(switch (tag) {
                case OP_PUT -> new WriteBatch.Put(r.readBytes(), r.readBytes());
                case OP_DELETE -> new WriteBatch.Delete(r.readBytes());
                case OP_DELETE_RANGE -> new WriteBatch.DeleteRange(r.readBytes(), r.readBytes());
                default -> throw new CorruptFrameException("unknown batch op tag " + tag);
            });
        }
        return new Command.Batch(ops);
    }

    private static Command.Maintenance maintenance(int ordinal) {
        Command.Maintenance[] all = Command.Maintenance.values();
        if (ordinal >= all.length) {
            throw new CorruptFrameException("unknown maintenance kind " + ordinal);
        }
        return all[ordinal];
    }
}
