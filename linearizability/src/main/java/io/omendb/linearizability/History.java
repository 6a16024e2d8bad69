package io.omendb.linearizability;

import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The record of every client operation of a run. Thread-safe: clients append completed records concurrently
 * (an operation is appended once, when its outcome is known or given up on).
 */
public final class History {
    private final List<Op> ops = new ArrayList<>();
    private final AtomicLong nextId = new AtomicLong();

    public long nextId() {
        return nextId.getAndIncrement();
    }

    public synchronized void add(Op op) {
        ops.add(op);
    }

    public synchronized List<Op> snapshot() {
        return List.copyOf(ops);
    }

    /** Operations grouped by key, each list in invocation order. */
    public synchronized Map<String, List<Op>> byKey() {
        Map<String, List<Op>> out = new LinkedHashMap<>();
        ops.stream().sorted(Comparator.comparingLong(Op::invokeNs))
                .forEach(op -> out.computeIfAbsent(op.key(), k -> new ArrayList<>()).add(op));
        return out;
    }

    public synchronized int size() {
        return ops.size();
    }
}
