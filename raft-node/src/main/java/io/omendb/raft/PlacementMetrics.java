package io.omendb.raft;

/**
 * What the placement driver reported after its last round, for Prometheus; only the node leading the meta group (which
 * runs the driver) has a reading.
 *
 * @param nodeId               the node that ran the round
 * @param rangesUnderReplicated ranges with fewer than {@code replication_factor} replicas on live nodes (a replica
 *                             on a draining, unanswering or removed node, or one still being copied, does not count)
 * @param movesInFlight        replica moves started and not finished
 * @param movesCompleted       replica moves this node finished since it started
 */
public record PlacementMetrics(String nodeId, long rangesUnderReplicated, long movesInFlight, long movesCompleted) {
}
