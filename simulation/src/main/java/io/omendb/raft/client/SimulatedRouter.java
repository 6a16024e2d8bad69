package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.command.Route;
import io.omendb.raft.meta.RangeTable;

import java.util.LinkedHashMap;
import java.util.Map;
import java.util.UUID;
import java.util.concurrent.CompletableFuture;
import java.util.function.Supplier;

/**
 * A router as far as the simulation exercises it, with OmenDB's real routing pieces: the cached table and routing
 * decisions ({@link RangeRouter}), the re-routing after a replica's range refusal ({@link Rerouter}, which refreshes
 * the table and sends the request again routed afresh, within the request's deadline), and per range group its own
 * {@link SimulatedGroupClient} whose requests carry the route of that group's range in this router's table. The table
 * it starts with may be out of date (the simulation draws one); the refresh reads the current one from wherever the
 * simulation keeps it.
 * Lives in this package because {@code Rerouter} and {@code ReplyDecoder} are package-private.
 *
 * <p>Single-threaded in the simulation (every future completes inside a simulation event).
 */
public final class SimulatedRouter {
    /** Each request's deadline, as a router's default {@code max_query_duration_ms}: it bounds the re-routes. */
    static final long REQUEST_DEADLINE_MS = 5_000;

    private final RangeRouter routing = new RangeRouter(null);
    private final Map<UUID, SimulatedGroupClient> byGroup = new LinkedHashMap<>();
    private final Rerouter rerouter;
    private final ClientTime time;

    /**
     * @param initial the table this router starts with (possibly stale)
     * @param refresh reads the current range table (a meta-group read: completes later in simulated time)
     * @param time    where re-route sleeps run
     */
    public SimulatedRouter(RangeTable initial, Supplier<CompletableFuture<RangeTable>> refresh, ClientTime time) {
        routing.install(initial);
        this.time = time;
        this.rerouter = new Rerouter(() -> refresh.get().thenApply(t -> {
            routing.install(t);
            return t;
        }), time);
    }

    /** What requests to group {@code groupId} are routed by now (give it to that group's client). */
    public Supplier<Route> routesOf(UUID groupId) {
        return () -> routing.routeOfGroupOrNull(groupId);
    }

    /** Registers this router's client of group {@code groupId}. */
    public void add(UUID groupId, SimulatedGroupClient client) {
        byGroup.put(groupId, client);
    }

    /** A single-key write, routed by the cached table and re-routed after range refusals. */
    public CompletableFuture<CommandResult> write(Command command) {
        return rerouter.run(() -> clientFor(Command.singleKeyOf(command)).write(command), deadline());
    }

    /** A linearizable get, routed and re-routed like {@link #write}. */
    public CompletableFuture<QueryResult> get(byte[] key) {
        return rerouter.run(() -> clientFor(key).get(key), deadline());
    }

    /** Requests sent again after a range refusal. */
    public long reroutes() {
        return rerouter.reroutes();
    }

    private Deadline deadline() {
        return Deadline.in(time, REQUEST_DEADLINE_MS);
    }

    private SimulatedGroupClient clientFor(byte[] key) {
        return byGroup.get(routing.rangeForKey(key).groupId());
    }
}
