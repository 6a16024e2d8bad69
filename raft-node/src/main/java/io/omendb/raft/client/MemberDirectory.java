package io.omendb.raft.client;

import io.omendb.config.OmenConfig;
import org.apache.ratis.protocol.RaftPeer;

import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;

/**
 * Where a client finds each cluster member: the members its configuration names, then those it learnt from the meta
 * group's member registry ({@link io.omendb.raft.meta.MemberRecordCodec}) — nodes that joined the running cluster,
 * which no other node's file names. A configured member keeps its configured address whatever the registry says
 * (an operator moving a configured node edits the files, as before the registry), but takes the zone it registered
 * (its own {@code [cluster] zone}: the node knows its failure domain better than another node's file); until it has
 * registered one (or if it registered none), the zone of its entry here counts. A registered member not configured
 * here is replaced by what each {@link #learn} reads.
 *
 * <p>Invariant: {@link #all()} lists the configured members in configuration order, then the others in registry (id)
 * order, each id once. Thread-safe: the registered members are one immutable map, swapped whole.
 */
final class MemberDirectory {
    private final Map<String, OmenConfig.Member> configured = new LinkedHashMap<>();
    /** Every member of the registry as {@link #learn} last read it, configured ones included, by id. */
    private volatile Map<String, OmenConfig.Member> registered = Map.of();

    MemberDirectory(List<OmenConfig.Member> configured) {
        configured.forEach(m -> this.configured.put(m.id(), m));
    }

    /** Replaces what the registry said with {@code records}, its members in id order. */
    void learn(List<OmenConfig.Member> records) {
        Map<String, OmenConfig.Member> next = new LinkedHashMap<>();
        records.forEach(m -> next.put(m.id(), m));
        registered = next;
    }

    List<OmenConfig.Member> all() {
        Map<String, OmenConfig.Member> records = registered;
        List<OmenConfig.Member> out = new ArrayList<>();
        configured.values().forEach(m -> out.add(withRegisteredZone(m, records)));
        records.values().stream().filter(m -> !configured.containsKey(m.id())).forEach(out::add);
        return out;
    }

    /** Whether {@code nodeId} is configured or learnt. */
    boolean knows(String nodeId) {
        return configured.containsKey(nodeId) || registered.containsKey(nodeId);
    }

    Optional<OmenConfig.Member> member(String nodeId) {
        Map<String, OmenConfig.Member> records = registered;
        OmenConfig.Member m = configured.get(nodeId);
        return Optional.ofNullable(m != null ? withRegisteredZone(m, records) : records.get(nodeId));
    }

    private static OmenConfig.Member withRegisteredZone(OmenConfig.Member m, Map<String, OmenConfig.Member> records) {
        OmenConfig.Member record = records.get(m.id());
        return record == null || record.zone().isEmpty() ? m : m.withZone(record.zone());
    }

    /** The member with id {@code nodeId} as a Raft peer; NOT_FOUND when neither configured nor learnt. */
    RaftPeer peer(String nodeId) {
        OmenConfig.Member m = member(nodeId).orElseThrow(() -> new ClientException(ErrorCode.NOT_FOUND,
                "no cluster member '" + nodeId + "'"));
        return RaftPeer.newBuilder().setId(m.id()).setAddress(m.raftAddress()).build();
    }
}
