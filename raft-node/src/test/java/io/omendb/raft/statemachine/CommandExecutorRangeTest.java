package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandCodec;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.GroupDir;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;

/**
 * Range checks on the apply path, on a real engine: a refused write changes nothing, a group's members are refused one
 * by one, entries from before descriptors and routes existed still apply, and replay rebuilds the descriptor.
 */
class CommandExecutorRangeTest {
    private static final RangeBounds RANGE = new RangeBounds(2, b("g"), b("p"), 3);

    @TempDir
    Path dir;

    @Test
    void refusedWritesChangeNothingAndAGroupsMembersAreDecidedAlone() throws Exception {
        ReplicaDescriptor d = new ReplicaDescriptor();
        try (StorageEngine engine = StorageEngine.open(dir.resolve("engine"), EngineOptions.defaults())) {
            apply(engine, d, null, new Command.SetDescriptor(RANGE), 1);
            assertEquals(RANGE, d.current());
            long engineIndex = engine.appliedIndex();
            CommandResult outside = apply(engine, d, new Route(2, 3), new Command.Put(b("x"), b("v")), 2);
            assertEquals(new CommandResult.Refused(2, new RangeRefusal(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, RANGE)),
                    outside);
            CommandResult stale = apply(engine, d, new Route(2, 2), new Command.Put(b("h"), b("v")), 3);
            assertEquals(RangeRefusal.Reason.STALE_EPOCH, ((CommandResult.Refused) stale).refusal().reason());
            assertNull(engine.get(b("x")));
            assertNull(engine.get(b("h")));
            assertEquals(engineIndex, engine.appliedIndex(), "refused entries did not reach the engine");

            CommandResult grouped = apply(engine, d, new Route(2, 3), new Command.Group(List.of(
                    new Command.Put(b("h"), b("1")), new Command.Put(b("z"), b("2")),
                    new Command.CompareAndSet(b("i"), null, b("3")))), 4);
            List<CommandResult> members = ((CommandResult.Grouped) grouped).results();
            assertInstanceOf(CommandResult.Written.class, members.get(0));
            assertInstanceOf(CommandResult.Refused.class, members.get(1));
            assertEquals(new CommandResult.CasOutcome(4, true, b("3")).succeeded(),
                    ((CommandResult.CasOutcome) members.get(2)).succeeded());
            assertArrayEquals(b("1"), engine.get(b("h")));
            assertNull(engine.get(b("z")));
        }
    }

    @Test
    void entriesFromBeforeRoutesApplyAndReplayRebuildsTheDescriptor() throws Exception {
        // a log as an older build wrote it (stamped, no route), then the upgrade's descriptor entry, then new entries
        List<byte[]> log = List.of(
                CommandCodec.stamp(CommandCodec.encode(new Command.Put(b("a"), b("old"))), 1, 0),
                CommandCodec.stamp(CommandCodec.encode(new Command.SetDescriptor(new RangeBounds(1, b(""), b("p"), 1))),
                        2, 1),
                CommandCodec.stamp(CommandCodec.encode(new Route(1, 1), new Command.Put(b("b"), b("new"))), 3, 2),
                CommandCodec.stamp(CommandCodec.encode(new Command.Put(b("q"), b("bare, outside"))), 4, 3));
        ReplicaDescriptor first = new ReplicaDescriptor();
        List<CommandResult> results;
        try (StorageEngine engine = StorageEngine.open(dir.resolve("engine"), EngineOptions.defaults())) {
            results = replay(engine, first, log);
            assertArrayEquals(b("old"), engine.get(b("a")), "an entry written before descriptors applies as before");
            assertNull(engine.get(b("q")), "a bare entry's key is still checked against the bounds");
            assertArrayEquals(b("new"), engine.get(b("b")));
        }
        assertInstanceOf(CommandResult.Refused.class, results.get(3));
        // a restart: the engine reopens at its durable index (3, its last write) and the log is replayed from the start
        // (no snapshot): the descriptor entry is applied again although the engine holds its index, so entry 4 is
        // decided on the same descriptor as the first time
        ReplicaDescriptor replayed = new ReplicaDescriptor();
        try (StorageEngine engine = StorageEngine.open(dir.resolve("engine"), EngineOptions.defaults())) {
            List<CommandResult> again = replay(engine, replayed, log);
            assertEquals(first.current(), replayed.current());
            assertInstanceOf(CommandResult.AlreadyApplied.class, again.get(2));
            assertEquals(results.get(3), again.get(3));
            assertNull(engine.get(b("q")));
        }
    }

    private List<CommandResult> replay(StorageEngine engine, ReplicaDescriptor d, List<byte[]> log)
            throws Exception {
        List<CommandResult> out = new ArrayList<>();
        for (int i = 0; i < log.size(); i++) {
            CommandCodec.Logged e = CommandCodec.decodeLogged(log.get(i));
            out.add(apply(engine, d, e.route(), e.command(), i + 1));
        }
        return out;
    }

    private CommandResult apply(StorageEngine engine, ReplicaDescriptor d, Route route, Command c, long index)
            throws Exception {
        return CommandExecutor.applyCommitted(engine, d, route, c, TermIndex.valueOf(1, index),
                GroupDir.of(dir.resolve("group")));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
