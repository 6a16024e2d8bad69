package io.omendb.router.backend;

/**
 * Learned-index statistics of one range: live segments, leaf models, mean and max leaf error (in positions),
 * serialized model bytes, and on-disk bytes per record.
 */
public record RangeIndexStats(long rangeId, int segments, long leaves, double meanModelError, long maxModelError,
                              long modelBytes, double bytesPerRecord) {
}
