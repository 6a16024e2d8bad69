package io.omendb.raft.statemachine;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.WriteBatch;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNull;

/** The accept/refuse decisions of {@link EpochCheck}: pure, so every replica with one descriptor decides alike. */
class EpochCheckTest {
    /** Range 2: keys [g, p), epoch 5. */
    private static final RangeBounds RANGE = new RangeBounds(2, b("g"), b("p"), 5);
    private static final RangeBounds LAST = new RangeBounds(3, b("p"), null, 2);

    @Test
    void aReplicaWithoutADescriptorAcceptsEverything() {
        assertNull(EpochCheck.command(null, new Route(9, 0), new Command.Put(b("zz"), b("v"))));
        assertNull(EpochCheck.command(null, null, new Command.DeleteRange(b("a"), b("z"))));
        assertNull(EpochCheck.query(null, new Route(1, 0), new Query.Scan(b(""), null, 10)));
    }

    @Test
    void keysInsideTheBoundsWithTheCurrentOrANewerEpochAreAccepted() {
        assertNull(EpochCheck.command(RANGE, new Route(2, 5), new Command.Put(b("g"), b("v"))));
        assertNull(EpochCheck.command(RANGE, new Route(2, 5), new Command.Delete(b("ozzz"))));
        // the table's epoch also counts membership changes, which do not touch the replica's descriptor
        assertNull(EpochCheck.command(RANGE, new Route(2, 7), new Command.CompareAndSet(b("k"), null, b("v"))));
        assertNull(EpochCheck.query(RANGE, new Route(2, 5), new Query.Get(b("h"))));
        assertNull(EpochCheck.query(LAST, new Route(3, 2), new Query.Scan(b("q"), null, 10)));
    }

    @Test
    void aStaleEpochIsRefusedWithTheCurrentDescriptor() {
        RangeRefusal r = EpochCheck.command(RANGE, new Route(2, 4), new Command.Put(b("h"), b("v")));
        assertEquals(new RangeRefusal(RangeRefusal.Reason.STALE_EPOCH, RANGE), r);
        assertEquals(RangeRefusal.Reason.STALE_EPOCH, EpochCheck.query(RANGE, new Route(2, 0),
                new Query.Get(b("h"))).reason());
        assertEquals(RangeRefusal.Reason.STALE_EPOCH, EpochCheck.route(RANGE, new Route(2, 4)).reason());
    }

    @Test
    void anotherRangeIdIsRefused() {
        assertEquals(RangeRefusal.Reason.WRONG_RANGE, EpochCheck.command(RANGE, new Route(1, 9),
                new Command.Put(b("h"), b("v"))).reason());
    }

    @Test
    void keysOutsideTheBoundsAreRefusedWithOrWithoutARoute() {
        for (Route route : new Route[] {new Route(2, 5), null}) {
            assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, EpochCheck.command(RANGE, route,
                    new Command.Put(b("p"), b("v"))).reason(), "the end is exclusive");
            assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, EpochCheck.command(RANGE, route,
                    new Command.Delete(b("f"))).reason());
            assertEquals(RANGE, EpochCheck.query(RANGE, route, new Query.Get(b("a"))).current());
        }
        assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, EpochCheck.query(RANGE, null,
                new Query.MultiGet(List.of(b("h"), b("z")))).reason());
    }

    @Test
    void intervalsMustLieWhollyInside() {
        assertNull(EpochCheck.command(RANGE, null, new Command.DeleteRange(b("g"), b("p"))));
        assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, EpochCheck.command(RANGE, null,
                new Command.DeleteRange(b("h"), b("q"))).reason());
        assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, EpochCheck.query(RANGE, null,
                new Query.Scan(b("h"), null, 10)).reason(), "an unbounded scan of a bounded range");
        assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, EpochCheck.query(RANGE, null,
                new Query.Scan(b("a"), b("h"), 10)).reason());
    }

    @Test
    void aBatchIsRefusedWholeWhenAnyOperationIsOutside() {
        Command.Batch inside = new Command.Batch(List.of(new WriteBatch.Put(b("h"), b("v")),
                new WriteBatch.Delete(b("i")), new WriteBatch.DeleteRange(b("j"), b("k"))));
        assertNull(EpochCheck.command(RANGE, new Route(2, 5), inside));
        Command.Batch spanning = new Command.Batch(List.of(new WriteBatch.Put(b("h"), b("v")),
                new WriteBatch.Put(b("x"), b("v"))));
        assertEquals(RangeRefusal.Reason.KEY_OUTSIDE_RANGE, EpochCheck.command(RANGE, new Route(2, 5), spanning)
                .reason());
    }

    @Test
    void aGroupIsCheckedByItsRouteOnlyAndKeylessCommandsNotAtAll() {
        Command.Group g = new Command.Group(List.of(new Command.Put(b("h"), b("v")), new Command.Put(b("z"), b("v"))));
        assertNull(EpochCheck.command(RANGE, new Route(2, 5), g), "members are decided one by one at apply");
        assertEquals(RangeRefusal.Reason.STALE_EPOCH, EpochCheck.command(RANGE, new Route(2, 1), g).reason());
        assertNull(EpochCheck.command(RANGE, new Route(2, 1), new Command.Maintain(Command.Maintenance.FLUSH)));
        assertNull(EpochCheck.command(RANGE, new Route(2, 1), new Command.Checkpoint("b1")));
        assertNull(EpochCheck.command(RANGE, new Route(2, 1), new Command.SetDescriptor(RANGE)));
        assertNull(EpochCheck.query(RANGE, new Route(2, 1), new Query.Digest()));
        assertNull(EpochCheck.query(RANGE, new Route(2, 1), new Query.Describe()));
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
