package io.omendb.simulation.kernel;

/**
 * Seeded message faults between simulated endpoints: each message is lost with probability {@code dropP},
 * delivered after a delay drawn from {@code [delayMinUs, delayMaxUs]} (so messages overtake one another), and
 * delivered a second time, after another drawn delay, with probability {@code duplicateP}. What a message is and
 * what delivery does belong to the caller; the network only decides whether, when and how often. {@link #heal} turns
 * loss and duplication off (delays stay) for the end of a run, when everything must settle.
 *
 * <p>Single-threaded, like the {@link Simulation} it schedules on.
 */
public final class Network {
    /** Fault settings of a run. */
    public record Faults(double dropP, double duplicateP, long delayMinUs, long delayMaxUs) {
        public Faults {
            if (dropP < 0 || dropP >= 1 || duplicateP < 0 || duplicateP >= 1 || delayMinUs < 0
                    || delayMaxUs < delayMinUs) {
                throw new IllegalArgumentException("bad network faults " + this);
            }
        }

        /** Random faults within bounds that still let a run make progress. */
        public static Faults drawn(Simulation sim, double dropMax, double duplicateMax, long delayMaxUs) {
            long min = sim.delayUs(50, 500);
            return new Faults(sim.random().nextDouble() * dropMax, sim.random().nextDouble() * duplicateMax, min,
                    min + sim.delayUs(0, delayMaxUs));
        }
    }

    private final Simulation sim;
    private Faults faults;

    public Network(Simulation sim, Faults faults) {
        this.sim = sim;
        this.faults = faults;
    }

    /** Sends one message; {@code label} names it in the trace (no per-process random ids). */
    public void send(String label, Runnable deliver) {
        if (sim.chance(faults.dropP())) {
            sim.record("drop " + label);
            return;
        }
        sim.schedule(sim.delayUs(faults.delayMinUs(), faults.delayMaxUs()), label, deliver);
        if (sim.chance(faults.duplicateP())) {
            sim.schedule(sim.delayUs(faults.delayMinUs(), faults.delayMaxUs()), "dup " + label, deliver);
        }
    }

    public void heal() {
        faults = new Faults(0, 0, faults.delayMinUs(), faults.delayMaxUs());
    }

    public Faults faults() {
        return faults;
    }
}
