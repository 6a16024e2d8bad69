package io.omendb.raft;

import io.omendb.raft.client.LocalRaftServer;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftClientRequest;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * This node's Raft server as the router in its process reaches it ({@link LocalRaftServer}).
 *
 * <p><b>Never blocks the caller.</b> {@link #leads} is asked on HTTP event loops for every request, but Ratis'
 * {@code getDivision} waits while a group is still being created or started (a restart, a re-admitted group).
 * So divisions are looked up on a background thread, once per group at a time, and cached; until a group's division
 * is known, and after it closed (a removed group is looked up again), {@code leads} answers false and requests take
 * the gRPC path. Thread-safe.
 */
final class LocalDivisions implements LocalRaftServer, AutoCloseable {
    private final RaftServer server;
    private final Map<RaftGroupId, RaftServer.Division> divisions = new ConcurrentHashMap<>();
    private final Set<RaftGroupId> lookups = ConcurrentHashMap.newKeySet();
    private final ExecutorService lookupThreads = Executors.newCachedThreadPool(r -> {
        Thread t = new Thread(r, "omendb-local-divisions");
        t.setDaemon(true);
        return t;
    });

    LocalDivisions(RaftServer server) {
        this.server = server;
    }

    @Override
    public RaftPeerId peerId() {
        return server.getId();
    }

    @Override
    public boolean leads(RaftGroupId group) {
        RaftServer.Division d = divisions.get(group);
        if (d != null && !d.getInfo().getLifeCycleState().isClosingOrClosed()) {
            return d.getInfo().isLeaderReady();
        }
        if (d != null) {
            divisions.remove(group, d);
        }
        if (lookups.add(group)) {
            try {
                lookupThreads.execute(() -> lookUp(group));
            } catch (RuntimeException closing) {
                lookups.remove(group);
            }
        }
        return false;
    }

    private void lookUp(RaftGroupId group) {
        try {
            divisions.put(group, server.getDivision(group));
        } catch (IOException notHostedHere) {
            // asked again by the next request of this group
        } finally {
            lookups.remove(group);
        }
    }

    @Override
    public CompletableFuture<RaftClientReply> submit(RaftClientRequest request) {
        try {
            return server.submitClientRequestAsync(request);
        } catch (IOException e) {
            return CompletableFuture.failedFuture(e);
        }
    }

    @Override
    public void close() {
        lookupThreads.shutdownNow();
        divisions.clear();
    }
}
