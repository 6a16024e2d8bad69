package io.omendb.raft.client;

import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.storage.EngineStats;
import io.omendb.storage.KeyValue;

import java.util.List;

/** The small result records of {@link ClusterClient} and {@link ClusterAdmin}. {@code revision}: Raft log index. */
public final class Results {
    private Results() {
    }

    public record WriteResult(long rangeId, long revision) {
    }

    public record DeleteResult(long rangeId, long revision, boolean existed) {
    }

    /** {@code current}: the value after evaluation (the new one on success, the unchanged one on failure). */
    public record CasResult(long rangeId, long revision, boolean succeeded, byte[] current) {
    }

    /** {@code value == null}: absent. {@code appliedIndex}: index of the replica that answered. */
    public record ReadResult(long rangeId, byte[] value, long appliedIndex) {
    }

    /** {@code nextStart == null}: the range has no more entries in the requested interval. */
    /**
     * @param nextStart where to continue inside the range (null: the range has no more keys of the scan)
     * @param rangeEnd  the end of the range as it was when scanned (null: unbounded): where a scan continues once
     *                  {@code nextStart} is null, so a range that split meanwhile is not skipped past
     */
    public record ScanResult(long rangeId, List<KeyValue> entries, byte[] nextStart, byte[] rangeEnd,
                             long appliedIndex) {
        public ScanResult {
            entries = List.copyOf(entries);
        }
    }

    /** One replica's view. {@code error != null} when the replica did not answer (then the other fields are empty). */
    public record ReplicaStatus(String nodeId, String role, long appliedIndex, EngineStats stats, String error) {
    }

    /**
     * A split as {@code admin split} reports it: the two descriptors as the range table now has them, the key, the
     * parent's log index of the split entry, and how long from the request until the table showed both halves.
     */
    public record SplitResult(RangeDescriptor left, RangeDescriptor right, byte[] splitKey, long index,
                              long elapsedMs) {
    }

    /**
     * What a merge did: {@code merged} is the union as the range table records it (the target's id), {@code removed}
     * the source's descriptor before the merge; {@code recordsCopied}/{@code bytesCopied} what went through the
     * target's log (the pre-copy and the catch-up's differences, deletes counted by key); {@code frozenMs} how long the
     * source refused requests (from its freeze to the commit point).
     */
    public record MergeResult(RangeDescriptor merged, RangeDescriptor removed, long recordsCopied, long bytesCopied,
                              long elapsedMs, long frozenMs) {
    }

    public record RangeStatus(RangeDescriptor descriptor, String leaderId, List<ReplicaStatus> replicas) {
        public RangeStatus {
            replicas = List.copyOf(replicas);
        }
    }

    /**
     * A range in a listing of every range ({@link ClusterAdmin#rangeReports}): its replicas' status, and the stored
     * bytes and load its leader counts ({@code leaderSizeOrNull}: null when no leader answered).
     */
    public record RangeReport(RangeStatus status, QueryResult.Size leaderSizeOrNull) {
    }
}
