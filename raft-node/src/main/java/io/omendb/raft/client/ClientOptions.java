package io.omendb.raft.client;

import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.security.RaftTls;

import java.util.List;

/**
 * What a {@link ClusterClient} needs to know: the database (for the meta group id), the members and their Raft
 * addresses, the meta group's peers, limits, and its time budget.
 *
 * @param replicationFactor the replicas each range settles at ({@code [cluster] replication_factor}); a range has one
 *                          more while a replica moves
 * @param requestTimeoutMs  timeout of one RPC attempt
 * @param retryAttemptsMax  attempts per request (leader changes, timeouts) before failing with UNAVAILABLE
 * @param adminCallTimeoutMs how long one blocking admin call addressed to one node (a group's role there, its group
 *                          list, creating or deleting a group there) may take, queueing and retries included, before
 *                          it fails with UNAVAILABLE ({@link NodeCalls})
 * @param preferredReplica  node id stale reads go to when the range has a replica there (the co-located node), or null
 * @param tlsOrNull         mutual TLS towards the peers ({@code [security] tls_enabled}), or null for plaintext
 * @param groupCommit       how single-key writes share Raft entries
 * @param localServerOrNull the Raft server of this process when the client runs inside a node (requests for ranges
 *                          it leads skip gRPC), else null
 */
public record ClientOptions(String database, List<OmenConfig.Member> members, List<String> metaPeers,
                            int replicationFactor, OmenConfig.Limits limits, int commandBytesMax, int requestTimeoutMs, int retryAttemptsMax,
                            long adminCallTimeoutMs, int outstandingRequestsMax, String preferredReplica,
                            RaftTls tlsOrNull,
                            GroupCommitSettings groupCommit, LocalRaftServer localServerOrNull) {
    public static final int RETRY_ATTEMPTS_MAX_DEFAULT = 20;
    public static final int OUTSTANDING_REQUESTS_MAX_DEFAULT = 1000;
    /** Longer than two attempts of the default 3 000 ms request timeout: a live node's slow answer is not cut off. */
    public static final long ADMIN_CALL_TIMEOUT_MS_DEFAULT = 10_000;

    public ClientOptions {
        members = List.copyOf(members);
        metaPeers = List.copyOf(metaPeers);
        if (replicationFactor < 1) {
            throw new IllegalArgumentException("replicationFactor must be >= 1, got " + replicationFactor);
        }
    }

    /** Options for a client running beside (or inside) the node configured by {@code config}. */
    public static ClientOptions from(OmenConfig config) {
        return from(config, RaftTls.fromOrNull(config));
    }

    /** As {@link #from(OmenConfig)}, with TLS material already loaded (shared with the node in this process). */
    public static ClientOptions from(OmenConfig config, RaftTls tlsOrNull) {
        return new ClientOptions(config.database().name(), config.cluster().members(),
                ClusterLayout.metaPeers(config.cluster()), config.cluster().replicationFactor(), config.limits(),
                config.performance().commandBytesMax(), config.performance().raftRequestTimeoutMs(),
                RETRY_ATTEMPTS_MAX_DEFAULT, ADMIN_CALL_TIMEOUT_MS_DEFAULT, OUTSTANDING_REQUESTS_MAX_DEFAULT,
                config.cluster().nodeId(),
                tlsOrNull, new GroupCommitSettings(
                        config.performance().groupCommitEntriesInFlightMax(), config.performance().groupCommitWritesMax(),
                        config.performance().groupCommitLingerMaxUs(),
                        config.performance().groupCommitForwardToLeader()),
                null);
    }

    /** These options for a client inside the node whose Raft server is {@code server}. */
    public ClientOptions withLocalServer(LocalRaftServer server) {
        return new ClientOptions(database, members, metaPeers, replicationFactor, limits, commandBytesMax, requestTimeoutMs,
                retryAttemptsMax, adminCallTimeoutMs, outstandingRequestsMax, preferredReplica, tlsOrNull, groupCommit,
                server);
    }
}
