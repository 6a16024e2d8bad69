package io.omendb.benchcluster;

import io.omendb.benchcommon.MachineInfo;

import java.nio.file.Path;
import java.util.concurrent.atomic.AtomicReference;
import picocli.CommandLine;
import picocli.CommandLine.Model.CommandSpec;

/**
 * The cluster a benchmark main runs now and its temporary work directory, so that both are cleaned up exactly once
 * by whichever comes first: the run's {@code finally} or the JVM's shutdown hook (an interrupted benchmark). Thread-safe:
 * {@link #stop} takes each one out atomically.
 */
final class RunningCluster {
    private final AtomicReference<KvTarget> target = new AtomicReference<>();
    private final AtomicReference<Path> workDir = new AtomicReference<>();

    /** A benchmark's body, given the command that reproduces the run and the machine probed before it. */
    interface Benchmark {
        void run(String command, MachineInfo machine) throws Exception;
    }

    /**
     * Runs {@code body} once with the run's reproducing command ({@link ReproducingCommand}: {@code spec} against
     * {@code freshCommand}, a new instance of the same command, parsed here with no arguments) and the machine probed
     * now, and stops the cluster it registered whatever happens; a shutdown hook stops it if the JVM is interrupted.
     */
    void runOnce(String program, CommandSpec spec, Object freshCommand, Benchmark body) throws Exception {
        CommandLine defaults = new CommandLine(freshCommand);
        defaults.parseArgs();
        String command = ReproducingCommand.of(program, spec, defaults.getCommandSpec());
        MachineInfo machine = MachineInfo.probe(Path.of(System.getProperty("java.io.tmpdir")));
        Runtime.getRuntime().addShutdownHook(new Thread(this::stop));
        try {
            body.run(command, machine);
        } finally {
            stop();
        }
    }

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
