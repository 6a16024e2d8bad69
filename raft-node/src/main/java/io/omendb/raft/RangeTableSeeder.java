package io.omendb.raft;

import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterAdmin;
import io.omendb.raft.client.ClusterClient;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutionException;

/**
 * Writes the initial range descriptors ({@link ClusterLayout#initialRanges}) into the meta group, by
 * compare-and-set (absent ones only, so a restart or a second meta peer doing the same is a no-op; never one a merge
 * removed, whose tombstone stays), then makes every
 * range's replicas record their descriptor from that table ({@link ClusterAdmin#recordDescriptorIfAbsent}: a no-op
 * for ranges whose log holds one; for ranges created by older builds this is the
 * upgrade). Until a range's log holds its descriptor, its replicas accept every key. Runs on a meta
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
    private final OneShotThread thread;
    private final boolean recordDescriptors;

    /** @param recordDescriptors false: write the table only, as builds before range descriptors did */
    RangeTableSeeder(OmenConfig config, boolean recordDescriptors) {
        this.config = config;
        this.recordDescriptors = recordDescriptors;
        this.thread = new OneShotThread(THREAD_NAME_PREFIX + config.cluster().nodeId(), this::seed, JOIN_MS);
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
                if (!retry(() -> client.admin().createRangeIfAbsent(r).get(), deadline,
                        "write the initial range table")) {
                    return;
                }
            }
            // an initial range merged away keeps its tombstone: createRangeIfAbsent left it out, and so does this
            List<Long> merged = new ArrayList<>();
            if (!retry(() -> client.admin().mergeTombstones().get().forEach(t -> merged.add(t.sourceRangeId())),
                    deadline, "read the merged ranges")) {
                return;
            }
            ranges = ranges.stream().filter(r -> !merged.contains(r.rangeId())).toList();
            LOG.info("Node {}: initial range table present ({} ranges)", nodeId, ranges.size());
            if (!recordDescriptors) {
                return;
            }
            for (RangeDescriptor r : ranges) {
                if (!retry(() -> client.admin().recordDescriptorIfAbsent(r.rangeId()).get(), deadline,
                        "make range " + r.rangeId() + " record its descriptor")) {
                    return;
                }
            }
            LOG.info("Node {}: every range's log records its descriptor", nodeId);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    private interface Step {
        void run() throws ExecutionException, InterruptedException;
    }

    /** Runs {@code step} until it succeeds (true), the deadline passes (logged; false) or the thread is interrupted. */
    private boolean retry(Step step, long deadline, String what) throws InterruptedException {
        while (!Thread.currentThread().isInterrupted()) {
            try {
                step.run();
                return true;
            } catch (ExecutionException | RuntimeException e) {
                if (System.nanoTime() > deadline) {
                    LOG.error("Node {} could not {} within {} ms", config.cluster().nodeId(), what, DEADLINE_MS, e);
                    return false;
                }
                Thread.sleep(RETRY_SLEEP_MS);
            }
        }
        return false;
    }

    @Override
    public void close() {
        thread.close();
    }
}
