package io.omendb.simulation.cluster;

import io.omendb.linearizability.History;
import io.omendb.linearizability.Op;
import io.omendb.raft.client.SimulatedRouter;
import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.QueryResult;
import io.omendb.simulation.kernel.Simulation;

import java.nio.charset.StandardCharsets;
import java.util.HashMap;
import java.util.List;
import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * Closed-loop client processes: each sends one operation (put, get, delete or compare-and-set on a key drawn from a
 * small key space, so processes contend) through its router, waits for the answer, thinks for a drawn time, and
 * sends the next, {@code opsPerProcess} times. Every operation is recorded in the {@link History} with invocation
 * and completion times from the fake clock, and with what the client can know of its outcome:
 * <ul>
 *   <li>a write answered by its result is OK (with the result: whether a delete found the key, a CAS's outcome and
 *       current value);</li>
 *   <li>a write whose call failed is UNKNOWN — the leader path gives up only after resends, any of which may have
 *       committed — and so is a write answered {@code AlreadyApplied};</li>
 *   <li>a get that failed has no effect and is recorded FAILED.</li>
 * </ul>
 * Values are unique per write ({@code p<process>-<n>}), which is what lets the checker see a write applied twice.
 */
final class SimWorkload {
    private final Simulation sim;
    private final History history;
    private final List<String> keys;
    private final int opsPerProcess;
    private final long thinkMaxUs;
    private final int processes;
    private int processesDone;

    SimWorkload(Simulation sim, History history, List<String> keys, int processes, int opsPerProcess,
                long thinkMaxUs) {
        this.sim = sim;
        this.history = history;
        this.keys = List.copyOf(keys);
        this.processes = processes;
        this.opsPerProcess = opsPerProcess;
        this.thinkMaxUs = thinkMaxUs;
    }

    /** Starts process {@code p} on {@code router}. */
    void start(int p, SimulatedRouter router) {
        Process process = new Process("p" + p, router);
        sim.schedule(sim.delayUs(0, thinkMaxUs), process.name + " starts", process::next);
    }

    boolean done() {
        return processesDone == processes;
    }

    private final class Process {
        final String name;
        final SimulatedRouter router;
        /** The last value this process saw or wrote per key: what its compare-and-sets expect. */
        final Map<String, String> lastSeen = new HashMap<>();
        int sent;

        Process(String name, SimulatedRouter router) {
            this.name = name;
            this.router = router;
        }

        void next() {
            if (sent == opsPerProcess) {
                processesDone++;
                return;
            }
            sent++;
            String key = sim.pick(keys);
            int kind = sim.random().nextInt(100);
            CompletableFuture<Op> op;
            if (kind < 30) {
                op = get(key);
            } else if (kind < 60) {
                op = put(key, name + "-" + sent);
            } else if (kind < 75) {
                op = delete(key);
            } else {
                String expected = sim.chance(0.8) ? lastSeen.get(key) : null;
                op = cas(key, expected, sim.chance(0.1) ? null : name + "-" + sent);
            }
            op.thenAccept(done -> {
                history.add(done);
                sim.record(describe(done));
                sim.schedule(sim.delayUs(0, thinkMaxUs), name + " thinks", this::next);
            });
        }

        CompletableFuture<Op> get(String key) {
            long invoked = sim.nowNs();
            return router.get(bytes(key)).handle((r, error) -> {
                if (error != null || !(r instanceof QueryResult.Value v)) {
                    return op(Op.Type.GET, key, null, null, invoked, Op.Outcome.FAILED, null, false);
                }
                String seen = string(v.value());
                lastSeen.put(key, seen);
                return op(Op.Type.GET, key, null, null, invoked, Op.Outcome.OK, seen, false);
            });
        }

        CompletableFuture<Op> put(String key, String value) {
            long invoked = sim.nowNs();
            return router.write(new Command.Put(bytes(key), bytes(value))).handle((r, error) -> {
                boolean ok = error == null && r instanceof CommandResult.Written;
                if (ok) {
                    lastSeen.put(key, value);
                }
                return op(Op.Type.PUT, key, value, null, invoked, ok ? Op.Outcome.OK : Op.Outcome.UNKNOWN, null, false);
            });
        }

        CompletableFuture<Op> delete(String key) {
            long invoked = sim.nowNs();
            return router.write(new Command.Delete(bytes(key))).handle((r, error) -> {
                if (error == null && r instanceof CommandResult.Deleted d) {
                    lastSeen.remove(key);
                    return op(Op.Type.DELETE, key, null, null, invoked, Op.Outcome.OK, null, d.existed());
                }
                return op(Op.Type.DELETE, key, null, null, invoked, Op.Outcome.UNKNOWN, null, false);
            });
        }

        CompletableFuture<Op> cas(String key, String expected, String value) {
            long invoked = sim.nowNs();
            Command c = new Command.CompareAndSet(bytes(key), bytes(expected), bytes(value));
            return router.write(c).handle((r, error) -> {
                if (error == null && r instanceof CommandResult.CasOutcome o) {
                    String current = string(o.current());
                    lastSeen.put(key, current);
                    return op(Op.Type.CAS, key, value, expected, invoked, Op.Outcome.OK, current, o.succeeded());
                }
                return op(Op.Type.CAS, key, value, expected, invoked, Op.Outcome.UNKNOWN, null, false);
            });
        }

        Op op(Op.Type type, String key, String value, String expected, long invokedNs, Op.Outcome outcome,
              String result, boolean flag) {
            return new Op(history.nextId(), name, type, key, value, expected, invokedNs, sim.nowNs(), outcome, result,
                    flag);
        }
    }

    /** The operation without its history id (ids are handed out in completion order; the trace has that already). */
    private static String describe(Op op) {
        String s = op.toString();
        return s.substring(s.indexOf(' ') + 1);
    }

    static byte[] bytes(String s) {
        return s == null ? null : s.getBytes(StandardCharsets.UTF_8);
    }

    static String string(byte[] b) {
        return b == null ? null : new String(b, StandardCharsets.UTF_8);
    }
}
