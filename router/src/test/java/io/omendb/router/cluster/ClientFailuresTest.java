package io.omendb.router.cluster;

import static org.junit.jupiter.api.Assertions.assertInstanceOf;
import static org.junit.jupiter.api.Assertions.assertSame;

import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ErrorCode;
import io.omendb.router.backend.BackendTimeoutException;
import io.omendb.router.backend.BackendUnavailableException;
import io.omendb.router.backend.EntryTooLargeException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.TimeoutException;
import org.junit.jupiter.api.Test;

/** The raft-node client's failures reach the HTTP layer as the router's own exceptions (so 503/504, not 500). */
class ClientFailuresTest {
    @Test
    void retryableCodesBecomeUnavailable() {
        for (ErrorCode c : new ErrorCode[] {ErrorCode.NOT_READY, ErrorCode.UNAVAILABLE, ErrorCode.REPLICA_BEHIND,
                ErrorCode.RANGE_MOVED}) {
            assertInstanceOf(BackendUnavailableException.class, ClientFailures.translate(
                    new CompletionException(new ClientException(c, "x"))), c.name());
        }
    }

    @Test
    void unknownOutcomesAndDeadlinesBecomeTimeouts() {
        assertInstanceOf(BackendTimeoutException.class, ClientFailures.translate(
                new ClientException(ErrorCode.OUTCOME_UNKNOWN, "x")));
        assertInstanceOf(BackendTimeoutException.class, ClientFailures.translate(
                new CompletionException(new TimeoutException())));
    }

    @Test
    void aCommandTooLargeForOneEntryBecomesEntryTooLarge() {
        assertInstanceOf(EntryTooLargeException.class, ClientFailures.translate(
                new CompletionException(new ClientException(ErrorCode.COMMAND_TOO_LARGE, "x"))));
    }

    @Test
    void otherFailuresPassThroughAsInternalErrors() {
        ClientException refused = new ClientException(ErrorCode.REFUSED, "x");
        assertSame(refused, ClientFailures.translate(new CompletionException(refused)));
    }
}
