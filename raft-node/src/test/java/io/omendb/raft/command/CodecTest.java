package io.omendb.raft.command;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameWriter;
import io.omendb.storage.EngineStats;
import io.omendb.storage.KeyValue;
import io.omendb.storage.WriteBatch;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.Arrays;
import java.util.List;
import java.util.Random;
import java.util.UUID;
import java.util.function.Function;

import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;
import static org.junit.jupiter.api.Assertions.assertThrows;

class CodecTest {
    private static final long SEED = 20240611L;
    private static final RangeRefusal REFUSAL = new RangeRefusal(RangeRefusal.Reason.KEY_OUTSIDE_RANGE,
            new RangeBounds(2, b("g"), b("p"), 5));

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    private static List<Command> commands() {
        Random random = new Random(SEED);
        byte[] big = new byte[70_000];
        random.nextBytes(big);
        return List.of(
                new Command.Put(b("k"), b("v")),
                new Command.Put(new byte[0], new byte[0]),
                new Command.Put(b("big"), big),
                new Command.Delete(b("gone")),
                new Command.Batch(List.of(new WriteBatch.Put(b("a"), b("1")), new WriteBatch.Delete(b("b")),
                        new WriteBatch.DeleteRange(b("c"), b("d")))),
                new Command.Batch(List.of()),
                new Command.CompareAndSet(b("k"), null, b("new")),
                new Command.CompareAndSet(b("k"), b("old"), null),
                new Command.CompareAndSet(b("k"), new byte[0], new byte[0]),
                new Command.DeleteRange(b("a"), b("z")),
                new Command.Maintain(Command.Maintenance.FLUSH),
                new Command.Maintain(Command.Maintenance.COMPACT),
                new Command.SetDescriptor(new RangeBounds(3, b("g"), b("p"), 7)),
                new Command.SetDescriptor(new RangeBounds(0, new byte[0], null, 0)),
                new Command.Split(b("m"), 7, java.util.UUID.randomUUID()),
                new Command.Split(b("m"), Long.MAX_VALUE, new java.util.UUID(-1, Long.MIN_VALUE)),
                new Command.PrepareMerge(4),
                new Command.MergeData(b("m"), null, true, 0, List.of(), List.of()),
                new Command.MergeData(b("m"), b("q"), false, Long.MAX_VALUE, List.of(new KeyValue(b("n"), b("1")),
                        new KeyValue(b("o"), new byte[0])), List.of(b("p"), b("pp"))),
                new Command.MergeData(b("m"), null, true, Command.MergeData.idOfClaim(Long.MAX_VALUE), List.of(),
                        List.of()),
                new Command.CommitMerge(new RangeBounds(3, b("g"), null, 9), b("p")),
                new Command.CompareAndSetAll(List.of(new Command.CompareAndSet(b("a"), b("1"), b("2")),
                        new Command.CompareAndSet(b("b"), null, b("3")))),
                new Command.Group(List.of(new Command.Put(b("g1"), b("v")), new Command.Delete(b("g2")),
                        new Command.CompareAndSet(b("g3"), null, b("x")), new Command.CompareAndSet(b("g4"), b("y"), null))));
    }

    @Test
    void everyCommandRoundTrips() {
        for (Command c : commands()) {
            byte[] frame = CommandCodec.encode(c);
            assertArrayEquals(frame, CommandCodec.encode(CommandCodec.decode(frame)), c.toString());
        }
        Command.CompareAndSet cas = (Command.CompareAndSet) CommandCodec.decode(
                CommandCodec.encode(new Command.CompareAndSet(b("k"), null, b("x"))));
        assertEquals(null, cas.expected());
        assertArrayEquals(b("x"), cas.newValue());
    }

    @Test
    void everyResultAndQueryRoundTrips() {
        List<CommandResult> results = List.of(new CommandResult.Written(7), new CommandResult.Deleted(8, true),
                new CommandResult.CasOutcome(9, false, null), new CommandResult.CasOutcome(10, true, b("v")),
                new CommandResult.AlreadyApplied(Long.MAX_VALUE),
                new CommandResult.Grouped(11, List.of(new CommandResult.Written(11), new CommandResult.Deleted(11, false),
                        new CommandResult.CasOutcome(11, true, b("x")), new CommandResult.Refused(11, REFUSAL))),
                new CommandResult.Refused(12, new RangeRefusal(RangeRefusal.Reason.STALE_EPOCH,
                        new RangeBounds(4, b("p"), null, 9))));
        for (CommandResult r : results) {
            byte[] frame = CommandCodec.encodeResult(r);
            assertArrayEquals(frame, CommandCodec.encodeResult(CommandCodec.decodeResult(frame)), r.toString());
        }
        List<Query> queries = List.of(new Query.MedianKey(), new Query.Size(), new Query.HostedReplicas(),
                new Query.MergeSource(b("m"), 1024, false), new Query.MergeSource(b("m"), 7, true),
                new Query.MergeCopied(b("m"), null, 4096, true), new Query.MergeCopied(b("m"), b("q"), 1, false),
                new Query.MergeRecords(List.of(b("n"), b("p"))), new Query.Get(b("k")), new Query.MultiGet(List.of(b("a"), b("b"), b("a"))), new Query.Scan(b("a"), null, 10),
                new Query.Scan(new byte[0], b("z"), 1), new Query.Status(), new Query.Digest(), new Query.Describe(),
                new Query.Forward(new Command.Put(b("k"), b("v"))), new Query.Forward(new Command.Group(List.of(
                        new Command.Put(b("a"), b("1")), new Command.CompareAndSet(b("b"), null, b("2"))))));
        for (Query q : queries) {
            byte[] frame = QueryCodec.encode(q);
            assertArrayEquals(frame, QueryCodec.encode(QueryCodec.decode(frame)), q.toString());
        }
        List<QueryResult> answers = List.of(new QueryResult.Value(null, 3), new QueryResult.Value(b("v"), 4),
                new QueryResult.Values(Arrays.asList(b("x"), null, new byte[0]), 4),
                new QueryResult.ScanPage(List.of(new KeyValue(b("a"), b("1")), new KeyValue(b("b"), new byte[0])), 5),
                new QueryResult.Status(new EngineStats(2, 100, 5, 7, 1.5, 9, 1000, 4096, 31.2, 11, 10), 12),
                new QueryResult.Digest(new byte[32], 13), new QueryResult.Forwarded(new CommandResult.Written(14), 14),
                new QueryResult.Forwarded(null, 0), new QueryResult.Refused(REFUSAL, 15),
                new QueryResult.Described(null, 16), new QueryResult.Described(REFUSAL.current(), 17),
                new QueryResult.Size(1L << 33, 2500.5, 18), new QueryResult.HostedReplicas(List.of(), 19),
                new QueryResult.HostedReplicas(List.of(new QueryResult.HostedReplica(new UUID(-1, 7), "LEADER", 20,
                        new EngineStats(2, 100, 5, 7, 1.5, 9, 1000, 4096, 31.2, 11, 10), 1L << 33, 12.5),
                        new QueryResult.HostedReplica(UUID.randomUUID(), "FOLLOWER", 0, null, 0, 0)), 21));
        for (QueryResult a : answers) {
            byte[] frame = QueryCodec.encodeResult(a);
            assertArrayEquals(frame, QueryCodec.encodeResult(QueryCodec.decodeResult(frame)), a.toString());
        }
    }

    @Test
    void everyFlippedByteIsDetected() {
        for (Command c : commands()) {
            assertEveryFlipDetected(CommandCodec.encode(c), CommandCodec::decode);
        }
        assertEveryFlipDetected(CommandCodec.encodeResult(new CommandResult.CasOutcome(1, true, b("v"))),
                CommandCodec::decodeResult);
        assertEveryFlipDetected(QueryCodec.encode(new Query.Scan(b("a"), b("b"), 5)), QueryCodec::decode);
    }

    private static void assertEveryFlipDetected(byte[] frame, Function<byte[], ?> decoder) {
        int step = Math.max(1, frame.length / 512);
        for (int i = 0; i < frame.length; i += step) {
            for (int bit = 0; bit < 8; bit += 3) {
                byte[] corrupt = frame.clone();
                corrupt[i] ^= (byte) (1 << bit);
                int at = i;
                assertThrows(CorruptFrameException.class, () -> decoder.apply(corrupt), "flip at byte " + at);
            }
        }
    }

    @Test
    void groupsHoldOnlyDistinctSingleKeyWrites() {
        Command put = new Command.Put(b("k"), b("v"));
        assertThrows(IllegalArgumentException.class, () -> new Command.Group(List.of(put)));
        assertThrows(IllegalArgumentException.class, () -> new Command.Group(List.of(put, new Command.Delete(b("k")))));
        assertThrows(IllegalArgumentException.class, () -> new Command.Group(List.of(put,
                new Command.DeleteRange(b("a"), b("b")))));
        // a frame claiming a group (kind 9) with a batch member (kind 3) is refused when decoded
        byte[] forged = new FrameWriter(9).writeVarLong(2).writeByte(1).writeBytes(b("k"))
                .writeBytes(b("v")).writeByte(3).writeVarLong(0).finish();
        assertThrows(CorruptFrameException.class, () -> CommandCodec.decode(forged));
        // duplicate keys in a decoded group: refused as well (the leader's startTransaction rejects the entry)
        byte[] duplicate = new FrameWriter(9).writeVarLong(2).writeByte(1).writeBytes(b("k"))
                .writeBytes(b("v")).writeByte(2).writeBytes(b("k")).finish();
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.decode(duplicate));
    }

    @Test
    void onlySingleKeyWritesAreForwarded() {
        assertThrows(IllegalArgumentException.class, () -> new Query.Forward(new Command.DeleteRange(b("a"), b("b"))));
        byte[] batch = QueryCodec.forward(CommandCodec.encode(new Command.Batch(List.of())));
        assertThrows(CorruptFrameException.class, () -> QueryCodec.decode(batch));
        assertEveryFlipDetected(QueryCodec.forward(CommandCodec.encode(new Command.Put(b("k"), b("v")))),
                QueryCodec::decode);
    }

    @Test
    void truncatedAndForeignFramesAreRefused() {
        byte[] frame = CommandCodec.encode(new Command.Put(b("k"), b("v")));
        for (int len = 0; len < frame.length; len++) {
            byte[] cut = Arrays.copyOf(frame, len);
            assertThrows(CorruptFrameException.class, () -> CommandCodec.decode(cut), "length " + len);
        }
        byte[] result = CommandCodec.encodeResult(new CommandResult.Written(1));
        assertThrows(CorruptFrameException.class, () -> CommandCodec.decode(result));
    }

    @Test
    void stampedLogDataCarriesTheTimeAndCommittedIndexAndOlderFormsStillDecode() {
        for (Command c : commands()) {
            byte[] frame = CommandCodec.encode(c);
            CommandCodec.Logged stamped = CommandCodec.decodeLogged(
                    CommandCodec.stamp(frame, 1_764_000_000_123L, 4_000_000_000L));
            assertEquals(1_764_000_000_123L, stamped.timestampMillis(), c.toString());
            assertEquals(4_000_000_000L, stamped.committedIndex(), c.toString());
            assertArrayEquals(frame, CommandCodec.encode(stamped.command()), c.toString());
            // kind 8: stamped with the time only, as leaders wrote entries before committed indexes were recorded
            CommandCodec.Logged timeOnly = CommandCodec.decodeLogged(
                    new FrameWriter(8).writeVarLong(77).writeBytes(frame).finish());
            assertEquals(77, timeOnly.timestampMillis(), c.toString());
            assertEquals(CommandCodec.WITHOUT_COMMITTED, timeOnly.committedIndex(), c.toString());
            assertArrayEquals(frame, CommandCodec.encode(timeOnly.command()), c.toString());
            CommandCodec.Logged bare = CommandCodec.decodeLogged(frame);
            assertEquals(CommandCodec.UNSTAMPED, bare.timestampMillis(), "a frame from before stamps existed");
            assertEquals(CommandCodec.WITHOUT_COMMITTED, bare.committedIndex(), c.toString());
            assertArrayEquals(frame, CommandCodec.encode(bare.command()), c.toString());
        }
        byte[] stamped = CommandCodec.stamp(CommandCodec.encode(new Command.Delete(b("k"))), 5, 3);
        assertThrows(CorruptFrameException.class, () -> CommandCodec.decode(stamped),
                "a client cannot send a command with its own stamp");
        assertEveryFlipDetected(stamped, CommandCodec::decodeLogged);
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.stamp(new byte[0], -1, 0));
        assertThrows(IllegalArgumentException.class, () -> CommandCodec.stamp(new byte[0], 0, -1));
    }

    @Test
    void routedCommandsCarryTheirRouteIntoTheLogAndBareOnesDecodeWithout() {
        Route route = new Route(3, 7);
        for (Command c : commands()) {
            byte[] frame = CommandCodec.encode(c);
            byte[] routed = CommandCodec.encode(route, c);
            CommandCodec.Routed decoded = CommandCodec.decodeRouted(routed);
            assertEquals(route, decoded.route(), c.toString());
            assertArrayEquals(frame, CommandCodec.encode(decoded.command()), c.toString());
            assertNull(CommandCodec.decodeRouted(frame).route(), "a frame from an older router");
            CommandCodec.Logged logged = CommandCodec.decodeLogged(CommandCodec.stamp(routed, 5, 4));
            assertEquals(route, logged.route(), c.toString());
            assertEquals(5, logged.timestampMillis());
            assertArrayEquals(frame, CommandCodec.encode(logged.command()), c.toString());
            assertNull(CommandCodec.decodeLogged(CommandCodec.stamp(frame, 5, 4)).route(), c.toString());
            assertThrows(CorruptFrameException.class, () -> CommandCodec.decode(routed),
                    "a routed frame is not a bare command");
        }
        assertEveryFlipDetected(CommandCodec.encode(route, new Command.Put(b("k"), b("v"))),
                CommandCodec::decodeRouted);
    }

    /**
     * A log entry exactly as builds before routes wrote it, assembled from the documented frame format (kind 10: time,
     * committed index, inner frame; inner kind 1: key, value) rather than by today's encoder: it still decodes,
     * without a route.
     */
    @Test
    void aLogEntryOfTheOlderFormatStillDecodes() {
        byte[] put = new FrameWriter(1).writeBytes(b("k")).writeBytes(b("v")).finish();
        byte[] entry = new FrameWriter(10).writeVarLong(1_764_000_000_000L).writeVarLong(41).writeBytes(put).finish();
        CommandCodec.Logged logged = CommandCodec.decodeLogged(entry);
        assertNull(logged.route());
        assertEquals(41, logged.committedIndex());
        Command.Put p = (Command.Put) logged.command();
        assertArrayEquals(b("k"), p.key());
        assertArrayEquals(b("v"), p.value());
    }

    @Test
    void routedQueriesCarryTheirRouteAndBareOnesDecodeWithout() {
        Route route = new Route(1, 0);
        Query q = new Query.MultiGet(List.of(b("a"), b("b")));
        QueryCodec.Routed routed = QueryCodec.decodeRouted(QueryCodec.encode(route, q));
        assertEquals(route, routed.route());
        assertArrayEquals(QueryCodec.encode(q), QueryCodec.encode(routed.query()));
        assertNull(QueryCodec.decodeRouted(QueryCodec.encode(q)).route());
        assertEveryFlipDetected(QueryCodec.encode(route, q), QueryCodec::decodeRouted);
        assertEveryFlipDetected(QueryCodec.encodeResult(new QueryResult.Refused(REFUSAL, 3)), QueryCodec::decodeResult);
    }
}
