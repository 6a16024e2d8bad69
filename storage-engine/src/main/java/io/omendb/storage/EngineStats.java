package io.omendb.storage;

/**
 * A point-in-time summary of one engine, for {@code /admin/index-stats} and metrics.
 *
 * @param segments        live segment files
 * @param segmentRecords  records (including tombstones) across segments
 * @param memtableEntries buffered writes not yet flushed
 * @param leaves          leaf models across segments
 * @param meanError       mean of the leaves' measured max errors (positions)
 * @param maxError        largest leaf error (positions)
 * @param modelBytes      serialized size of every segment's index
 * @param diskBytes       bytes of every live segment file
 * @param bytesPerRecord  diskBytes / segmentRecords (0 when empty)
 * @param appliedIndex    highest Raft index applied (in memory)
 * @param durableIndex    highest Raft index contained in flushed segments
 */
public record EngineStats(int segments, long segmentRecords, long memtableEntries, long leaves, double meanError,
                          long maxError, long modelBytes, long diskBytes, double bytesPerRecord, long appliedIndex,
                          long durableIndex) {
}
