package io.omendb.raft;

import io.omendb.raft.statemachine.RangeStateMachine;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;
import org.apache.ratis.server.RaftServer;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

/**
 * The Raft groups a node's server hosts, seen the one way every node-level role needs them: whether a group is hosted,
 * the divisions (or range state machines) hosted now — a group removed between listing and looking it up is left out,
 * never an error — and adding a group through the server's own group management. Stateless apart from the call-id
 * counter group management wants; thread-safe.
 */
final class HostedGroups {
    private static final AtomicLong CALL_IDS = new AtomicLong();

    private HostedGroups() {
    }

    static boolean hosts(RaftServer server, RaftGroupId group) {
        for (RaftGroupId g : server.getGroupIds()) {
            if (g.equals(group)) {
                return true;
            }
        }
        return false;
    }

    /**
     * Whether this node hosts {@code group} but Ratis closed its division (shut down for good: it stays listed, and
     * answers nothing until removed); false when the group is not hosted.
     */
    static boolean closed(RaftServer server, RaftGroupId group) {
        try {
            return server.getDivision(group).getInfo().getLifeCycleState().isClosingOrClosed();
        } catch (IOException notHosted) {
            return false;
        }
    }

    /** Every division hosted now. */
    static List<RaftServer.Division> divisions(RaftServer server) {
        List<RaftServer.Division> out = new ArrayList<>();
        for (RaftGroupId group : server.getGroupIds()) {
            try {
                out.add(server.getDivision(group));
            } catch (IOException removedMeanwhile) {
                // the group left this node between listing and looking it up
            }
        }
        return out;
    }

    /** The state machines of every range replica hosted now (the meta group's too: it is a range state machine). */
    static List<RangeStateMachine> rangeStateMachines(RaftServer server) {
        List<RangeStateMachine> out = new ArrayList<>();
        for (RaftServer.Division d : divisions(server)) {
            if (d.getStateMachine() instanceof RangeStateMachine sm) {
                out.add(sm);
            }
        }
        return out;
    }

    /**
     * Creates {@code group} on this node, formatting new storage, as a voting member of the peers it names (none: a
     * member that neither votes nor campaigns until a leader's configuration names it).
     *
     * @return false when the node hosted it already
     */
    static boolean add(RaftServer server, RaftGroup group) throws IOException {
        RaftClientReply reply;
        try {
            reply = server.groupManagement(addition(server, group, true));
        } catch (AlreadyExistsException e) {
            return false;
        }
        Object failure = reply.getException();
        if (!reply.isSuccess()) {
            if (failure instanceof AlreadyExistsException) {
                return false;
            }
            throw new IOException("cannot create group " + group.getGroupId() + ": " + failure);
        }
        return true;
    }

    /**
     * Whether this node's replica of {@code group} has no configuration and no log entry: what Ratis loads at start
     * from a group directory created (formatted) before the node was killed, ahead of the leader's first entry. Ratis
     * keeps the configuration a group was created with in memory only until a configuration entry reaches the replica
     * (its log, or {@code raft-meta.conf} once applied), and loads every group directory at start with no peers; such a
     * replica neither takes the leader's entries as a member nor lasts: its first election timeout finds it outside
     * its own configuration and Ratis shuts the division down for good (NOT_IN_CONF). A replica created empty on
     * purpose (a re-admission, a replica being added) looks the same, so callers decide by what else they know.
     */
    static boolean unconfigured(RaftServer server, RaftGroupId group) {
        try {
            RaftServer.Division d = server.getDivision(group);
            // A closed division (shut down as described above) cannot show its log; with no configuration it holds
            // no entry either: each leader's term begins with a configuration entry, and one applied is kept in
            // raft-meta.conf before the log may be purged past it.
            return d.getRaftConf().getCurrentPeers().isEmpty()
                    && (!d.getRaftLog().isOpened() || d.getRaftLog().getLastEntryTermIndex() == null);
        } catch (IOException removedMeanwhile) {
            return false;
        }
    }

    /**
     * Restarts this node's replica of {@code group} on the peers {@code group} names, from its storage as it is (the
     * Raft metadata with its term and vote stays: the replica remains the member it was, with whatever it persisted).
     * The remedy for an {@link #unconfigured} replica that should be a member. The replica is closed meanwhile; a
     * crash between the two steps leaves the directory, which the next start loads again.
     */
    static void restartWithPeers(RaftServer server, RaftGroup group) throws IOException {
        require(server.groupManagement(removal(server, group.getGroupId(), false)),
                "cannot close group " + group.getGroupId());
        require(server.groupManagement(addition(server, group, false)),
                "cannot reopen group " + group.getGroupId() + " on its peers");
    }

    /** Removes {@code group} from this node and deletes its storage; a no-op when the node does not host it. */
    static void remove(RaftServer server, RaftGroupId group) throws IOException {
        if (!hosts(server, group)) {
            return;
        }
        require(server.groupManagement(removal(server, group, true)), "cannot remove group " + group);
    }

    /** Adding {@code group} on this server, formatting new storage or recovering the storage it has. */
    private static GroupManagementRequest addition(RaftServer server, RaftGroup group, boolean format) {
        return GroupManagementRequest.newAdd(ClientId.randomId(), server.getId(), CALL_IDS.incrementAndGet(), group,
                format);
    }

    /** Removing {@code group} from this server, deleting its storage or leaving it in place. */
    private static GroupManagementRequest removal(RaftServer server, RaftGroupId group, boolean deleteDirectory) {
        return GroupManagementRequest.newRemove(ClientId.randomId(), server.getId(), CALL_IDS.incrementAndGet(), group,
                deleteDirectory, false);
    }

    private static void require(RaftClientReply reply, String failure) throws IOException {
        if (!reply.isSuccess()) {
            throw new IOException(failure + ": " + reply.getException());
        }
    }
}
