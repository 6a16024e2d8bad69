package io.omendb.router.backend;

/**
 * Outcome of a compare-and-set. {@code currentOrNull} is the value after the operation (the new value when it
 * succeeded, the unchanged value when it did not; null when the key is absent). {@code revision} is the CAS's
 * own commit revision.
 */
public record CasResult(boolean succeeded, byte[] currentOrNull, long revision) {
}
