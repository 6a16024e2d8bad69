package io.omendb.raft;

import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * Writes the initial range descriptors ({@link ClusterLayout#initialRanges}) into the meta group, by
 * compare-and-set (absent ones only, so a restart or a second meta peer doing the same is a no-op). Runs on a meta
 * peer only, on one daemon thread of its own, retrying each descriptor every {@link #RETRY_SLEEP_MS} until
 * {@link #DEADLINE_MS} after the start (the meta group needs a leader first); then it logs an error and stops.
 * {@link #close} interrupts and joins it.
 */
final class RangeTableSeeder implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(RangeTableSeeder.class);
    /** How long a meta peer keeps trying to write the initial range table. */
    static final long DEADLINE_MS = 300_000;
    static final long RETRY_SLEEP_MS = 500;
    /** How long {@link #close} waits for the thread to end. */
    static final long JOIN_MS = RETRY_SLEEP_MS * 10;
    /** The seeding thread's name, followed by the node id. */
    static final String THREAD_NAME_PREFIX = "omendb-seed-";

    private final OmenConfig config;
    private final Thread thread;

    RangeTableSeeder(OmenConfig config) {
        this.config = config;
        this.thread = new Thread(this::seed, THREAD_NAME_PREFIX + config.cluster().nodeId());
        this.thread.setDaemon(true);
    }

    /** Starts seeding if this node is a meta peer. */
    void startIfMetaPeer() {
        if (ClusterLayout.metaPeers(config.cluster()).contains(config.cluster().nodeId())) {
            thread.start();
        }
    }

    private void seed() {
        String nodeId = config.cluster().nodeId();
        List<RangeDescriptor> ranges = ClusterLayout.initialRanges(config.database().name(), config.cluster());
        long deadline = System.nanoTime() + DEADLINE_MS * 1_000_000;
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(config))) {
            for (RangeDescriptor r : ranges) {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        client.admin().createRangeIfAbsent(r).get();
                        break;
                    } catch (ExecutionException | RuntimeException e) {
                        if (System.nanoTime() > deadline) {
                            LOG.error("Node {} could not write the initial range table within {} ms", nodeId,
                                    DEADLINE_MS, e);
                            return;
                        }
                        Thread.sleep(RETRY_SLEEP_MS);
                    }
                }
            }
            LOG.info("Node {}: initial range table present ({} ranges)", nodeId, ranges.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() {
        thread.interrupt();
        try {
            thread.join(JOIN_MS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
