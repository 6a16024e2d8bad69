package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.MetaView;
import io.omendb.raft.meta.MergeTombstone;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.statemachine.RangeStateMachine;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Arrays;
import java.util.HashSet;
import java.util.List;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * What a node does about range merges its replicas took part in, from the range table alone, so that a merge whose
 * proposer died is finished or abandoned ({@code RangeMerger} describes the merge). Each pass, for every local range
 * replica:
 * <ul>
 *   <li><b>A merged-away source</b> (the meta group holds a {@link MergeTombstone} for its range id): its group is
 *       deleted here. Its records are in the target's log; the tombstone is written in the same compare-and-set that
 *       removed the descriptor, so it exists exactly when the merge committed.</li>
 *   <li><b>A target behind the table</b> (a tombstone says a source starting at this replica's end went into its range,
 *       and this node leads the range): the {@code CommitMerge} entry is written (idempotent: a replica whose
 *       descriptor is already the union ignores it).</li>
 *   <li><b>A source frozen by a merge that never committed</b> (its log records the table's bounds at a higher epoch:
 *       only {@code PrepareMerge} does that) for {@link #FROZEN_ABANDON_AFTER_MS}, seen by the range's leader: the
 *       merge is abandoned ({@code ClusterAdmin#unfreeze}). Safe against a proposer that is only slow: its commit, a
 *       compare-and-set expecting the old descriptor, fails afterwards.</li>
 * </ul>
 * Runs on the split follow-up's reconciling thread ({@link ReplicaReconciler}); the clock is injected.
 */
final class MergeFollowUp {
    private static final Logger LOG = LoggerFactory.getLogger(MergeFollowUp.class);
    /** How long a source may stay frozen before a node abandons its merge; a merge copies at most 256 MiB. */
    static final long FROZEN_ABANDON_AFTER_MS = 60_000;
    static final long CALL_WAIT_MS = 10_000;

    private final String nodeId;
    private final RaftServer server;
    private final ClusterClient client;
    private final LongSupplier clockMs;
    /** Frozen sources seen, by range id: the frozen epoch and when this node first saw it. */
    private final EpochsSeen frozenSince = new EpochsSeen();

    MergeFollowUp(String nodeId, RaftServer server, ClusterClient client, LongSupplier clockMs) {
        this.nodeId = nodeId;
        this.server = server;
        this.client = client;
        this.clockMs = clockMs;
    }

    /** One pass over this node's replicas, by the table and tombstones of {@code view} (read for this pass). */
    void reconcileOnce(MetaView view) throws Exception {
        RangeTable table = view.table();
        List<MergeTombstone> tombstones = view.tombstones();
        long now = clockMs.getAsLong();
        Set<Long> stillFrozen = new HashSet<>();
        for (RaftServer.Division division : HostedGroups.divisions(server)) {
            if (!(division.getStateMachine() instanceof RangeStateMachine sm) || sm.rangeDescriptor() == null) {
                continue;
            }
            RangeBounds b = sm.rangeDescriptor();
            RaftGroupId group = division.getGroup().getGroupId();
            Optional<MergeTombstone> mergedAway = tombstones.stream().filter(t -> t.sourceRangeId() == b.rangeId())
                    .findFirst();
            if (mergedAway.isPresent()) {
                HostedGroups.remove(server, group);
                LOG.info("Node {}: deleted its replica of range {}, merged into range {}", nodeId, b.rangeId(),
                        mergedAway.get().intoRangeId());
                continue;
            }
            boolean leads = division.getInfo().isLeader();
            Optional<RangeDescriptor> inTable = table.byId(b.rangeId());
            if (leads && b.end() != null && inTable.isPresent() && tombstones.stream().anyMatch(t ->
                    t.intoRangeId() == b.rangeId() && Arrays.equals(t.sourceStart(), b.end()))) {
                LOG.info("Node {}: range {} is behind a merge the table records; widening it to {}", nodeId,
                        b.rangeId(), inTable.get());
                client.admin().finishMerge(inTable.get(), b.end()).get(CALL_WAIT_MS, TimeUnit.MILLISECONDS);
            }
            if (inTable.isPresent() && frozen(b, inTable.get())) {
                long since = frozenSince.observe(b.rangeId(), b.epoch(), now);
                stillFrozen.add(b.rangeId());
                if (leads && now - since >= FROZEN_ABANDON_AFTER_MS) {
                    LOG.warn("Node {}: range {} has been frozen for a merge for {} ms without the merge committing; "
                            + "abandoning it", nodeId, b.rangeId(), now - since);
                    client.admin().unfreeze(b.rangeId(), b.epoch()).get(CALL_WAIT_MS, TimeUnit.MILLISECONDS);
                }
            }
        }
        frozenSince.retainOnly(stillFrozen::contains);
    }

    /** The table's bounds at a higher epoch in the replica's log: only a merge's freeze makes that. */
    static boolean frozen(RangeBounds replica, RangeDescriptor table) {
        return replica.epoch() > table.epoch() && Arrays.equals(replica.start(), table.start())
                && Arrays.equals(replica.end(), table.end());
    }
}
