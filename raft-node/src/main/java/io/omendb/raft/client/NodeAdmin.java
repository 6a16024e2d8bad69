package io.omendb.raft.client;

import io.omendb.config.OmenConfig;
import io.omendb.placement.NodeState;
import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.IncarnationCodec;
import io.omendb.raft.meta.MemberRecordCodec;
import io.omendb.raft.meta.NodeStateCodec;
import io.omendb.raft.meta.RangeTable;
import io.omendb.storage.KeyValue;
import org.apache.ratis.protocol.GroupListReply;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;

import java.util.ArrayList;
import java.util.HashMap;
import java.util.List;
import java.util.Locale;
import java.util.Map;
import java.util.Optional;
import java.util.OptionalLong;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;

/**
 * The cluster's nodes: the states the meta group records of them ({@link NodeStateCodec}; a node without a record is
 * LIVE), decommissioning one, and what each answers now. The members are the configuration's {@code [cluster]
 * members} and those registered in the meta group ({@link #register}: nodes that joined the running cluster),
 * as the client last read them ({@link ClusterClient#members()}). A REMOVED node's id can be taken by a node joining
 * on another data directory at the same addresses ({@link #register}).
 *
 * <p><b>Decommission guarantees.</b> {@link #decommission} records DRAINING only if, after it, the members that stay
 * (neither draining, removed nor dead) can still hold as many replicas of every range as it has now (one per node), and
 * only for a node outside the meta group (whose membership does not move yet). The check and the record are one
 * compare-and-set over every member's state ({@link Command.CompareAndSetAll}), so two decommissions racing cannot
 * both pass a check that only one of them could. The node's replicas and leaders are then moved off by the placement
 * driver on the meta group's leader, which records REMOVED once the range table names it nowhere.
 *
 * <p>Stateless and thread-safe; blocking Ratis calls to a node run on that node's own lanes ({@link NodeCalls}), so
 * a probe of a live node never waits for a call to one that does not answer.
 */
public final class NodeAdmin {
    /** How long {@link #nodes} waits for a member to answer before showing it as suspect. */
    public static final long PROBE_TIMEOUT_MS = 2_000;
    /** Members the {@code node/} prefix is read for in one scan: far above any configuration's. */
    static final int NODES_MAX = 1_024;

    private final ClusterClient client;

    NodeAdmin(ClusterClient client) {
        this.client = client;
    }

    /** Every member registered in the meta group ({@link MemberRecordCodec}), in id order. */
    public CompletableFuture<List<OmenConfig.Member>> registeredMembers() {
        Query q = new Query.Scan(MemberRecordCodec.KEY_PREFIX, MemberRecordCodec.KEY_PREFIX_END, NODES_MAX);
        return client.channels().meta().read(q, ReadOptions.linearizable(), null).thenApply(r ->
                ((QueryResult.ScanPage) r).entries().stream().map(kv -> MemberRecordCodec.decode(kv.key(), kv.value()))
                        .toList());
    }

    /** What {@link #register} did. */
    public enum Registration {
        /** The registry holds the node as given already: nothing written. */
        UNCHANGED,
        /** The node's record was written (a new member, or a new zone or configured address). */
        RECORDED,
        /**
         * A joining node on a data directory other than the one decommissioned under its id took the id: its record,
         * and its state LIVE again (no record), written as one compare-and-set.
         */
        REUSED,
        /**
         * A joining node whose id was decommissioned with this very data directory: nothing written; it stays REMOVED
         * and is given no replica.
         */
        REMOVED_HERE
    }

    /**
     * Records where {@code self} is reached in the member registry, unless it is recorded there already as given.
     * With {@code configured}, the node is a member of the cluster's initial configuration, whose file is
     * authoritative: a different record of its id is replaced. Otherwise the node joins the running cluster: a record
     * of its id with the same addresses is replaced (a restart with another {@code [cluster] zone}); one with another
     * address, or replicas the range table already places on an unregistered node of its id, mean that id belongs to
     * another node, and the registration fails with INVALID_ARGUMENT (nothing changed; the node needs another id).
     *
     * <p><b>Re-using a decommissioned id.</b> A joining node whose id is recorded REMOVED (drained: the range table names
     * it nowhere, and its replicas were deleted) takes the id if its data directory is not the one that was removed
     * ({@code incarnation} differs from the one recorded, or none is): one compare-and-set over the meta group writes
     * its member record and clears the REMOVED state (LIVE), expecting the member record, the state and the
     * incarnation record as read, so a concurrent change of any of them fails it (CONFLICT). The incarnation record is
     * left as it is: the node then finds another incarnation recorded and takes the amnesiac path of
     * {@code Rejoin}, which re-admits it as a new member to every group the table gives it (none) and records its own
     * incarnation — so if the table named the id anywhere, the node would still never vote there with an empty log.
     * The same addresses are required (the other nodes' clients never change a known member's address, see
     * {@link ClusterClient#refreshRangeTable}); the zone may change. The directory that was removed gets
     * {@link Registration#REMOVED_HERE}: it holds nothing and stays removed. A DEAD id is not re-usable: a node
     * declared dead was never drained, so its old directory may hold replicas and its process may still run, cut off,
     * speaking for the id a new node would take.
     * CONFLICT: the records changed meanwhile (retry).
     *
     * @param incarnation this node's data directory's incarnation (read only when it joins)
     */
    public CompletableFuture<Registration> register(OmenConfig.Member self, boolean configured, long incarnation) {
        byte[] key = MemberRecordCodec.key(self.id());
        CompletableFuture<byte[]> member = get(key);
        CompletableFuture<byte[]> state = configured ? CompletableFuture.completedFuture(null)
                : get(NodeStateCodec.key(self.id()));
        CompletableFuture<byte[]> incarnationRecord = configured ? CompletableFuture.completedFuture(null)
                : get(IncarnationCodec.key(self.id()));
        return CompletableFuture.allOf(member, state, incarnationRecord).thenCompose(v -> {
            byte[] current = member.join();
            OmenConfig.Member recorded = current == null ? null : MemberRecordCodec.decode(key, current);
            NodeState recordedState = state.join() == null ? NodeState.LIVE : NodeStateCodec.decode(state.join());
            if (!configured && recorded != null && !sameNode(recorded, self)) {
                throw new ClientException(ErrorCode.INVALID_ARGUMENT, "node id '" + self.id() + "' is registered already "
                        + "for another node (" + recorded + ", " + shown(recordedState) + "); give this node another "
                        + "[cluster] node_id" + (recordedState == NodeState.REMOVED ? ", or start it at the recorded "
                        + "addresses (a decommissioned id is re-used at its addresses)" : ""));
            }
            if (!configured && recordedState == NodeState.REMOVED) {
                return reuseRemoved(self, current, state.join(), incarnationRecord.join(), incarnation);
            }
            if (self.equals(recorded)) {
                return CompletableFuture.completedFuture(Registration.UNCHANGED);
            }
            CompletableFuture<Void> checked = configured || recorded != null ? CompletableFuture.completedFuture(null)
                    : client.refreshRangeTable().thenAccept(table -> checkIdUnused(self.id(), table));
            return checked.thenCompose(x -> writeRegistration(self.id(), new Command.CompareAndSet(key, current,
                    MemberRecordCodec.encode(self)), Registration.RECORDED));
        });
    }

    /** A joining node takes the id of a REMOVED node, unless its directory is the one removed. */
    private CompletableFuture<Registration> reuseRemoved(OmenConfig.Member self, byte[] member, byte[] removed,
                                                         byte[] incarnationRecord, long incarnation) {
        if (incarnationRecord != null && IncarnationCodec.decode(incarnationRecord) == incarnation) {
            return CompletableFuture.completedFuture(Registration.REMOVED_HERE);
        }
        return client.refreshRangeTable().thenCompose(table -> {
            checkIdUnused(self.id(), table); // REMOVED is recorded only once the table names the node nowhere
            byte[] incarnationKey = IncarnationCodec.key(self.id());
            return writeRegistration(self.id(), new Command.CompareAndSetAll(List.of(
                    new Command.CompareAndSet(MemberRecordCodec.key(self.id()), member, MemberRecordCodec.encode(self)),
                    new Command.CompareAndSet(NodeStateCodec.key(self.id()), removed, recorded(NodeState.LIVE)),
                    new Command.CompareAndSet(incarnationKey, incarnationRecord, incarnationRecord))),
                    Registration.REUSED);
        });
    }

    private CompletableFuture<Registration> writeRegistration(String nodeId, Command change, Registration done) {
        return client.channels().meta().write(change).thenApply(res -> {
            if (!(res instanceof CommandResult.CasOutcome c) || !c.succeeded()) {
                throw new ClientException(ErrorCode.CONFLICT, "the records of '" + nodeId + "' changed while "
                        + "registering it; retry");
            }
            return done;
        });
    }

    private CompletableFuture<byte[]> get(byte[] key) {
        return client.channels().meta().read(new Query.Get(key), ReadOptions.linearizable(), null)
                .thenApply(r -> ((QueryResult.Value) r).value());
    }

    /**
     * The incarnation recorded for {@code nodeId} as meta peer {@code peerId}'s replica has applied it (a stale read
     * of that replica: it answers while the meta group has no leader, which is when a node starting after its peers
     * restarted asks): empty when none is recorded there. One attempt ({@link ReadOptions#failFast}): fails as soon as
     * that peer refuses the connection, does not host the meta group yet or answers with a failure; the caller bounds
     * the wait for a peer that does not answer at all. A replica that has applied less than {@code minIndex} fails it
     * too (a replica just restarted applies its log again only once a leader tells it the commit index).
     */
    public CompletableFuture<OptionalLong> incarnationOn(String peerId, String nodeId, long minIndex) {
        return client.channels().meta().read(new Query.Get(IncarnationCodec.key(nodeId)),
                ReadOptions.staleOn(peerId, minIndex).failingFast(), RaftPeerId.valueOf(peerId))
                .thenApply(r -> incarnation(((QueryResult.Value) r).value()));
    }

    /** The incarnation recorded for {@code nodeId}, read linearizably; empty when none is. */
    public CompletableFuture<OptionalLong> recordedIncarnation(String nodeId) {
        return get(IncarnationCodec.key(nodeId)).thenApply(NodeAdmin::incarnation);
    }

    private static OptionalLong incarnation(byte[] v) {
        return v == null ? OptionalLong.empty() : OptionalLong.of(IncarnationCodec.decode(v));
    }

    /**
     * Records {@code incarnation} for {@code nodeId} if the recorded one is {@code expected} (empty: none); the meta
     * log index of the record when it did, empty when it did not.
     */
    public CompletableFuture<OptionalLong> recordIncarnation(String nodeId, OptionalLong expected, long incarnation) {
        byte[] key = IncarnationCodec.key(nodeId);
        return client.channels().meta().write(new Command.CompareAndSet(key,
                expected.isPresent() ? IncarnationCodec.encode(expected.getAsLong()) : null,
                IncarnationCodec.encode(incarnation))).thenApply(res ->
                res instanceof CommandResult.CasOutcome c && c.succeeded() ? OptionalLong.of(c.revision())
                        : OptionalLong.empty());
    }

    /** Every recorded incarnation, by node id. */
    public CompletableFuture<Map<String, Long>> recordedIncarnations() {
        return recordsByNode(IncarnationCodec.KEY_PREFIX, IncarnationCodec.KEY_PREFIX_END, IncarnationCodec::nodeId,
                IncarnationCodec::decode);
    }

    /** Every per-node record under {@code prefix} (up to {@code prefixEnd}), read linearizably, by node id. */
    private <V> CompletableFuture<Map<String, V>> recordsByNode(byte[] prefix, byte[] prefixEnd,
                                                                Function<byte[], String> nodeIdOfKey,
                                                                Function<byte[], V> decode) {
        Query q = new Query.Scan(prefix, prefixEnd, NODES_MAX);
        return client.channels().meta().read(q, ReadOptions.linearizable(), null).thenApply(r -> {
            Map<String, V> out = new HashMap<>();
            for (KeyValue kv : ((QueryResult.ScanPage) r).entries()) {
                out.put(nodeIdOfKey.apply(kv.key()), decode.apply(kv.value()));
            }
            return out;
        });
    }

    /** The same node at the same addresses (its zone may have been relabelled: the record takes the new one). */
    private static boolean sameNode(OmenConfig.Member a, OmenConfig.Member b) {
        return a.withZone("").equals(b.withZone(""));
    }

    /** A node of a configuration this client does not know may hold {@code nodeId}: the table names it. */
    private static void checkIdUnused(String nodeId, RangeTable table) {
        table.ranges().stream().filter(d -> d.peerIds().contains(nodeId)).findFirst().ifPresent(d -> {
            throw new ClientException(ErrorCode.INVALID_ARGUMENT, "node id '" + nodeId + "' holds replicas already (range "
                    + d.rangeId() + "): it is a member of the cluster's configuration; give this node another "
                    + "[cluster] node_id");
        });
    }

    /** Every state the meta group records, by node id (members without a record are LIVE, and absent here). */
    public CompletableFuture<Map<String, NodeState>> recordedStates() {
        return recordsByNode(NodeStateCodec.KEY_PREFIX, NodeStateCodec.KEY_PREFIX_END, NodeStateCodec::nodeId,
                NodeStateCodec::decode);
    }

    /** Records {@code next} for {@code nodeId} if its recorded state is {@code expected}; true when it did. */
    public CompletableFuture<Boolean> compareAndSetState(String nodeId, NodeState expected, NodeState next) {
        return client.channels().meta().write(stateChange(nodeId, expected, next)).thenApply(res ->
                res instanceof CommandResult.CasOutcome c && c.succeeded());
    }

    private static Command.CompareAndSet stateChange(String nodeId, NodeState expected, NodeState next) {
        return new Command.CompareAndSet(NodeStateCodec.key(nodeId), recorded(expected), recorded(next));
    }

    /** LIVE is the absence of a record. */
    private static byte[] recorded(NodeState state) {
        return state == NodeState.LIVE ? null : NodeStateCodec.encode(state);
    }

    /**
     * Starts draining {@code nodeId}: completes with its recorded state afterwards, as {@link NodeStatus#state()}
     * names it ({@code draining}; {@code removed} or {@code draining} again when asked twice). Fails NOT_FOUND for a node that is no member, INVALID_ARGUMENT when the node is a meta
     * peer or the other members cannot hold every range's replicas, CONFLICT when another node's state changed
     * meanwhile (retry).
     */
    public CompletableFuture<String> decommission(String nodeId) {
        boolean known = client.members().stream().anyMatch(m -> m.id().equals(nodeId));
        // a node that joined since this client last read the member registry is learnt by reading it again
        return (known ? CompletableFuture.<Void>completedFuture(null)
                : client.refreshMembersAndRangeTable().thenAccept(t -> { }))
                .thenCompose(v -> decommissionMember(nodeId));
    }

    private CompletableFuture<String> decommissionMember(String nodeId) {
        List<String> members = client.members().stream().map(OmenConfig.Member::id).toList();
        if (!members.contains(nodeId)) {
            return CompletableFuture.failedFuture(new ClientException(ErrorCode.NOT_FOUND, "no cluster member '"
                    + nodeId + "'; the members are " + members));
        }
        return recordedStates().thenCompose(states -> {
            NodeState current = states.getOrDefault(nodeId, NodeState.LIVE);
            if (current == NodeState.DRAINING || current == NodeState.REMOVED) {
                return CompletableFuture.completedFuture(shown(current));
            }
            checkCapacity(nodeId, members, states, client.options().replicationFactor());
            checkNotMetaPeer(nodeId, client.options().metaPeers());
            List<Command.CompareAndSet> changes = new ArrayList<>();
            for (String m : members) {
                NodeState s = states.getOrDefault(m, NodeState.LIVE);
                changes.add(stateChange(m, s, m.equals(nodeId) ? NodeState.DRAINING : s));
            }
            return client.channels().meta().write(new Command.CompareAndSetAll(changes)).thenApply(res -> {
                if (!(res instanceof CommandResult.CasOutcome c) || !c.succeeded()) {
                    throw new ClientException(ErrorCode.CONFLICT, "a node's state changed while decommissioning '"
                            + nodeId + "'; retry");
                }
                return shown(NodeState.DRAINING);
            });
        });
    }

    /**
     * The members that stay must be at least as many as the replicas every range settles at (the replication factor).
     * Not the replicas a range has now: a range whose replica is being moved has one more until the move ends (the
     * chaos suite's DECOMMISSION was refused during a balancing move), and an under-replicated one fewer.
     */
    private static void checkCapacity(String nodeId, List<String> members, Map<String, NodeState> states,
                                      int replicationFactor) {
        long staying = members.stream().filter(m -> !m.equals(nodeId)
                && states.getOrDefault(m, NodeState.LIVE) == NodeState.LIVE).count();
        if (staying < replicationFactor) {
            throw new ClientException(ErrorCode.INVALID_ARGUMENT, "cannot decommission '" + nodeId + "': " + staying
                    + " other live member(s) would be left for ranges of " + replicationFactor + " replicas "
                    + "(replication_factor), one per node; add a member first");
        }
    }

    private static void checkNotMetaPeer(String nodeId, List<String> metaPeers) {
        if (metaPeers.contains(nodeId)) {
            throw new ClientException(ErrorCode.INVALID_ARGUMENT, "cannot decommission '" + nodeId + "': it is a peer "
                    + "of the meta group " + metaPeers + ", whose membership does not move yet; only other members can "
                    + "be decommissioned");
        }
    }

    /** Every member: its recorded or observed state, and the replicas and leaders it has (for GET /admin/nodes). */
    public CompletableFuture<List<NodeStatus>> nodes() {
        // first: it learns the members that joined
        return client.refreshMembersAndRangeTable().thenCompose(this::nodes);
    }

    private CompletableFuture<List<NodeStatus>> nodes(RangeTable table) {
        List<OmenConfig.Member> members = client.members();
        Map<String, CompletableFuture<Boolean>> answers = new HashMap<>();
        members.forEach(m -> answers.put(m.id(), hostedGroups(m.id()).thenApply(g -> true)
                .completeOnTimeout(false, PROBE_TIMEOUT_MS, TimeUnit.MILLISECONDS).exceptionally(t -> false)));
        CompletableFuture<Void> probed = CompletableFuture.allOf(answers.values().toArray(CompletableFuture[]::new));
        return probed.thenCompose(v -> recordedStates()).thenCombine(recordedIncarnations(), Recorded::new)
                .thenCombine(counts(table), (recorded, counts) -> {
            List<NodeStatus> out = new ArrayList<>();
            for (OmenConfig.Member m : members) {
                NodeState state = recorded.states().getOrDefault(m.id(), NodeState.LIVE);
                if (state == NodeState.LIVE && !answers.get(m.id()).join()) {
                    state = NodeState.SUSPECT;
                }
                long[] c = counts.getOrDefault(m.id(), new long[3]);
                Long incarnation = recorded.incarnations().get(m.id());
                out.add(new NodeStatus(m.id(), m.raftAddress(), m.httpAddress(), m.zone(), shown(state),
                        incarnation == null ? null : IncarnationCodec.shown(incarnation), (int) c[0], (int) c[1],
                        c[2]));
            }
            return out;
        });
    }

    /** What the meta group records of the members: states and incarnations. */
    private record Recorded(Map<String, NodeState> states, Map<String, Long> incarnations) {
    }

    /** A state as the admin API shows it: its name in lower case. */
    private static String shown(NodeState state) {
        return state.name().toLowerCase(Locale.ROOT);
    }

    /**
     * Per node: {replicas the table places on it, ranges it leads, bytes its replicas reported on disk}, at one status
     * call per node.
     */
    private CompletableFuture<Map<String, long[]>> counts(RangeTable table) {
        return client.admin().rangeReports(table).thenApply(reports -> {
            Map<String, long[]> counts = new HashMap<>();
            table.ranges().forEach(r -> r.peerIds().forEach(p -> counts.computeIfAbsent(p, k -> new long[3])[0]++));
            for (Results.RangeReport r : reports) {
                Optional.ofNullable(r.status().leaderId()).ifPresent(l -> counts.computeIfAbsent(l,
                        k -> new long[3])[1]++);
                for (Results.ReplicaStatus replica : r.status().replicas()) {
                    if (replica.stats() != null) {
                        counts.computeIfAbsent(replica.nodeId(), k -> new long[3])[2] += replica.stats().diskBytes();
                    }
                }
            }
            return counts;
        });
    }

    /** The groups {@code nodeId}'s Raft server hosts; fails when it does not answer (how a member is probed). */
    public CompletableFuture<List<RaftGroupId>> hostedGroups(String nodeId) {
        RaftPeer peer = client.channels().peer(nodeId);
        return client.nodeCalls().probe(nodeId, c -> {
            GroupListReply reply = c.getGroupManagementApi(peer.getId()).list();
            if (!reply.isSuccess()) {
                throw new ClientException(ErrorCode.UNAVAILABLE, "node " + nodeId + " did not list its groups: "
                        + reply.getException());
            }
            return List.copyOf(reply.getGroupIds());
        });
    }
}
