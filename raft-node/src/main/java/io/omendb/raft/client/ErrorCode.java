package io.omendb.raft.client;

/**
 * Every failure a caller of the cluster client can see. The router maps each to an HTTP status; the comment says
 * what the caller should do.
 */
public enum ErrorCode {
    /** A key, value, batch or range argument is malformed (400). Fix the request. */
    INVALID_ARGUMENT,
    /** Key longer than {@code limits.max_key_size_bytes} (413). */
    KEY_TOO_LARGE,
    /** Value longer than {@code limits.max_value_size_bytes} (413). */
    VALUE_TOO_LARGE,
    /** More operations than {@code limits.max_insert_batch_size} (413). Split the batch. */
    BATCH_TOO_LARGE,
    /** The encoded command exceeds what one Raft entry may hold (413). Split the batch. */
    COMMAND_TOO_LARGE,
    /** An atomic batch touches more than one range (400). Atomicity is per range. */
    CROSS_RANGE_BATCH,
    /** No range, node or peer with that id (404). Refresh the range table. */
    NOT_FOUND,
    /** The range table is not initialised yet (503). Retry shortly. */
    NOT_READY,
    /** No leader or replica answered within the retry budget (503). Retry later. */
    UNAVAILABLE,
    /** The replica asked for did not reach the requested minimum index in time (503). Retry or read elsewhere. */
    REPLICA_BEHIND,
    /** The replica refused the request (its state machine raised an error) (500 or 409). */
    REFUSED,
    /**
     * A write may have been applied but its outcome could not be reported: it was answered from a log replay, or it
     * was forwarded to the leader's node (leader-side group commit) and that node failed, or the answer was lost, on
     * the way (the router answers 504). Read the key to learn the outcome.
     */
    OUTCOME_UNKNOWN,
    /**
     * A replica refused the request as routed by an out-of-date range table (a key outside its range, or a stale
     * epoch) and changed nothing; the exception carries the replica's descriptor
     * ({@link ClientException#rangeRefusal}). The client refreshes its table and re-routes by itself
     * ({@code Rerouter}); a caller sees this only when that did not settle while its deadline left room for another
     * attempt (503). Retry.
     */
    RANGE_MOVED,
    /** The meta group changed under an admin operation (409). Refresh and retry. */
    CONFLICT,
    /** A reply failed its checksum (502). Retry. */
    CORRUPT_REPLY
}
