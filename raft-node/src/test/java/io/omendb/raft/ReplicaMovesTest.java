package io.omendb.raft;

import io.omendb.placement.Move;
import io.omendb.placement.Operation;
import io.omendb.placement.Replica;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** The moves in flight as the driver is told of them, through a move's life; copies are futures completed by hand. */
class ReplicaMovesTest {
    private static final long NOW_MS = 5_000;

    private final Map<String, CompletableFuture<Void>> copies = new HashMap<>();
    private final List<String> started = new ArrayList<>();
    private final ReplicaMoves moves = new ReplicaMoves((rangeId, node) -> {
        started.add(rangeId + "->" + node);
        return copies.computeIfAbsent(rangeId + "->" + node, k -> new CompletableFuture<>());
    });

    @Test
    void aMoveIsCopyingThenJoinedThenEndsOnceItsSourceIsGone() {
        moves.start(new Operation.AddReplica(1, new Replica("n4", 0), "n1"), NOW_MS);
        Move copying = new Move(1, new Replica("n4", 0), "n1", NOW_MS, false);
        assertEquals(List.of(copying), moves.current(table("n1", "n2", "n3", "n4")));
        assertEquals(Optional.of("n4"), moves.copyingTo(1));

        copies.get("1->n4").complete(null);
        Move joined = new Move(1, new Replica("n4", 0), "n1", NOW_MS, true);
        assertEquals(List.of(joined), moves.current(table("n1", "n2", "n3", "n4")));
        assertEquals(Optional.empty(), moves.copyingTo(1), "a joined target is a voter the driver counts");

        assertEquals(List.of(), moves.current(table("n2", "n3", "n4")));
        assertEquals(0, moves.inFlight());
        assertEquals(1, moves.completed());
    }

    @Test
    void aFailedCopyEndsItsMoveWithoutCountingIt() {
        moves.start(new Operation.AddReplica(1, new Replica("n4", 0), "n1"), NOW_MS);
        copies.get("1->n4").completeExceptionally(new IllegalStateException("did not catch up"));
        assertEquals(List.of(), moves.current(table("n1", "n2", "n3", "n4")));
        assertEquals(0, moves.completed());
    }

    @Test
    void aReReplicationEndsWhenItsTargetJoinedAndASecondMoveOfTheRangeIsNotStarted() {
        moves.start(new Operation.AddReplica(1, new Replica("n4", 0), null), NOW_MS);
        moves.start(new Operation.AddReplica(1, new Replica("n5", 0), "n1"), NOW_MS);
        assertEquals(List.of("1->n4"), started);
        copies.get("1->n4").complete(null);
        assertEquals(List.of(), moves.current(table("n1", "n2", "n4")));
        assertEquals(1, moves.completed());
    }

    private static RangeTable table(String... peers) {
        return new RangeTable(List.of(new RangeDescriptor(1, new byte[0], null, UUID.randomUUID(), List.of(peers), 1)));
    }
}
