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
 * (an operator moving a configured node edits the files, as before the registry); a registered one is replaced by
 * what each {@link #learn} reads.
 *
 * <p>Invariant: {@link #all()} lists the configured members in configuration order, then the others in registry (id)
 * order, each id once. Thread-safe: the learnt members are one immutable map, swapped whole.
 */
final class MemberDirectory {
    private final Map<String, OmenConfig.Member> configured = new LinkedHashMap<>();
    private volatile Map<String, OmenConfig.Member> learnt = Map.of();

    MemberDirectory(List<OmenConfig.Member> configured) {
        configured.forEach(m -> this.configured.put(m.id(), m));
    }

    /** Replaces the learnt members with the registry's {@code registered} members not configured here. */
    void learn(List<OmenConfig.Member> registered) {
        Map<String, OmenConfig.Member> next = new LinkedHashMap<>();
        registered.stream().filter(m -> !configured.containsKey(m.id())).forEach(m -> next.put(m.id(), m));
        learnt = next;
    }

    List<OmenConfig.Member> all() {
        List<OmenConfig.Member> out = new ArrayList<>(configured.values());
        out.addAll(learnt.values());
        return out;
    }

    /** Whether {@code nodeId} is configured or learnt. */
    boolean knows(String nodeId) {
        return configured.containsKey(nodeId) || learnt.containsKey(nodeId);
    }

    Optional<OmenConfig.Member> member(String nodeId) {
        OmenConfig.Member m = configured.get(nodeId);
        return Optional.ofNullable(m != null ? m : learnt.get(nodeId));
    }

    /** The member with id {@code nodeId} as a Raft peer; NOT_FOUND when neither configured nor learnt. */
    RaftPeer peer(String nodeId) {
        OmenConfig.Member m = member(nodeId).orElseThrow(() -> new ClientException(ErrorCode.NOT_FOUND,
                "no cluster member '" + nodeId + "'"));
        return RaftPeer.newBuilder().setId(m.id()).setAddress(m.raftAddress()).build();
    }
}
