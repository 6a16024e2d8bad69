package io.omendb.router.backend;

import java.util.List;

/** A node id that holds no replica of the range an admin request names. */
public final class UnknownNodeException extends BackendException {
    public UnknownNodeException(long rangeId, String nodeId, List<String> peers) {
        super("node '" + nodeId + "' holds no replica of range " + rangeId + "; its peers are " + peers);
    }
}
