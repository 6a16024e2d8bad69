package io.omendb.simulation.cluster;

import io.omendb.raft.client.SimulatedGroupClient;
import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.RangeTable;

import java.util.Map;
import java.util.concurrent.CompletableFuture;

/**
 * A router as far as the simulation exercises it: the range table routes each key to its range
 * ({@link RangeTable#rangeForKey}), and each range has this router's own {@link SimulatedGroupClient} (its own
 * coalescers and leader path, so its own Ratis client id). The range group refuses a key outside its bounds, so a
 * routing mistake fails the run. The table is fixed for a run (no splits yet).
 */
final class SimRouter {
    private final RangeTable table;
    private final Map<Long, SimulatedGroupClient> byRangeId;

    SimRouter(RangeTable table, Map<Long, SimulatedGroupClient> byRangeId) {
        this.table = table;
        this.byRangeId = Map.copyOf(byRangeId);
    }

    CompletableFuture<CommandResult> write(Command command) {
        return groupOf(Command.singleKeyOf(command)).write(command);
    }

    CompletableFuture<QueryResult> get(byte[] key) {
        return groupOf(key).get(key);
    }

    private SimulatedGroupClient groupOf(byte[] key) {
        return byRangeId.get(table.rangeForKey(key).rangeId());
    }
}
