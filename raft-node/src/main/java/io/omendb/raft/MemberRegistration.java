package io.omendb.raft;

import io.omendb.config.OmenConfig;
import io.omendb.raft.client.ClientException;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ErrorCode;
import io.omendb.raft.client.NodeAdmin;
import io.omendb.raft.meta.IncarnationCodec;
import io.omendb.raft.meta.MemberRecordCodec;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.Optional;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicReference;

/**
 * Records this node (id, Raft address, HTTP address) in the meta group's member registry ({@link MemberRecordCodec}),
 * which is how every other node's client learns where a node that joined the running cluster is reached.
 *
 * <p><b>A joining node</b> ({@code [cluster] join = true}) registers before it does anything else, and its start
 * fails when it cannot: with the reason when its id belongs to another node (registered with another address, or
 * named by the range table), or after {@link #JOIN_WAIT_MS} without an answer from the meta group. Registering again
 * with the same addresses (a restart) is a no-op. A joining node may take the id of a node that was decommissioned
 * (recorded REMOVED) if its data directory is not the removed one: it comes back as a LIVE member holding nothing, and
 * the placement driver gives it replicas ({@link NodeAdmin#register}); the removed directory itself starts, stays
 * removed and is given nothing, which is logged at every start. <b>A member of the initial configuration</b> registers in the
 * background (its file is authoritative: a different record of its id is replaced), retrying until
 * {@link #BACKGROUND_WAIT_MS} after start, so that the cluster's first start, which needs several members up before
 * the meta group answers, is not held up; its record only keeps a joining node from taking its id.
 *
 * <p>Threading: {@link #join} runs on the starting thread; the background registration on one daemon thread of its
 * own, which ends once registered and which {@link #close} interrupts and waits for.
 */
final class MemberRegistration implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(MemberRegistration.class);
    /** How long a joining node waits for the meta group to take its registration before its start fails. */
    static final long JOIN_WAIT_MS = 120_000;
    /** How long a configured member keeps trying to register in the background. */
    static final long BACKGROUND_WAIT_MS = 300_000;
    /** Time between two tries while the meta group does not answer. */
    static final long RETRY_SLEEP_MS = 500;
    /** How long one try may take. */
    static final long CALL_WAIT_MS = 15_000;
    /** How long {@link #close} waits for the background thread to end. */
    static final long JOIN_MS = CALL_WAIT_MS;
    /** The background registration thread's name, followed by the node id. */
    static final String THREAD_NAME_PREFIX = "omendb-register-";

    private final OmenConfig config;
    private final ClusterClient client;
    /** This node's data directory's incarnation: whether it is the one a decommissioned id was removed with. */
    private final long incarnation;
    private final OneShotThread thread;

    MemberRegistration(OmenConfig config, ClusterClient client, long incarnation) {
        this.config = config;
        this.client = client;
        this.incarnation = incarnation;
        this.thread = new OneShotThread(THREAD_NAME_PREFIX + config.cluster().nodeId(), this::registerConfigured,
                JOIN_MS);
    }

    /** Registers this joining node, blocking; fails with the reason when its id is taken or the meta group is silent. */
    void join() throws IOException {
        try {
            registerWithin(JOIN_WAIT_MS, false);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while registering node " + nodeId() + " in the meta group", e);
        }
    }

    /** Registers this configured member in the background. */
    void startInBackground() {
        thread.start();
    }

    private void registerConfigured() {
        try {
            registerWithin(BACKGROUND_WAIT_MS, true);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        } catch (IOException e) {
            LOG.error("Node {}: {}", nodeId(), e.getMessage());
        }
    }

    private void registerWithin(long waitMs, boolean configured) throws IOException, InterruptedException {
        OmenConfig.Member self = config.cluster().self();
        long deadline = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(waitMs);
        AtomicReference<Exception> lastFailure = new AtomicReference<>();
        Optional<NodeAdmin.Registration> outcome = CallRetries.untilAnswered(
                () -> client.admin().nodes().register(self, configured, incarnation), CALL_WAIT_MS, RETRY_SLEEP_MS,
                () -> System.nanoTime() < deadline, e -> {
                    if (e.getCause() instanceof ClientException ce && ce.code() == ErrorCode.INVALID_ARGUMENT) {
                        throw new IOException("node " + nodeId() + " cannot join the cluster: " + ce.getMessage(), ce);
                    }
                    lastFailure.set(e);
                });
        if (outcome.isPresent()) {
            logOutcome(self, outcome.get());
            return;
        }
        Exception last = lastFailure.get();
        throw new IOException("node " + nodeId() + " could not register in the meta group (peers "
                + config.cluster().metaPeers() + ") within " + waitMs + " ms; is the cluster running, and are its meta "
                + "group's peers the first members of this node's file? Last failure: " + last, last);
    }

    private void logOutcome(OmenConfig.Member self, NodeAdmin.Registration outcome) {
        switch (outcome) {
            case UNCHANGED -> { }
            case RECORDED -> LOG.info("Node {}: registered in the meta group as {}", nodeId(), self);
            case REUSED -> LOG.warn("Node {}: took over the id of a decommissioned node, whose data directory was "
                    + "another (this one is {}): registered as {}, live again; it holds nothing until the placement "
                    + "driver gives it replicas", nodeId(), IncarnationCodec.shown(incarnation), self);
            case REMOVED_HERE -> LOG.warn("Node {} was decommissioned with this data directory (incarnation {}): it "
                    + "stays removed and is given no replica. To use the id {} again, start it on an empty data "
                    + "directory", nodeId(), IncarnationCodec.shown(incarnation), nodeId());
        }
    }

    private String nodeId() {
        return config.cluster().nodeId();
    }

    @Override
    public void close() {
        thread.close();
    }
}
