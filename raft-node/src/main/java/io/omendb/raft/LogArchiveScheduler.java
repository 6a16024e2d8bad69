package io.omendb.raft;

import io.omendb.raft.archive.GroupLogArchiver;
import io.omendb.raft.client.DaemonThreads;
import io.omendb.config.OmenConfig;
import io.omendb.raft.statemachine.RangeStateMachine;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;

/**
 * Log archiving of a node ({@code backup.log_archive_dir} set): every {@code backup.log_archive_interval_ms}, one
 * timer thread runs an archiving pass over each hosted replica ({@link RangeStateMachine#archiveLog}, see
 * {@link GroupLogArchiver}); a slow archive disk delays only archiving, never writes. {@link #close} stops the timer
 * and runs a last pass, so a cleanly stopped node leaves every entry it applied in the archive.
 */
final class LogArchiveScheduler implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(LogArchiveScheduler.class);
    /** How long close waits for a running log archiving pass before its final pass. */
    static final long STOP_WAIT_MS = 30_000;

    private final String nodeId;
    private final RaftServer server;
    private final ScheduledExecutorService timer;

    private LogArchiveScheduler(String nodeId, RaftServer server, ScheduledExecutorService timer) {
        this.nodeId = nodeId;
        this.server = server;
        this.timer = timer;
    }

    /** Starts archiving every replica of {@code server} if {@code config} asks for it; null otherwise. */
    static LogArchiveScheduler startIfConfigured(OmenConfig config, RaftServer server) {
        if (!config.backup().archiving()) {
            return null;
        }
        String nodeId = config.cluster().nodeId();
        long every = config.backup().logArchiveIntervalMs();
        LogArchiveScheduler s = new LogArchiveScheduler(nodeId, server,
                Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("omendb-log-archiver-" + nodeId)));
        s.timer.scheduleWithFixedDelay(s::archiveEveryReplica, every, every, TimeUnit.MILLISECONDS);
        return s;
    }

    private void archiveEveryReplica() {
        HostedGroups.rangeStateMachines(server).forEach(RangeStateMachine::archiveLog);
    }

    /** Stops the timer, then archives once more so a clean stop leaves everything committed in the archive. */
    @Override
    public void close() {
        timer.shutdown();
        try {
            if (timer.awaitTermination(STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                archiveEveryReplica();
            } else {
                LOG.warn("Node {}: log archiving pass still running after {} ms; stopping without a final pass",
                        nodeId, STOP_WAIT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }
}
