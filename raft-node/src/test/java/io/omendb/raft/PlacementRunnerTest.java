package io.omendb.raft;

import io.omendb.raft.client.Results;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** Which leadership transfers {@link PlacementRunner} tries: only to a replica that answered the round's status call. */
class PlacementRunnerTest {
    private static Results.ReplicaStatus answered(String node, long applied) {
        return new Results.ReplicaStatus(node, "FOLLOWER", applied, null, null);
    }

    private static Results.ReplicaStatus unreachable(String node, String why) {
        return new Results.ReplicaStatus(node, "UNREACHABLE", -1, null, why);
    }

    @Test
    void aTransferGoesOnlyToAReplicaThatAnswered() {
        Results.RangeStatus status = new Results.RangeStatus(null, "n2", List.of(answered("n2", 40),
                unreachable("n1", "node n1 does not host the group of range 1"), answered("n3", 39)));
        assertTrue(PlacementRunner.replicaAnswered(status, "n3"));
        assertFalse(PlacementRunner.replicaAnswered(status, "n1"), "a wiped node being re-admitted hosts nothing yet");
        assertFalse(PlacementRunner.replicaAnswered(status, "n4"), "not a replica of the range");
        assertFalse(PlacementRunner.replicaAnswered(null, "n3"), "no status for the range this round");
    }
}
