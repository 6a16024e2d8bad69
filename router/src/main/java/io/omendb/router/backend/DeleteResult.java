package io.omendb.router.backend;

/** A committed delete: whether the key existed, and the delete's revision. */
public record DeleteResult(boolean deleted, long revision) {
}
