package io.omendb.raft;

import java.util.Optional;
import java.util.UUID;

/**
 * One point-in-time reading of a Raft group replica hosted by this node, for Prometheus. {@code leaderChanges}
 * and {@code snapshotInstalls} count since this replica was opened in this process (counters reset on restart,
 * which Prometheus' {@code rate()} handles).
 *
 * @param groupId          the Ratis group (meta group or a range's group)
 * @param nodeId           the node hosting this replica
 * @param role             LEADER, FOLLOWER, CANDIDATE, LISTENER
 * @param term             current Raft term
 * @param commitIndex      highest log index known committed
 * @param appliedIndex     highest log index applied to the state machine
 * @param leaderChanges    leader changes this replica observed (elections and transfers)
 * @param snapshotInstalls snapshots installed from a leader
 * @param memtableBytes    bytes of the replica's memtables (applied writes not flushed to segments yet)
 * @param pressureFlushes  memtables the node's memtable budget flushed early (memory pressure), since the replica's
 *                         engine opened
 * @param logCacheBytes    heap the replica's Raft log holds: its open segment, and closed segments still cached
 *                         counted at {@code [wal] segment_size_mb} each (CountingRatisMetrics)
 * @param splitsApplied    splits of this range this replica applied (as the parent) since it opened
 * @param mergesApplied    merges into this range this replica applied (as the left range) since it opened
 * @param archive          log archiving of this replica; empty when {@code backup.log_archive_dir} is not set
 */
public record ReplicaMetrics(UUID groupId, String nodeId, String role, long term, long commitIndex,
                             long appliedIndex, long leaderChanges, long snapshotInstalls, long memtableBytes,
                             long pressureFlushes, long logCacheBytes, long splitsApplied, long mergesApplied,
                             Optional<Archive> archive) {
    /**
     * @param archivedIndex highest log index this replica archived (-1: none yet)
     * @param failures      archiving passes that failed since the replica opened
     * @param gaps          times the log no longer held the next entry to archive (other copies may)
     */
    public record Archive(long archivedIndex, long failures, long gaps) {
    }
}
