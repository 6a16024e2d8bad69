package io.omendb.raft.client;

import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

import static org.junit.jupiter.api.Assertions.assertSame;

/** {@link Failures}: what futures wrap a failure in comes off; causes that are not wrappers stay. */
class FailuresTest {
    @Test
    void unwrapStripsFutureWrappersOnlyAndRootCauseGoesToTheBottom() {
        IOException io = new IOException("connection refused");
        ClientException client = new ClientException(ErrorCode.UNAVAILABLE, "node 'n3': " + io, io);
        Throwable wrapped = new CompletionException(new ExecutionException(new CompletionException(client)));
        assertSame(client, Failures.unwrap(wrapped));
        assertSame(client, Failures.unwrap(client));
        CompletionException bare = new CompletionException("no cause", null);
        assertSame(bare, Failures.unwrap(bare));
        assertSame(io, Failures.rootCause(wrapped));
        assertSame(io, Failures.rootCause(io));
    }
}
