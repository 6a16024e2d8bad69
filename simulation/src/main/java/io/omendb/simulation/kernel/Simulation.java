package io.omendb.simulation.kernel;

import java.util.ArrayDeque;
import java.util.List;
import java.util.PriorityQueue;
import java.util.Random;
import java.util.function.BooleanSupplier;

/**
 * The kernel of a deterministic simulation: a fake clock, one queue of timed events, and one seeded
 * {@link Random}. Everything the simulated system does happens inside an event run by {@link #runUntil} on the
 * caller's thread, in (time, scheduling order) order, so a seed fixes every choice and every interleaving.
 *
 * <p><b>Trace.</b> Each event carries a label; the kernel folds (time, label) of every event it runs into a 64-bit
 * FNV-1a hash (over the time's bytes and the label's chars) and keeps the last {@link #TRACE_TAIL_MAX} lines. Two
 * runs of one seed must have the same hash: a difference means something outside the seed (a real clock, a thread,
 * the iteration order of a map keyed by random ids) leaked into the run. Labels must therefore not contain anything
 * random per process (Ratis client ids, call ids).
 *
 * <p><b>Limits.</b> {@link #runUntil} stops after {@code eventsMax} events, so a live-locked run ends as a failure
 * rather than a hang.
 *
 * <p>Not thread-safe by design: there is one thread. Kafka's {@code RaftEventSimulationTest} is the model.
 */
public final class Simulation {
    /** Trace lines kept for a failure report. */
    public static final int TRACE_TAIL_MAX = 40;
    private static final long FNV_OFFSET = 0xcbf29ce484222325L;
    private static final long FNV_PRIME = 0x100000001b3L;

    private record Event(long atUs, long seq, String label, Runnable task) {
    }

    private record TraceLine(long atUs, String line) {
    }

    private final long seed;
    private final Random random;
    private final PriorityQueue<Event> queue = new PriorityQueue<>((a, b) -> a.atUs != b.atUs
            ? Long.compare(a.atUs, b.atUs) : Long.compare(a.seq, b.seq));
    private final ArrayDeque<TraceLine> traceTail = new ArrayDeque<>();
    private long nowUs;
    private long seq;
    private long eventsRun;
    private long traceHash = FNV_OFFSET;

    public Simulation(long seed) {
        this.seed = seed;
        this.random = new Random(seed);
    }

    public long seed() {
        return seed;
    }

    /** The only source of randomness of the run. */
    public Random random() {
        return random;
    }

    /** Fake time in microseconds since the start of the run. */
    public long nowUs() {
        return nowUs;
    }

    public long nowNs() {
        return nowUs * 1_000;
    }

    /** Runs {@code task} {@code delayUs} from now (0: after the events already due now). */
    public void schedule(long delayUs, String label, Runnable task) {
        if (delayUs < 0) {
            throw new IllegalArgumentException("delayUs must be >= 0: " + delayUs);
        }
        queue.add(new Event(nowUs + delayUs, seq++, label, task));
    }

    /** A uniformly drawn delay in {@code [minUs, maxUs]}. */
    public long delayUs(long minUs, long maxUs) {
        return minUs + (maxUs > minUs ? (long) (random.nextDouble() * (maxUs - minUs + 1)) : 0);
    }

    /** Whether an event of probability {@code p} happens now. */
    public boolean chance(double p) {
        return p > 0 && random.nextDouble() < p;
    }

    public <T> T pick(List<T> items) {
        return items.get(random.nextInt(items.size()));
    }

    /**
     * Runs events in order until {@code done} holds (checked before each event), the queue is empty, or
     * {@code eventsMax} events ran in this call; whether {@code done} holds at the end.
     */
    public boolean runUntil(BooleanSupplier done, long eventsMax) {
        long ran = 0;
        while (!done.getAsBoolean()) {
            Event e = queue.poll();
            if (e == null || ran++ >= eventsMax) {
                return false;
            }
            nowUs = e.atUs;
            eventsRun++;
            record(e.label);
            e.task.run();
        }
        return true;
    }

    /** Folds a line that is not an event (a checker's verdict, a client's observation) into the trace. */
    public void record(String line) {
        long h = traceHash;
        for (int shift = 0; shift < Long.SIZE; shift += Byte.SIZE) {
            h = (h ^ ((nowUs >>> shift) & 0xff)) * FNV_PRIME;
        }
        for (int i = 0; i < line.length(); i++) {
            h = (h ^ line.charAt(i)) * FNV_PRIME;
        }
        traceHash = (h ^ '\n') * FNV_PRIME;
        if (traceTail.size() == TRACE_TAIL_MAX) {
            traceTail.removeFirst();
        }
        traceTail.addLast(new TraceLine(nowUs, line));
    }

    public long traceHash() {
        return traceHash;
    }

    public long eventsRun() {
        return eventsRun;
    }

    /** The last trace lines, oldest first, one per line. */
    public String traceTail() {
        return String.join("\n", traceTail.stream().map(t -> t.atUs + " " + t.line).toList());
    }
}
