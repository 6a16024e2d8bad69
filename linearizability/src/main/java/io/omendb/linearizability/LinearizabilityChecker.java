package io.omendb.linearizability;


import java.util.ArrayList;
import java.util.BitSet;
import java.util.HashSet;
import java.util.List;
import java.util.Set;

/**
 * Decides whether the history of one key is linearizable for a register with compare-and-set
 * ({@link RegisterModel}), starting from an absent key.
 *
 * <p><b>Algorithm.</b> Wing &amp; Gong's search with Lowe's memoization, as in Porcupine: the invocations and
 * completions form a time-ordered list; the search walks it, linearizing any invoked-but-unlinearized operation
 * whose result is legal in the current state (removing it from the list) and backtracking when it reaches the
 * completion of an operation it has not linearized. A (set of linearized operations, state) pair already explored
 * is never explored again. Operations with an unknown outcome never complete, so they may take effect at any point
 * after their invocation, including after everything else (that is: never). Failed operations and reads without a
 * known result have no effect and are dropped.
 *
 * <p><b>Ties.</b> An operation invoked at the same nanosecond another completes counts as concurrent with it (calls
 * sort before completions): the checker never reports a violation that depends on an ordering the clock could not
 * see.
 *
 * <p><b>Bounds.</b> The search stops after {@code exploredStatesMax} memoized states and reports the key as
 * inconclusive, which callers must treat as a failure, never as a pass. Not thread-safe; one instance per check.
 */
public final class LinearizabilityChecker {
    /** The verdict for one key. {@code witness} lists the operations around the point the search could not pass. */
    public record Result(String key, Verdict verdict, int ops, long exploredStates, List<Op> witness) {
        public boolean ok() {
            return verdict == Verdict.LINEARIZABLE;
        }
    }

    public enum Verdict { LINEARIZABLE, VIOLATION, INCONCLUSIVE }

    private static final int WITNESS_OPS_MAX = 12;

    private final long exploredStatesMax;

    public LinearizabilityChecker(long exploredStatesMax) {
        if (exploredStatesMax < 1) {
            throw new IllegalArgumentException("exploredStatesMax must be >= 1");
        }
        this.exploredStatesMax = exploredStatesMax;
    }

    public Result check(String key, List<Op> history) {
        List<Op> ops = history.stream().filter(LinearizabilityChecker::relevant).toList();
        Entry head = buildList(ops);
        Set<Memo> seen = new HashSet<>();
        BitSet linearized = new BitSet(ops.size());
        List<Frame> stack = new ArrayList<>();
        String state = null;
        Entry entry = head.next;
        Entry deepestStuck = null;
        int deepest = -1;
        while (head.next != null) {
            if (seen.size() >= exploredStatesMax) {
                return new Result(key, Verdict.INCONCLUSIVE, ops.size(), seen.size(), List.of());
            }
            if (entry.call) {
                RegisterModel.Step step = RegisterModel.step(state, entry.op);
                if (step.legal()) {
                    BitSet next = (BitSet) linearized.clone();
                    next.set(entry.index);
                    if (seen.add(new Memo(next, step.state()))) {
                        stack.add(new Frame(entry, state));
                        state = step.state();
                        linearized = next;
                        entry.lift();
                        entry = head.next;
                        continue;
                    }
                }
                entry = entry.next;
            } else {
                if (stack.size() > deepest) {
                    deepest = stack.size();
                    deepestStuck = entry;
                }
                if (stack.isEmpty()) {
                    return new Result(key, Verdict.VIOLATION, ops.size(), seen.size(), witness(ops, deepestStuck));
                }
                Frame top = stack.remove(stack.size() - 1);
                state = top.stateBefore;
                linearized = (BitSet) linearized.clone();
                linearized.clear(top.call.index);
                top.call.unlift();
                entry = top.call.next;
            }
        }
        return new Result(key, Verdict.LINEARIZABLE, ops.size(), seen.size(), List.of());
    }

    /** Operations that can matter: every write not known to have failed, and reads with a known result. */
    private static boolean relevant(Op op) {
        if (op.outcome() == Op.Outcome.FAILED) {
            return false;
        }
        return op.type() != Op.Type.GET || op.outcome() == Op.Outcome.OK;
    }

    /** The operation whose completion could not be passed, and the operations overlapping it. */
    private static List<Op> witness(List<Op> ops, Entry stuck) {
        Op blocked = stuck.op;
        return ops.stream().filter(o -> o.invokeNs() <= blocked.completeNs() && o.completeNs() >= blocked.invokeNs()
                || o == blocked).limit(WITNESS_OPS_MAX).toList();
    }

    private static Entry buildList(List<Op> ops) {
        record Event(long time, boolean call, int index) {
        }
        List<Event> events = new ArrayList<>(2 * ops.size());
        for (int i = 0; i < ops.size(); i++) {
            events.add(new Event(ops.get(i).invokeNs(), true, i));
            events.add(new Event(ops.get(i).completeNs(), false, i));
        }
        events.sort((a, b) -> a.time != b.time ? Long.compare(a.time, b.time) : Boolean.compare(b.call, a.call));
        Entry head = new Entry(null, false, -1);
        Entry tail = head;
        Entry[] calls = new Entry[ops.size()];
        for (Event e : events) {
            Entry entry = new Entry(ops.get(e.index), e.call, e.index);
            if (e.call) {
                calls[e.index] = entry;
            } else {
                calls[e.index].match = entry;
            }
            tail.next = entry;
            entry.prev = tail;
            tail = entry;
        }
        return head;
    }

    private record Memo(BitSet linearized, String state) {
    }

    private record Frame(Entry call, String stateBefore) {
    }

    /** A node of the doubly linked event list; a call knows its completion so both leave and return together. */
    private static final class Entry {
        final Op op;
        final boolean call;
        final int index;
        Entry match;
        Entry prev;
        Entry next;

        Entry(Op op, boolean call, int index) {
            this.op = op;
            this.call = call;
            this.index = index;
        }

        void lift() {
            prev.next = next;
            if (next != null) {
                next.prev = prev;
            }
            match.prev.next = match.next;
            if (match.next != null) {
                match.next.prev = match.prev;
            }
        }

        void unlift() {
            match.prev.next = match;
            if (match.next != null) {
                match.next.prev = match;
            }
            prev.next = this;
            if (next != null) {
                next.prev = this;
            }
        }
    }
}
