package io.omendb.raft;

import io.omendb.raft.client.ClusterClient;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
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
import java.util.concurrent.TimeUnit;
import java.util.concurrent.TimeoutException;
import java.util.stream.Collectors;

/**
 * Brings a started node's groups in line with the cluster's initial layout ({@link ClusterLayout}), idempotently.
 *
 * <p><b>Bootstrap.</b> Every group the layout places on this node and that the server does not host yet is created
 * through group management as a voting member; except a group another member reports this node took part in: this
 * node lost its storage of it (a wiped data directory), and it is returned for re-admission. So a fresh node, a
 * wiped node and a node that crashed half-way through bootstrap all converge to the same state. A node restarting on
 * its own data skips the initial groups the range table no longer places on it (the placement driver moved those
 * replicas away, and deleted them): re-created from the initial layout they would be voters of a configuration long
 * gone. When the table cannot be read within {@link #TABLE_WAIT_MS}, it creates them as before.
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
    /** How long a restarting node with missing groups waits for the range table before it creates them anyway. */
    static final long TABLE_WAIT_MS = 10_000;

    private final OmenConfig config;
    private final RaftServer server;
    private final ClusterClient client;

    /** @param client the node's own client of the cluster: membership probes and re-admission */
    GroupBootstrap(OmenConfig config, RaftServer server, ClusterClient client) {
        this.config = config;
        this.server = server;
        this.client = client;
    }

    /**
     * Creates every group of the initial layout placed on this node that it does not host yet, as a voting member;
     * returns the groups this node lost its storage of, with their current members, to re-admit.
     *
     * @param restarted the data directory was this node's before this start (not a first start, not wiped)
     */
    List<RaftGroup> createMissingGroups(boolean restarted) throws IOException {
        Set<RaftGroupId> hosted = new HashSet<>();
        server.getGroupIds().forEach(hosted::add);
        List<RaftGroup> toReadmit = new ArrayList<>();
        RangeTable table = null;
        boolean tableAsked = false;
        for (RaftGroup group : initialGroupsOfThisNode()) {
            if (hosted.contains(group.getGroupId())) {
                continue;
            }
            if (restarted && !tableAsked) {
                tableAsked = true;
                table = rangeTableOrNull();
            }
            if (table != null && !placedHere(table, group.getGroupId())) {
                LOG.info("Node {} no longer holds a replica of group {} (moved to other nodes); not re-creating it",
                        nodeId(), group.getGroupId());
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

    /** The range table, or null when the meta group does not answer it within {@link #TABLE_WAIT_MS}. */
    private RangeTable rangeTableOrNull() {
        try {
            return client.refreshRangeTable().get(TABLE_WAIT_MS, TimeUnit.MILLISECONDS);
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
            return null;
        } catch (ExecutionException | TimeoutException e) {
            LOG.warn("Node {} could not read the range table within {} ms ({}); creating its missing initial groups",
                    nodeId(), TABLE_WAIT_MS, e.toString());
            return null;
        }
    }

    /**
     * The table names this node among the peers of {@code group}'s range (a meta group is not in the table, and is
     * placed here by the layout; a range the table no longer has was merged away).
     */
    private boolean placedHere(RangeTable table, RaftGroupId group) {
        return group.equals(ClusterLayout.metaGroupId(config.database().name())) || table.ranges().stream()
                .anyMatch(r -> r.groupId().equals(group.getUuid()) && r.peerIds().contains(nodeId()));
    }

    /** One try of the three re-admission steps for {@code group} (its members as reported at bootstrap). */
    void readmitOnce(RaftGroup group) throws IOException, ExecutionException, InterruptedException {
        RaftPeer self = self();
        client.admin().removeMember(group, self).get();
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

    /** Range {@code r}'s Raft group, its peers' addresses from the configuration's members. */
    static RaftGroup groupOf(OmenConfig config, RangeDescriptor r) {
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

    private List<RaftGroup> initialGroupsOfThisNode() {
        OmenConfig.Cluster cluster = config.cluster();
        Map<String, RaftPeer> peers = peersOf(config);
        List<RaftGroup> out = new ArrayList<>();
        List<String> metaPeers = ClusterLayout.metaPeers(cluster);
        if (metaPeers.contains(cluster.nodeId())) {
            out.add(RaftGroup.valueOf(ClusterLayout.metaGroupId(config.database().name()),
                    metaPeers.stream().map(peers::get).toList()));
        }
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
