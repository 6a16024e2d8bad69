package io.omendb.router.backend;

/**
 * A range merge as {@code POST /admin/merge} reports it: the union as the range table now has it (the left range's
 * id), the right range as it was before it was merged away, what was copied through the left range's log, the
 * time from the request until the table showed the union, and how long of it the right range refused requests.
 */
public record MergeOutcome(RangeShape merged, RangeShape removed, long recordsCopied, long bytesCopied,
                           long elapsedMs, long frozenMs) {
}
