package io.omendb.router.backend;

/** How fresh a read must be. */
public enum ReadConsistency {
    /** Observes every write acknowledged before the read started (Raft ReadIndex on the leader or a follower). */
    LINEARIZABLE,
    /** Any replica's applied state; may miss recent writes. Explicit opt-in ({@code ?consistency=stale}). */
    STALE
}
