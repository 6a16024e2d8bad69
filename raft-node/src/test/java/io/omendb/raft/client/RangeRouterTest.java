package io.omendb.raft.client;

import io.omendb.raft.command.RangeRefusal;
import io.omendb.raft.command.Route;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.statemachine.EpochCheck;
import org.junit.jupiter.api.Test;

import java.nio.charset.StandardCharsets;
import java.util.List;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotNull;
import static org.junit.jupiter.api.Assertions.assertNull;

class RangeRouterTest {
    private static final List<String> PEERS = List.of("n1", "n2", "n3");
    private final UUID leftGroup = UUID.randomUUID();
    private final UUID rightGroup = UUID.randomUUID();
    private final RangeDescriptor left = new RangeDescriptor(1, new byte[0], b("m"), leftGroup, PEERS, 2);
    private final RangeDescriptor right = new RangeDescriptor(5, b("m"), null, rightGroup, PEERS, 3);

    @Test
    void aGroupInTheTableIsRoutedByItsDescriptor() {
        RangeRouter router = new RangeRouter(null);
        assertNull(router.routeOfGroupOrNull(leftGroup), "no table yet");
        router.install(new RangeTable(List.of(left, right)));
        assertEquals(new Route(1, 2), router.routeOfGroupOrNull(leftGroup));
        assertEquals(new Route(5, 3), router.routeOfGroupOrNull(rightGroup));
        assertNull(router.routeOfGroupOrNull(UUID.randomUUID()), "a group no table had (the meta group)");
    }

    /**
     * The lost write this guards against: a write routed to the right range before its merge committed and proposed
     * after this router installed the merged table must still carry a route, which the frozen right replica refuses.
     */
    @Test
    void aMergedAwayGroupKeepsItsLastRouteWhichItsFrozenReplicaRefuses() {
        RangeRouter router = new RangeRouter(null);
        router.install(new RangeTable(List.of(left, right)));
        RangeDescriptor union = new RangeDescriptor(1, new byte[0], null, leftGroup, PEERS, 5);
        router.install(new RangeTable(List.of(union)));

        Route route = router.routeOfGroupOrNull(rightGroup);
        assertEquals(new Route(5, 3), route);
        RangeBounds frozen = new RangeBounds(5, b("m"), null, 4);
        RangeRefusal refusal = EpochCheck.route(frozen, route);
        assertNotNull(refusal, "the frozen replica refuses the late request");
        assertEquals(RangeRefusal.Reason.STALE_EPOCH, refusal.reason());

        router.install(new RangeTable(List.of(union)));
        assertEquals(new Route(5, 3), router.routeOfGroupOrNull(rightGroup), "remembered across later tables");
        router.install(new RangeTable(List.of(left, new RangeDescriptor(5, b("m"), null, rightGroup, PEERS, 4))));
        assertEquals(new Route(5, 4), router.routeOfGroupOrNull(rightGroup), "back in a table: routed by it again");
    }

    private static byte[] b(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }
}
