package io.omendb.router.backend;

import java.util.List;

/** A node id that holds no replica of the range an admin request names, or that is no member of the cluster. */
public final class UnknownNodeException extends BackendException {
    public UnknownNodeException(long rangeId, String nodeId, List<String> peers) {
        super("node '" + nodeId + "' holds no replica of range " + rangeId + "; its peers are " + peers);
    }

    /** A node id that is no member of the cluster ({@code message} names the members). */
    public UnknownNodeException(String message) {
        super(message);
    }
}
