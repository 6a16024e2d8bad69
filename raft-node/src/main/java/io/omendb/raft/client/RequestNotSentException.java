package io.omendb.raft.client;

import org.apache.ratis.protocol.RaftClientRequest;

import java.io.IOException;

/**
 * A request Ratis' client refused before sending it to its server (its gRPC stream to that server was already
 * closed, or there was no proxy): it cannot have reached a state machine, so even a forward may be sent again.
 */
final class RequestNotSentException extends IOException {
    RequestNotSentException(RaftClientRequest request, Throwable cause) {
        super("not sent to " + request.getServerId() + ": " + cause.getMessage(), cause);
    }
}
