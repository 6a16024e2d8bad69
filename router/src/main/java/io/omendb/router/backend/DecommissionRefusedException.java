package io.omendb.router.backend;

/**
 * A decommission was refused and changed nothing: the other members could not hold every range's replicas, the node
 * is a meta group peer, or another node's state changed meanwhile (the message says which, and what to do).
 */
public final class DecommissionRefusedException extends BackendException {
    public DecommissionRefusedException(String message) {
        super(message);
    }
}
