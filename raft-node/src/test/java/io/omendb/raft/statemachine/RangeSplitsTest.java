package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.KeyRange;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A split on the apply path, on a real engine in a node's data layout: the replica keeps the left half with a bumped
 * epoch, stages the right half (engine + record) and tells the node; stale or bad splits change nothing; a replay
 * after a restart rebuilds the descriptor, completes a missing record and tells the node again; and a
 * compare-and-set-all takes effect whole or not at all.
 */
class RangeSplitsTest {
    private static final RangeBounds RANGE = new RangeBounds(1, b(""), null, 4);
    private static final UUID RIGHT_GROUP = UUID.fromString("00000000-0000-0000-0000-0000000000aa");

    @TempDir
    Path dir;

    private final List<StagedSplit> told = new ArrayList<>();
    private final ShapeListener listener = (parent, split, segments) -> told.add(split);

    @Test
    void splitKeepsTheLeftHalfAndStagesTheRightOne() throws Exception {
        GroupDir group = NodeDataLayout.of(dir).group(UUID.randomUUID());
        ReplicaDescriptor d = new ReplicaDescriptor();
        Path staging = NodeDataLayout.of(dir).splitStagingDir(RIGHT_GROUP);
        Command.Split split = new Command.Split(b("m"), 2, RIGHT_GROUP);
        try (StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults())) {
            apply(engine, d, null, new Command.SetDescriptor(RANGE), 1, group);
            for (int i = 0; i < 26; i++) {
                apply(engine, d, new Route(1, 4), new Command.Put(b(String.valueOf((char) ('a' + i))), b("v" + i)),
                        2 + i, group);
            }
            CommandResult stale = apply(engine, d, new Route(1, 3), split, 30, group);
            assertEquals(RangeRefusal.Reason.STALE_EPOCH, ((CommandResult.Refused) stale).refusal().reason());
            CommandResult edge = apply(engine, d, new Route(1, 4), new Command.Split(b(""), 2, RIGHT_GROUP), 31,
                    group);
            assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, ((CommandResult.Refused) edge).refusal().reason());
            assertFalse(Files.exists(staging), "a refused split stages nothing");
            assertEquals(KeyRange.ALL, engine.range());

            assertEquals(new CommandResult.Written(32), apply(engine, d, new Route(1, 6), split, 32, group));
            RangeBounds left = new RangeBounds(1, b(""), b("m"), 7);
            RangeBounds right = new RangeBounds(2, b("m"), null, 7);
            assertEquals(left, d.current(), "epoch above the route's (6) and the replica's (4)");
            assertEquals(List.of(new StagedSplit(RIGHT_GROUP, left, right, 32)), told);
            assertEquals(new StagedSplit(RIGHT_GROUP, left, right, 32), StagedSplit.readFrom(staging).orElseThrow());
            assertNull(engine.get(b("x")), "the left engine no longer answers for the right half");
            assertArrayEquals(b("v0"), engine.get(b("a")));
            CommandResult outside = apply(engine, d, new Route(1, 7), new Command.Put(b("x"), b("late")), 33, group);
            assertInstanceOf(CommandResult.Refused.class, outside);
        }
        try (StorageEngine right = StorageEngine.open(StagedSplit.engineDir(staging), EngineOptions.defaults())) {
            assertArrayEquals(b("v23"), right.get(b("x")));
            assertNull(right.get(b("a")));
            assertEquals(RangeSplits.RIGHT_START_INDEX, right.appliedIndex());
        }

        // a restart that lost the record (a crash between the engine's commit and the record): the log is replayed
        Files.delete(staging.resolve(StagedSplit.RECORD_FILE));
        told.clear();
        ReplicaDescriptor replayed = new ReplicaDescriptor();
        try (StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults())) {
            apply(engine, replayed, null, new Command.SetDescriptor(RANGE), 1, group);
            assertEquals(new CommandResult.AlreadyApplied(32), apply(engine, replayed, new Route(1, 6), split, 32,
                    group));
            assertEquals(d.current(), replayed.current(), "the replay rebuilt the left descriptor");
            assertEquals(1, told.size(), "the node is told again, to start the right group if it has not");
            assertTrue(StagedSplit.readFrom(staging).isPresent(), "the record was written again");
        }
    }

    @Test
    void compareAndSetAllTakesEffectWholeOrNotAtAll() throws Exception {
        GroupDir group = NodeDataLayout.of(dir).group(UUID.randomUUID());
        ReplicaDescriptor d = new ReplicaDescriptor();
        try (StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults())) {
            apply(engine, d, null, new Command.Put(b("a"), b("1")), 1, group);
            Command.CompareAndSetAll mismatch = new Command.CompareAndSetAll(List.of(
                    new Command.CompareAndSet(b("a"), b("1"), b("2")), new Command.CompareAndSet(b("b"), b("x"), b("3"))));
            assertEquals(new CommandResult.CasOutcome(2, false, null), apply(engine, d, null, mismatch, 2, group));
            assertArrayEquals(b("1"), engine.get(b("a")), "no member took effect");
            Command.CompareAndSetAll matching = new Command.CompareAndSetAll(List.of(
                    new Command.CompareAndSet(b("a"), b("1"), b("2")), new Command.CompareAndSet(b("b"), null, b("3"))));
            assertEquals(new CommandResult.CasOutcome(3, true, null), apply(engine, d, null, matching, 3, group));
            assertArrayEquals(b("2"), engine.get(b("a")));
            assertArrayEquals(b("3"), engine.get(b("b")));
        }
    }

    private CommandResult apply(StorageEngine engine, ReplicaDescriptor d, Route route, Command c, long index,
                                GroupDir group) throws Exception {
        return CommandExecutor.applyCommitted(engine, d, route, c, TermIndex.valueOf(1, index), group, listener);
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
