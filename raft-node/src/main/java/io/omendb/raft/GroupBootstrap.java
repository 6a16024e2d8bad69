package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftServer;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.stream.Collectors;

/**
 * Brings a started node's groups in line with the cluster's initial layout ({@link ClusterLayout}), idempotently.
 *
 * <p><b>Bootstrap.</b> Every group the layout places on this node and that the server does not host yet is created
 * through group management as a voting member, unless the node's metadata records it as retired (its replica here was
 * removed: the range was merged away or the replica moved off); except a group another member reports this node took part in: this
 * node lost its storage of it (a wiped data directory), and it is returned for re-admission. So a fresh node, a
 * wiped node and a node that crashed half-way through bootstrap all converge to the same state.
 *
 * <p><b>Re-admission</b> ({@link #readmitOnce}, retried by {@link Readmission}): the group's leader first removes
 * the node from the configuration (its lost votes and acknowledgements stop counting and nothing is sent to it),
 * then the node creates the group with an empty configuration (it neither votes nor campaigns), then the leader
 * adds it back and Ratis catches it up (log or snapshot) before it counts. Creating the group before the removal
 * would not do: the leader would install a snapshot whose configuration includes the node, which would then
 * campaign once removed and be told to shut the group down (the CLOSING/CLOSED replicas the chaos suite saw).
 *
 * <p>Thread-safe: group management calls are independent ({@link HostedGroups#add}).
 */
final class GroupBootstrap {
    private static final Logger LOG = LoggerFactory.getLogger(GroupBootstrap.class);
    /** How long bootstrap waits for each other member's answer on whether this node was a member of a group. */
    static final long MEMBERSHIP_PROBE_TIMEOUT_MS = 5_000;

    private final OmenConfig config;
    private final RaftServer server;
    private final ClusterClient client;
    private final RetiredGroups retired;

    /** Whether this node's replica of a group was removed for good (a merge, a membership change). */
    interface RetiredGroups {
        boolean retired(RaftGroupId group) throws IOException;
    }

    /**
     * @param client  the node's own client of the cluster: membership probes and re-admission
     * @param retired groups of the initial layout not to create again: this node's replica was removed
     */
    GroupBootstrap(OmenConfig config, RaftServer server, ClusterClient client, RetiredGroups retired) {
        this.config = config;
        this.server = server;
        this.client = client;
        this.retired = retired;
    }

    /**
     * Creates every group of the initial layout placed on this node that it does not host yet, as a voting member;
     * returns the groups this node lost its storage of, with their current members, to re-admit.
     */
    List<RaftGroup> createMissingGroups() throws IOException {
        Set<RaftGroupId> hosted = new HashSet<>();
        server.getGroupIds().forEach(hosted::add);
        List<RaftGroup> toReadmit = new ArrayList<>();
        for (RaftGroup group : initialGroupsOfThisNode()) {
            if (hosted.contains(group.getGroupId())) {
                continue;
            }
            if (retired.retired(group.getGroupId())) {
                LOG.info("Node {}: not creating group {} of the initial layout: its replica here was removed (merged "
                        + "away or moved off this node)", nodeId(), group.getGroupId());
                continue;
            }
            Optional<RaftGroup> current = readmissionNeeded(group);
            if (current.isPresent()) {
                LOG.warn("Node {} lost its storage of group {} it was a member of; re-admitting it as a new member",
                        nodeId(), current.get());
                toReadmit.add(current.get());
            } else {
                addGroup(group);
                LOG.info("Node {} created group {}", nodeId(), group);
            }
        }
        return toReadmit;
    }

    /**
     * One try of the three re-admission steps for {@code group} (its members as reported at bootstrap). With
     * {@code discardLocal}, a replica this node hosts is deleted once the leader removed the node (it was created
     * as a voter on storage the cluster did not know: a wiped node detected late, see {@link Rejoin}) and created
     * again empty; without, a replica hosted already (an earlier try got that far) is kept, unless Ratis closed it
     * (a division shut down, e.g. told it was outside the configuration, stays listed but never answers again: the
     * leader's add-back would wait for it for good). Deleting either is safe once the leader removed the node: it
     * holds nothing the group counts on, and the add-back catches the new replica up.
     */
    void readmitOnce(RaftGroup group, boolean discardLocal) throws IOException, ExecutionException,
            InterruptedException {
        RaftPeer self = self();
        client.admin().removeMember(group, self).get();
        if (discardLocal || HostedGroups.closed(server, group.getGroupId())) {
            HostedGroups.remove(server, group.getGroupId());
        }
        if (!hosts(group.getGroupId())) {
            addGroup(RaftGroup.valueOf(group.getGroupId()));
        }
        client.admin().addMember(group, self).get();
    }

    private boolean hosts(RaftGroupId group) {
        return HostedGroups.hosts(server, group);
    }

    private Optional<RaftGroup> readmissionNeeded(RaftGroup group) throws IOException {
        try {
            return client.admin().readmissionNeeded(group, self(), MEMBERSHIP_PROBE_TIMEOUT_MS).get();
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            throw new IOException("interrupted while asking the members of " + group.getGroupId(), e);
        } catch (ExecutionException e) {
            throw new IOException("cannot ask the members of " + group.getGroupId(), e.getCause());
        }
    }

    private RaftPeer self() {
        return self(config);
    }

    /** This node as a Raft peer, from its configuration. */
    static RaftPeer self(OmenConfig config) {
        return peer(config.cluster().self());
    }

    private static RaftPeer peer(OmenConfig.Member m) {
        return RaftPeer.newBuilder().setId(m.id()).setAddress(m.raftAddress()).build();
    }

    /** Initial range {@code r}'s Raft group, its peers' addresses from the configuration's members. */
    private static RaftGroup groupOf(OmenConfig config, RangeDescriptor r) {
        return RaftGroup.valueOf(RaftGroupId.valueOf(r.groupId()), r.peerIds().stream().map(peersOf(config)::get)
                .toList());
    }

    private static Map<String, RaftPeer> peersOf(OmenConfig config) {
        return config.cluster().members().stream().collect(Collectors.toMap(OmenConfig.Member::id,
                GroupBootstrap::peer));
    }

    private void addGroup(RaftGroup group) throws IOException {
        if (!HostedGroups.add(server, group)) {
            throw new IOException("cannot create group " + group.getGroupId() + ": it exists already");
        }
    }

    /** The meta group with its configured peers, if this node is one of them. */
    Optional<RaftGroup> metaGroupOfThisNode() {
        OmenConfig.Cluster cluster = config.cluster();
        List<String> metaPeers = ClusterLayout.metaPeers(cluster);
        if (!metaPeers.contains(cluster.nodeId())) {
            return Optional.empty();
        }
        Map<String, RaftPeer> peers = peersOf(config);
        return Optional.of(RaftGroup.valueOf(ClusterLayout.metaGroupId(config.database().name()),
                metaPeers.stream().map(peers::get).toList()));
    }

    private List<RaftGroup> initialGroupsOfThisNode() {
        OmenConfig.Cluster cluster = config.cluster();
        List<RaftGroup> out = new ArrayList<>();
        metaGroupOfThisNode().ifPresent(out::add);
        for (RangeDescriptor r : ClusterLayout.initialRanges(config.database().name(), cluster)) {
            if (r.peerIds().contains(cluster.nodeId())) {
                out.add(groupOf(config, r));
            }
        }
        return out;
    }

    private String nodeId() {
        return config.cluster().nodeId();
    }
}
