package io.omendb.router.backend;

/** A committed write: the revision (commit position in the key's range group) at which it took effect. */
public record WriteResult(long revision) {
}
