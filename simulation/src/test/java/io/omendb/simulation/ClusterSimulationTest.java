package io.omendb.simulation;

import io.omendb.simulation.cluster.ClusterSimulation;
import org.junit.jupiter.api.AfterAll;
import org.junit.jupiter.api.BeforeAll;
import org.junit.jupiter.api.Test;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Runs {@code sim.seeds} seeds (default {@value #SEEDS_DEFAULT}) of {@link ClusterSimulation} from
 * {@code sim.seedStart} (default 1), or only {@code sim.seed} when given, on {@code sim.threads} threads (default:
 * one per processor; each seed is one single-threaded run, so this changes no seed's trace); a failing seed is reported
 * with its checks' findings, the tail of its trace and the command that replays it. Engines live on /dev/shm when it is
 * writable.
 */
class ClusterSimulationTest {
    /** From this many seeds on, some router certainly starts with an out-of-date table (each does with p = 0.5). */
    private static final int REROUTES_EXPECTED_FROM_SEEDS = 20;
    static final int SEEDS_DEFAULT = 2_000;
    private static final int FAILURES_SHOWN_MAX = 3;

    private static Path baseDir;

    @BeforeAll
    static void makeBaseDir() throws IOException {
        Path shm = Path.of("/dev/shm");
        Path parent = Files.isDirectory(shm) && Files.isWritable(shm) ? shm
                : Path.of(System.getProperty("java.io.tmpdir"));
        baseDir = Files.createTempDirectory(parent, "omendb-sim-");
    }

    @AfterAll
    static void removeBaseDir() throws IOException {
        Files.deleteIfExists(baseDir);
    }

    @Test
    void seeds() throws Exception {
        Long only = Long.getLong("sim.seed");
        long first = only != null ? only : Long.getLong("sim.seedStart", 1L);
        int count = only != null ? 1 : Integer.getInteger("sim.seeds", SEEDS_DEFAULT);
        int threads = Math.max(1, Math.min(count, Integer.getInteger("sim.threads",
                Runtime.getRuntime().availableProcessors())));
        ClusterSimulation.Settings settings = ClusterSimulation.Settings.defaults();
        long started = System.nanoTime();
        List<ClusterSimulation.Outcome> outcomes = runSeeds(first, count, threads, settings);
        long wallMs = (System.nanoTime() - started) / 1_000_000;
        List<ClusterSimulation.Outcome> failed = outcomes.stream().filter(o -> !o.ok()).toList();
        long reroutes = outcomes.stream().mapToLong(ClusterSimulation.Outcome::reroutes).sum();
        System.out.printf("simulation: %d seeds from %d on %d threads, %d events, %d client ops (%d acknowledged,"
                        + " %d re-routed), %d failed, %d ms wall, %d ms cpu%n", count, first, threads,
                outcomes.stream().mapToLong(ClusterSimulation.Outcome::events).sum(),
                outcomes.stream().mapToLong(ClusterSimulation.Outcome::ops).sum(),
                outcomes.stream().mapToLong(ClusterSimulation.Outcome::acknowledged).sum(), reroutes, failed.size(),
                wallMs,
                outcomes.stream().mapToLong(ClusterSimulation.Outcome::cpuNs).sum() / 1_000_000);
        if (only != null && failed.isEmpty()) {
            System.out.println("seed " + only + " passed; trace " + Long.toHexString(outcomes.get(0).traceHash())
                    + ", last lines:\n" + outcomes.get(0).traceTail());
        }
        StringBuilder report = new StringBuilder();
        failed.stream().limit(FAILURES_SHOWN_MAX).forEach(o -> report.append(describe(o)));
        assertTrue(failed.isEmpty(), () -> failed.size() + " of " + count + " seeds failed (seeds "
                + failed.stream().map(o -> Long.toString(o.seed())).limit(20).toList() + ")\n" + report);
        // half the routers start with an out-of-date table: a run of many seeds that re-routed nothing tested nothing
        assertTrue(count < REROUTES_EXPECTED_FROM_SEEDS || reroutes > 0, "no request was re-routed in " + count
                + " seeds");
    }

    /** Seeds are independent single-threaded runs, so they may run side by side; outcomes come back in seed order. */
    private static List<ClusterSimulation.Outcome> runSeeds(long first, int count, int threads,
                                                            ClusterSimulation.Settings settings) throws Exception {
        ExecutorService pool = Executors.newFixedThreadPool(threads);
        try {
            List<Future<ClusterSimulation.Outcome>> futures = new ArrayList<>();
            for (long seed = first; seed < first + count; seed++) {
                long s = seed;
                futures.add(pool.submit(() -> ClusterSimulation.run(s, settings, baseDir)));
            }
            List<ClusterSimulation.Outcome> outcomes = new ArrayList<>();
            for (Future<ClusterSimulation.Outcome> f : futures) {
                outcomes.add(f.get());
            }
            return outcomes;
        } finally {
            pool.shutdownNow();
        }
    }

    @Test
    void aSeedReplaysToTheSameTrace() throws IOException {
        ClusterSimulation.Settings settings = ClusterSimulation.Settings.defaults();
        ClusterSimulation.Outcome once = ClusterSimulation.run(42, settings, baseDir);
        ClusterSimulation.Outcome again = ClusterSimulation.run(42, settings, baseDir);
        ClusterSimulation.Outcome other = ClusterSimulation.run(43, settings, baseDir);
        assertTrue(once.events() > 0 && once.ops() > 0, "the run did something");
        assertEquals(once.traceHash(), again.traceHash(), "one seed, one trace:\n" + once.traceTail() + "\n---\n"
                + again.traceTail());
        assertEquals(once.events(), again.events());
        assertEquals(once.simulatedUs(), again.simulatedUs());
        assertNotEquals(once.traceHash(), other.traceHash(), "another seed, another run");
    }

    static String describe(ClusterSimulation.Outcome o) {
        return "\n=== seed " + o.seed() + " failed (" + o.ops() + " ops, " + o.events() + " events, trace "
                + Long.toHexString(o.traceHash()) + ")\n" + String.join("\n", o.failures())
                + "\n--- last trace lines:\n" + o.traceTail()
                + "\n--- replay: mvn -o -pl simulation -am test -Dtest='ClusterSimulationTest#seeds'"
                + " -Dsurefire.failIfNoSpecifiedTests=false -Dsim.seed=" + o.seed() + "\n";
    }
}
