package io.omendb.router.cluster;

import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.Failures;
import io.omendb.router.backend.BackendException;
import io.omendb.router.backend.BackendTimeoutException;
import io.omendb.router.backend.BackendUnavailableException;
import io.omendb.router.backend.EntryTooLargeException;
import io.omendb.router.backend.RangeChangeRefusedException;

import java.util.concurrent.TimeoutException;

/**
 * Translates raft-node client failures into the router's {@link BackendException}s, so the HTTP layer sees only
 * its own failure vocabulary. Retryable conditions (no leader, table not loaded, replica behind) become
 * {@link BackendUnavailableException}; a command too large for one Raft entry (refused before sending) becomes
 * {@link EntryTooLargeException}; an outcome the client could not learn (a reply lost to a log replay, or
 * our own deadline) becomes {@link BackendTimeoutException}, because for a write it may still have committed.
 * Anything else (argument errors the router should have caught, refused commands, corrupt replies) is passed
 * through unchanged and reported by the HTTP layer as an internal error. Stateless.
 */
final class ClientFailures {
    private ClientFailures() {
    }

    static Throwable translate(Throwable error) {
        Throwable t = Failures.unwrap(error);
        if (t instanceof BackendException) {
            return t;
        }
        if (t instanceof TimeoutException) {
            return new BackendTimeoutException("no answer from the cluster within the request deadline; a write may "
                    + "still commit, read the key to learn its outcome");
        }
        if (t instanceof ClientException ce) {
            return switch (ce.code()) {
                case NOT_READY, UNAVAILABLE, REPLICA_BEHIND, RANGE_MOVED ->
                        new BackendUnavailableException(ce.getMessage(), ce);
                case OUTCOME_UNKNOWN -> new BackendTimeoutException(ce.getMessage());
                case COMMAND_TOO_LARGE -> new EntryTooLargeException(ce.getMessage());
                case CONFLICT -> new RangeChangeRefusedException(RangeChangeRefusedException.Reason.CONFLICT,
                        ce.getMessage());
                case INVALID_ARGUMENT -> new RangeChangeRefusedException(RangeChangeRefusedException.Reason.BAD_REQUEST,
                        ce.getMessage());
                default -> ce;
            };
        }
        return t;
    }
}
