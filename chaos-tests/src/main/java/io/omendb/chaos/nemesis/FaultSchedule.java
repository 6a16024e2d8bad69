package io.omendb.chaos.nemesis;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Random;

/**
 * Which fault comes next, and whether another one comes at all.
 *
 * <p><b>Guarantee.</b> Every selected type is injected at least once, however short the run: in random order the
 * types are drawn in rounds, each round a fresh seeded shuffle of all selected types (so after {@code k} full rounds
 * every type ran exactly {@code k} times), and the duration alone never ends a round that has not yet covered every
 * type once. Only {@code faultsMax} (an explicit {@code --samples}) can stop the run earlier. In fixed order (the
 * short profile) the types run once each, in the order given.
 *
 * <p>Deterministic for a given {@link Random}: a run's fault plan replays from its seed. Single-threaded.
 */
public final class FaultSchedule {
    private final List<FaultType> types;
    private final boolean randomOrder;
    private final int faultsMax;
    private final Random random;
    private final List<FaultType> round = new ArrayList<>();
    private int drawn;

    /**
     * @param faultsMax bound on the number of faults; in fixed order at most {@code types.size()} run
     */
    public FaultSchedule(List<FaultType> types, boolean randomOrder, int faultsMax, Random random) {
        if (types.isEmpty()) {
            throw new IllegalArgumentException("no fault types selected");
        }
        if (faultsMax < 1) {
            throw new IllegalArgumentException("faultsMax must be >= 1, got " + faultsMax);
        }
        this.types = List.copyOf(types);
        this.randomOrder = randomOrder;
        this.faultsMax = randomOrder ? faultsMax : Math.min(faultsMax, types.size());
        this.random = random;
    }

    /** Whether another fault runs, given whether the run's duration has passed (ignored in fixed order). */
    public boolean hasNext(boolean durationPassed) {
        if (drawn >= faultsMax) {
            return false;
        }
        return !randomOrder || !durationPassed || drawn < types.size();
    }

    public FaultType next() {
        if (drawn >= faultsMax) {
            throw new IllegalStateException("all " + faultsMax + " faults drawn");
        }
        FaultType t;
        if (randomOrder) {
            if (round.isEmpty()) {
                round.addAll(types);
                Collections.shuffle(round, random);
            }
            t = round.remove(round.size() - 1);
        } else {
            t = types.get(drawn);
        }
        drawn++;
        return t;
    }
}
