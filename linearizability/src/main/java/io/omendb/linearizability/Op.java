package io.omendb.linearizability;

import java.util.Objects;

/**
 * One client operation on one key, as the client saw it: when it was invoked, when (and whether) it completed, and
 * what it returned. Times are nanoseconds of the recorder's clock ({@link System#nanoTime()} of a chaos run, the
 * fake clock of a simulation).
 *
 * <p>{@link Outcome#UNKNOWN} means the client cannot know whether the operation took effect (timeout, connection
 * lost after sending, 504, 500): the checker lets it take effect at any point after its invocation, or never.
 * {@link Outcome#FAILED} means it certainly did not take effect (refused before sending, or a documented
 * "did not commit" answer); the checker drops it.
 *
 * @param value     PUT: the value written; CAS: the new value (null deletes); else null
 * @param expected  CAS: the expected value (null: must be absent)
 * @param result    GET: the value read (null: absent); CAS: the current value after the operation
 * @param flag      DELETE: whether the key existed; CAS: whether it succeeded
 */
public record Op(long id, String process, Type type, String key, String value, String expected, long invokeNs,
                 long completeNs, Outcome outcome, String result, boolean flag) {
    public enum Type { PUT, GET, DELETE, CAS }

    public enum Outcome { OK, FAILED, UNKNOWN }

    /** Completion time used by the checker: never, for an operation whose outcome is unknown. */
    public static final long NEVER = Long.MAX_VALUE;

    public Op {
        Objects.requireNonNull(type, "type");
        Objects.requireNonNull(key, "key");
        Objects.requireNonNull(outcome, "outcome");
        if (outcome == Outcome.UNKNOWN) {
            completeNs = NEVER;
        }
        if (completeNs < invokeNs) {
            throw new IllegalArgumentException("op " + id + " completes before it is invoked");
        }
    }

    /** Whether this operation may change the key (a write whose effect is not known to be absent). */
    public boolean mayWrite() {
        if (outcome == Outcome.FAILED || type == Type.GET) {
            return false;
        }
        return type != Type.CAS || outcome == Outcome.UNKNOWN || flag;
    }

    /** The value this operation leaves when it takes effect as a write (null: the key is absent). */
    public String writtenValue() {
        return type == Type.DELETE ? null : value;
    }

    @Override
    public String toString() {
        String what = switch (type) {
            case PUT -> "put(" + value + ")";
            case GET -> "get()" + (outcome == Outcome.OK ? "=" + result : "");
            case DELETE -> "delete()" + (outcome == Outcome.OK ? "=" + flag : "");
            case CAS -> "cas(" + expected + "->" + value + ")" + (outcome == Outcome.OK ? "=" + flag + "/" + result : "");
        };
        return "#" + id + " " + process + " " + key + " " + what + " " + outcome + " [" + invokeNs + ", "
                + (completeNs == NEVER ? "inf" : completeNs) + "]";
    }
}
