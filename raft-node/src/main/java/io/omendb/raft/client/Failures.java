package io.omendb.raft.client;

import java.util.concurrent.CompletionException;
import java.util.concurrent.ExecutionException;

/**
 * The failure inside what futures wrap it in, one way for every caller of the client (its own paths, the router's
 * translation of client failures): {@link #unwrap} for deciding what happened, {@link #rootCause} for telling an
 * operator. Stateless.
 */
public final class Failures {
    private Failures() {
    }

    /** {@code t} without the {@link CompletionException} and {@link ExecutionException} wrappers around it. */
    public static Throwable unwrap(Throwable t) {
        while ((t instanceof CompletionException || t instanceof ExecutionException) && t.getCause() != null) {
            t = t.getCause();
        }
        return t;
    }

    /** The innermost cause of {@code t} (a transport error inside a client exception, say). */
    public static Throwable rootCause(Throwable t) {
        while (t.getCause() != null && t.getCause() != t) {
            t = t.getCause();
        }
        return t;
    }
}
