package io.omendb.simulation.kernel;

import org.junit.jupiter.api.Test;

import java.util.ArrayList;
import java.util.List;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertNotEquals;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** The kernel's contract: time order, ties in scheduling order, a bounded run, and a trace fixed by the seed. */
class SimulationTest {
    @Test
    void eventsRunInTimeOrderAndTiesInSchedulingOrder() {
        Simulation sim = new Simulation(1);
        List<String> ran = new ArrayList<>();
        sim.schedule(20, "late", () -> ran.add("late@" + sim.nowUs()));
        sim.schedule(10, "first", () -> {
            ran.add("first@" + sim.nowUs());
            sim.schedule(0, "nested", () -> ran.add("nested@" + sim.nowUs()));
        });
        sim.schedule(10, "second", () -> ran.add("second@" + sim.nowUs()));
        assertFalse(sim.runUntil(() -> false, 100), "the queue ran dry");
        assertEquals(List.of("first@10", "second@10", "nested@10", "late@20"), ran);
        assertEquals(4, sim.eventsRun());
    }

    @Test
    void aRunStopsAfterItsEventLimit() {
        Simulation sim = new Simulation(1);
        Runnable[] tick = new Runnable[1];
        tick[0] = () -> sim.schedule(1, "tick", tick[0]);
        sim.schedule(0, "tick", tick[0]);
        assertFalse(sim.runUntil(() -> false, 50));
        assertEquals(50, sim.eventsRun());
    }

    @Test
    void aSeedFixesTheNetworksChoicesAndTheTrace() {
        assertEquals(trace(7), trace(7));
        assertNotEquals(trace(7), trace(8));
    }

    private static long trace(long seed) {
        Simulation sim = new Simulation(seed);
        Network net = new Network(sim, new Network.Faults(0.2, 0.2, 10, 1_000));
        int[] delivered = new int[1];
        for (int i = 0; i < 100; i++) {
            net.send("m" + i, () -> delivered[0]++);
        }
        assertTrue(sim.runUntil(() -> false, 1_000) || delivered[0] > 0);
        sim.record("delivered " + delivered[0]);
        return sim.traceHash();
    }
}
