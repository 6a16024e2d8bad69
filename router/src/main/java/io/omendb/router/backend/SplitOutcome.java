package io.omendb.router.backend;

/**
 * A range split as {@code POST /admin/split} reports it: both halves as the range table now has them, the key, the
 * parent's log index of the split, and the time from the request until the table showed both halves.
 */
public record SplitOutcome(RangeShape left, RangeShape right, byte[] splitKey, long index, long elapsedMs) {
}
