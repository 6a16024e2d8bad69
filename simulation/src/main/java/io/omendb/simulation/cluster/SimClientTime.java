package io.omendb.simulation.cluster;

import io.omendb.raft.client.ClientTime;
import io.omendb.simulation.kernel.Simulation;

/**
 * The client path's clock and timer on the simulation's virtual clock: {@link #nanoTime} is simulated time and a
 * scheduled task is one more event in the simulation's queue, so a client's linger, resend sleeps and attempt timeouts
 * interleave with the network and the replicas in one seeded order. A cancelled task still takes its place in the
 * queue (the event runs and does nothing), which keeps the trace independent of when the cancel happened.
 */
final class SimClientTime implements ClientTime {
    private final Simulation sim;
    private final String label;

    SimClientTime(Simulation sim, String owner) {
        this.sim = sim;
        this.label = owner + " timer";
    }

    @Override
    public long nanoTime() {
        return sim.nowNs();
    }

    @Override
    public Cancellable schedule(Runnable task, long delayUs) {
        boolean[] cancelled = {false};
        sim.schedule(delayUs, label, () -> {
            if (!cancelled[0]) {
                task.run();
            }
        });
        return () -> cancelled[0] = true;
    }
}
