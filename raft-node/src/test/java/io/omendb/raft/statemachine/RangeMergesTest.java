package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.KeyValue;
import io.omendb.storage.StorageEngine;
import org.apache.ratis.server.protocol.TermIndex;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Path;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * The merge commands on the apply path, on real engines: a frozen source refuses what the table routes to it; the
 * target takes the copied records invisibly, widens only at the commit, and clears what an abandoned merge left; a
 * replay after a restart gives the same descriptor and records; the offline replay refuses both merge steps.
 */
class RangeMergesTest {
    private static final RangeBounds LEFT = new RangeBounds(1, b(""), b("m"), 4);
    private static final RangeBounds RIGHT = new RangeBounds(2, b("m"), null, 5);
    /** The route of a request to the left range (the target), and the union its merges commit. */
    private static final Route TARGET_ROUTE = new Route(1, 4);
    private static final RangeBounds MERGED = new RangeBounds(1, b(""), null, 8);
    /** Ids of merges whose claims the meta group recorded at its entries 100 and 130. */
    private static final long MERGE_CLAIMED_AT_100 = Command.MergeData.idOfClaim(100);
    private static final long MERGE_CLAIMED_AT_130 = Command.MergeData.idOfClaim(130);

    @TempDir
    Path dir;

    private final ShapeListener live = (parent, split, segments) -> {
    };

    @Test
    void prepareFreezesTheSourceAgainstEveryRouteOfTheTable() throws Exception {
        GroupDir group = NodeDataLayout.of(dir).group(UUID.randomUUID());
        ReplicaDescriptor d = new ReplicaDescriptor();
        try (StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults())) {
            apply(engine, d, null, new Command.SetDescriptor(RIGHT), 1, group);
            apply(engine, d, new Route(2, 5), new Command.Put(b("n"), b("1")), 2, group);
            CommandResult stale = apply(engine, d, new Route(2, 4), new Command.PrepareMerge(1), 3, group);
            assertEquals(RangeRefusal.Reason.STALE_EPOCH, ((CommandResult.Refused) stale).refusal().reason());
            assertEquals(new CommandResult.Written(4), apply(engine, d, new Route(2, 6), new Command.PrepareMerge(1), 4,
                    group));
            assertEquals(new RangeBounds(2, b("m"), null, 7), d.current(), "above the route (6) and the replica (5)");
            CommandResult late = apply(engine, d, new Route(2, 6), new Command.Put(b("o"), b("2")), 5, group);
            assertEquals(RangeRefusal.Reason.STALE_EPOCH, ((CommandResult.Refused) late).refusal().reason());
            assertNull(engine.get(b("o")), "a frozen source takes no write routed by the table");
            assertInstanceOf(CommandResult.Written.class, apply(engine, d, new Route(2, 7),
                    new Command.Put(b("o"), b("3")), 6, group), "a table at the frozen epoch (abandoned) unfreezes it");
        }
    }

    @Test
    void targetTakesRecordsInvisiblyAndWidensAtTheCommit() throws Exception {
        GroupDir group = NodeDataLayout.of(dir).group(UUID.randomUUID());
        ReplicaDescriptor d = new ReplicaDescriptor();
        Route route = TARGET_ROUTE;
        RangeBounds merged = MERGED;
        try (StorageEngine engine = openTarget(group, d)) {
            apply(engine, d, route, new Command.Put(b("a"), b("left")), 2, group);
            // an abandoned merge's copy: visible to nobody, cleared by the next merge's first chunk
            apply(engine, d, route, data(true, 11, List.of(kv("stale", "x")), List.of()), 3, group);
            CommandResult outside = apply(engine, d, route, new Command.MergeData(b("m"), b("q"), true, 12,
                    List.of(kv("z", "1")), List.of()), 4, group);
            assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, ((CommandResult.Refused) outside).refusal().reason());
            CommandResult notAdjacent = apply(engine, d, route, new Command.MergeData(b("n"), null, true, 12,
                    List.of(kv("o", "1")), List.of()), 5, group);
            assertInstanceOf(CommandResult.Refused.class, notAdjacent);

            apply(engine, d, route, data(true, 12, List.of(kv("n", "1"), kv("p", "2"), kv("r", "gone")), List.of()), 6,
                    group);
            assertEquals(12, d.mergeFence(), "the first chunk fences the target to its merge");
            // a late chunk of the abandoned merge 11 must not overwrite what merge 12 copied
            CommandResult late = apply(engine, d, route, data(false, 11, List.of(kv("n", "old")), List.of()), 7, group);
            assertInstanceOf(CommandResult.Refused.class, late);
            // merge 12's catch-up: a changed record and a record the frozen source no longer holds
            apply(engine, d, route, data(false, 12, List.of(kv("q", "3")), List.of(b("r"))), 8, group);
            CommandResult deleteOutside = apply(engine, d, route, data(false, 12, List.of(), List.of(b("a"))), 9,
                    group);
            assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE,
                    ((CommandResult.Refused) deleteOutside).refusal().reason());
            assertEquals(LEFT, d.current(), "copied records do not widen the descriptor");
            CommandResult beforeCommit = apply(engine, d, route, new Command.Put(b("n"), b("w")), 10, group);
            assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE,
                    ((CommandResult.Refused) beforeCommit).refusal().reason());

            assertEquals(new CommandResult.Written(11), apply(engine, d, new Route(1, 8),
                    new Command.CommitMerge(merged, b("m")), 11, group));
            assertEquals(merged, d.current());
            assertInstanceOf(CommandResult.AlreadyApplied.class, apply(engine, d, new Route(1, 8),
                    new Command.CommitMerge(merged, b("m")), 12, group), "a second commit changes nothing");
            assertArrayEquals(b("1"), engine.get(b("n")));
            assertArrayEquals(b("3"), engine.get(b("q")));
            assertNull(engine.get(b("r")), "deleted by the catch-up");
            assertNull(engine.get(b("stale")), "the first chunk cleared the abandoned copy");
            assertEquals(List.of("a", "n", "p", "q"), engine.scan(b(""), null, 100).stream()
                    .map(e -> new String(e.key(), StandardCharsets.UTF_8)).toList());
        }

        // a restart replays the whole log on the reopened engine (whatever it flushed): same descriptor, same records
        ReplicaDescriptor replayed = new ReplicaDescriptor();
        try (StorageEngine engine = replayLog(group, replayed)) {
            assertEquals(merged, replayed.current());
            assertEquals(12, replayed.mergeFence(), "the fence is rebuilt by the replay, even of entries the engine "
                    + "held already");
            assertArrayEquals(b("2"), engine.get(b("p")));
            assertArrayEquals(b("1"), engine.get(b("n")));
            assertNull(engine.get(b("stale")));
            assertNull(engine.get(b("r")));
            assertNull(engine.get(b("w")));
        }
    }

    /**
     * The ordering the merge fence alone did not close: the first chunk of an abandoned merge (claimed first) reaches
     * the target's log only after a later merge's last chunk and before that merge's commit. It must be refused, so
     * the commit publishes the later merge's copy.
     */
    @Test
    void lateFirstChunkOfAnAbandonedMergeIsRefusedAfterALaterMergesCopy() throws Exception {
        Target t = new Target(NodeDataLayout.of(dir).group(UUID.randomUUID()));
        long abandoned = MERGE_CLAIMED_AT_100;
        long later = MERGE_CLAIMED_AT_130;
        try (StorageEngine engine = openTarget(t.group, t.d)) {
            // merge `later` (claimed after `abandoned` gave its claim up) copies, catches up, and is about to commit
            t.copy(engine, 2, true, later, "n", "1");
            t.copy(engine, 3, false, later, "p", "2");
            // the abandoned merge's first chunk, sent before `later` was claimed, lands now
            assertInstanceOf(CommandResult.Refused.class, t.copy(engine, 4, true, abandoned, "x", "old"),
                    "a first chunk of a merge claimed earlier");
            assertEquals(later, t.d.mergeFence());
            assertEquals(new CommandResult.AlreadyApplied(5), t.copy(engine, 5, true, later, "n", "again"),
                    "a repeated first chunk clears nothing");
            assertInstanceOf(CommandResult.Refused.class, t.copy(engine, 6, true, 11, "n", "older build"),
                    "a first chunk of an older build's merge");
            apply(engine, t.d, new Route(1, 8), new Command.CommitMerge(MERGED, b("m")), 7, t.group);
            assertEquals(MERGED, t.d.current());
            assertArrayEquals(b("1"), engine.get(b("n")), "the commit publishes the later merge's copy");
            assertArrayEquals(b("2"), engine.get(b("p")));
            assertNull(engine.get(b("x")));
        }
        ReplicaDescriptor replayed = new ReplicaDescriptor();
        try (StorageEngine engine = replayLog(t.group, replayed)) {
            assertEquals(later, replayed.mergeFence(), "the replay decides every chunk the same");
            assertArrayEquals(b("1"), engine.get(b("n")));
        }
    }

    /** A merge claimed later takes the target over, from a fence of this build or of an older one (random id). */
    @Test
    void mergeClaimedLaterRefencesTheTargetAndClearsTheAbandonedCopy() throws Exception {
        Target t = new Target(NodeDataLayout.of(dir).group(UUID.randomUUID()));
        try (StorageEngine engine = openTarget(t.group, t.d)) {
            t.copy(engine, 2, true, 11, "stale", "x");
            t.copy(engine, 3, true, MERGE_CLAIMED_AT_100, "n", "a");
            assertEquals(MERGE_CLAIMED_AT_100, t.d.mergeFence());
            t.copy(engine, 4, true, MERGE_CLAIMED_AT_130, "p", "b");
            assertEquals(MERGE_CLAIMED_AT_130, t.d.mergeFence(), "claimed later: takes the target over");
            assertInstanceOf(CommandResult.Refused.class, t.copy(engine, 5, false, MERGE_CLAIMED_AT_100, "q", "late"));
            assertNull(engine.get(b("stale")));
            assertNull(engine.get(b("n")), "cleared by the first chunk of the merge claimed later");
            assertArrayEquals(b("b"), engine.get(b("p")));
            assertNull(engine.get(b("q")));
        }
    }

    /** A merge's target replica: its group and descriptor, and chunks of one record copied into it. */
    private final class Target {
        final GroupDir group;
        final ReplicaDescriptor d = new ReplicaDescriptor();

        Target(GroupDir group) {
            this.group = group;
        }

        CommandResult copy(StorageEngine engine, long index, boolean first, long mergeId, String key, String value)
                throws Exception {
            return apply(engine, d, TARGET_ROUTE, data(first, mergeId, List.of(kv(key, value)), List.of()), index,
                    group);
        }
    }

    /** A chunk of the merge of the right range [m, ∞) into the left one, of merge {@code mergeId}. */
    private static Command.MergeData data(boolean first, long mergeId, List<KeyValue> puts, List<byte[]> deletes) {
        return new Command.MergeData(b("m"), null, first, mergeId, puts, deletes);
    }

    @Test
    void commitOnAnEngineThatNeverGotTheRecordsStopsTheGroup() throws Exception {
        GroupDir group = NodeDataLayout.of(dir).group(UUID.randomUUID());
        ReplicaDescriptor d = new ReplicaDescriptor();
        try (StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults(),
                null, new io.omendb.storage.KeyRange(b(""), b("m")))) {
            apply(engine, d, null, new Command.SetDescriptor(LEFT), 1, group);
            assertThrows(IllegalStateException.class, () -> apply(engine, d, new Route(1, 8),
                    new Command.CommitMerge(new RangeBounds(1, b(""), null, 8), b("m")), 2, group));
        }
    }

    @Test
    void offlineReplayRefusesBothMergeSteps() throws Exception {
        GroupDir group = NodeDataLayout.of(dir).group(UUID.randomUUID());
        ReplicaDescriptor d = new ReplicaDescriptor();
        try (StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults())) {
            CommandExecutor.applyCommitted(engine, d, null, new Command.SetDescriptor(RIGHT), TermIndex.valueOf(1, 1),
                    group);
            IllegalStateException e = assertThrows(IllegalStateException.class, () -> CommandExecutor.applyCommitted(
                    engine, d, new Route(2, 5), new Command.PrepareMerge(1), TermIndex.valueOf(1, 2), group));
            assertTrue(e.getMessage().contains("merge"), e.getMessage());
            assertThrows(IllegalStateException.class, () -> CommandExecutor.applyCommitted(engine, d, null,
                    new Command.CommitMerge(new RangeBounds(2, b("m"), null, 9), b("q")), TermIndex.valueOf(1, 3),
                    group));
        }
    }

    private record Entry(Route route, Command command, long index) {
    }

    private final List<Entry> log = new java.util.ArrayList<>();

    /** The left range's engine, its descriptor recorded at entry 1: a merge's target. */
    private StorageEngine openTarget(GroupDir group, ReplicaDescriptor d) throws Exception {
        StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults());
        apply(engine, d, null, new Command.SetDescriptor(LEFT), 1, group);
        return engine;
    }

    /** A restart: the whole log so far replayed on the reopened engine (whatever it flushed) into {@code into}. */
    private StorageEngine replayLog(GroupDir group, ReplicaDescriptor into) throws Exception {
        List<Entry> entries = List.copyOf(log);
        StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults());
        for (Entry e : entries) {
            apply(engine, into, e.route(), e.command(), e.index(), group);
        }
        return engine;
    }

    private CommandResult apply(StorageEngine engine, ReplicaDescriptor d, Route route, Command c, long index,
                                GroupDir group) throws Exception {
        log.add(new Entry(route, c, index));
        return CommandExecutor.applyCommitted(engine, d, route, c, TermIndex.valueOf(1, index), group, live);
    }

    private static KeyValue kv(String k, String v) {
        return new KeyValue(b(k), b(v));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
