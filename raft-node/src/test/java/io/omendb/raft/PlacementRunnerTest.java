package io.omendb.raft;

import io.omendb.raft.client.Results;
import org.junit.jupiter.api.Test;

import java.util.List;

import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Which leadership transfers {@link PlacementRunner} tries: only to a replica that answered the round's status call
 * and is caught up with the leader that answered.
 */
class PlacementRunnerTest {
    private static Results.ReplicaStatus replica(String node, String role, long applied) {
        return new Results.ReplicaStatus(node, role, applied, null, null);
    }

    private static Results.ReplicaStatus unreachable(String node, String why) {
        return new Results.ReplicaStatus(node, "UNREACHABLE", -1, null, why);
    }

    @Test
    void aTransferGoesOnlyToAReplicaThatAnswered() {
        Results.RangeStatus status = new Results.RangeStatus(null, "n2", List.of(replica("n2", "LEADER", 40),
                unreachable("n1", "node n1 does not host the group of range 1"), replica("n3", "FOLLOWER", 39)));
        assertTrue(PlacementRunner.readyToLead(status, "n3"));
        assertFalse(PlacementRunner.readyToLead(status, "n1"), "a wiped node being re-admitted hosts nothing yet");
        assertFalse(PlacementRunner.readyToLead(status, "n4"), "not a replica of the range");
        assertFalse(PlacementRunner.readyToLead(null, "n3"), "no status for the range this round");
    }

    @Test
    void aTransferGoesOnlyToAReplicaThatIsCaughtUpWithItsLeader() {
        long leaderApplied = 10_000;
        long lagMax = PlacementRunner.TRANSFER_LAG_ENTRIES_MAX;
        Results.RangeStatus status = new Results.RangeStatus(null, "n1", List.of(
                replica("n1", "LEADER", leaderApplied), replica("n2", "FOLLOWER", leaderApplied - lagMax),
                replica("n3", "FOLLOWER", 0)));
        assertTrue(PlacementRunner.readyToLead(status, "n2"), "within the lag bound");
        assertFalse(PlacementRunner.readyToLead(status, "n3"),
                "a replica waiting for a snapshot: the leader would refuse writes until the transfer times out");
        Results.RangeStatus justPast = new Results.RangeStatus(null, "n1", List.of(
                replica("n1", "LEADER", leaderApplied), replica("n2", "FOLLOWER", leaderApplied - lagMax - 1)));
        assertFalse(PlacementRunner.readyToLead(justPast, "n2"));
        Results.RangeStatus leaderless = new Results.RangeStatus(null, null, List.of(
                replica("n1", "FOLLOWER", leaderApplied), replica("n2", "FOLLOWER", leaderApplied)));
        assertFalse(PlacementRunner.readyToLead(leaderless, "n2"), "no leader answered: nothing to transfer from");
    }
}
