package io.omendb.benchcluster;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;

/**
 * The cluster a benchmark main runs now and its temporary work directory, so that both are cleaned up exactly once
 * by whichever comes first: the run's {@code finally} or the JVM's shutdown hook (an interrupted benchmark). Thread-safe:
 * {@link #stop} takes each one out atomically.
 */
final class RunningCluster {
    private final AtomicReference<KvTarget> target = new AtomicReference<>();
    private final AtomicReference<Path> workDir = new AtomicReference<>();

    /** Registers a target about to start in {@code dir}. */
    void starting(KvTarget cluster, Path dir) {
        workDir.set(dir);
        target.set(cluster);
    }

    /** Kills the target's processes and deletes its work directory, if still there. */
    void stop() {
        KvTarget t = target.getAndSet(null);
        if (t != null) {
            t.close();
        }
        Path dir = workDir.getAndSet(null);
        if (dir != null) {
            try {
                ClusterBenchMain.deleteTree(dir);
            } catch (Exception e) {
                System.err.println("cannot delete " + dir + ": " + e);
            }
        }
    }
}
