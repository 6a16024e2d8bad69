package io.omendb.raft.client;

import io.omendb.raft.command.Route;
import io.omendb.raft.meta.RangeDescriptor;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;

import java.io.IOException;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.concurrent.ConcurrentHashMap;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * One {@link GroupChannel} per Raft group of the cluster (the meta group's, made at once, and each range's, made on
 * first use), cached by group id and replaced when the group's peers change.
 *
 * <p>Invariant: a cached channel's group has the peers it was last asked for. A replaced channel is closed
 * {@link #REPLACED_CLOSE_GRACE_MS} later (or when the pool closes), not at once: requests already sent on it (a
 * replica move changes a range's peers under running writes) finish there instead of failing over to nothing, which
 * left them retrying on a closed Ratis client until their budget ran out (about 60 s). The transport of each channel
 * comes from the injected factory (Ratis clients in production). Thread-safe: the cache is a concurrent map, a
 * channel is replaced inside its entry's compute.
 */
final class ChannelPool implements AutoCloseable {
    private final MemberDirectory members;
    private final Function<RaftGroup, GroupTransport> transports;
    private final GroupChannel.Settings settings;
    private final GroupChannel meta;
    private final Map<RaftGroupId, GroupChannel> channels = new ConcurrentHashMap<>();
    private final Function<RaftGroupId, Route> routes;
    /** Replaced channels not closed yet. */
    private final Set<GroupChannel> retired = ConcurrentHashMap.newKeySet();
    /** How long a replaced channel stays open for the requests already sent on it (longer than any request). */
    static final long REPLACED_CLOSE_GRACE_MS = 120_000;

    /**
     * @param members    where each cluster member is reached (configured and learnt from the meta group)
     * @param metaGroup  the meta group's id
     * @param metaPeers  the meta group's members (node ids)
     * @param transports opens the transport of a group's channel
     * @param settings   what every range's channel shares (the meta group's takes commands of any size)
     * @param routes     the route of a range group's requests when they are sent (the meta group's have none)
     */
    ChannelPool(MemberDirectory members, RaftGroupId metaGroup, List<String> metaPeers,
                Function<RaftGroup, GroupTransport> transports, GroupChannel.Settings settings,
                Function<RaftGroupId, Route> routes) {
        this.members = members;
        this.routes = routes;
        this.transports = transports;
        this.settings = settings;
        RaftGroup metaRaftGroup = RaftGroup.valueOf(metaGroup, metaPeers.stream().map(this::peer).toList());
        this.meta = new GroupChannel(metaRaftGroup, transports.apply(metaRaftGroup),
                settings.withCommandBytesMax(Integer.MAX_VALUE), () -> null);
    }

    GroupChannel meta() {
        return meta;
    }

    GroupChannel channel(RangeDescriptor r) {
        GroupChannel cached = channels.get(RaftGroupId.valueOf(r.groupId()));
        if (cached != null && cached.hasPeers(r.peerIds())) {
            return cached; // every request takes this path: no group built, no lock, no peer sets copied
        }
        return channel(groupOf(r));
    }

    /** A channel to any group of this cluster (the meta group or a range's), cached by group id. */
    GroupChannel channel(RaftGroup group) {
        return channels.compute(group.getGroupId(), (id, existing) -> {
            if (existing != null && Set.copyOf(existing.group().getPeers()).equals(Set.copyOf(group.getPeers()))) {
                return existing;
            }
            retire(existing);
            return new GroupChannel(group, transports.apply(group), settings, routesOf(group));
        });
    }

    /** The meta group's channel or the cached channel of {@code groupId}, or null when none is cached. */
    GroupChannel cachedOrNull(RaftGroupId groupId) {
        return groupId.equals(meta.group().getGroupId()) ? meta : channels.get(groupId);
    }

    /**
     * A channel that is not cached, to {@code group} as given (e.g. a group's members without one peer), never
     * in-process; the caller closes it. Re-admitting a wiped node must talk to the others only: a cached channel may
     * still believe the wiped node leads, and that node answers "group not found", which Ratis does not fail over
     * from.
     */
    GroupChannel detached(RaftGroup group) {
        return new GroupChannel(group, transports.apply(group), settings.withoutLocalServer(), routesOf(group));
    }

    private Supplier<Route> routesOf(RaftGroup group) {
        RaftGroupId id = group.getGroupId();
        return () -> routes.apply(id);
    }

    RaftGroup groupOf(RangeDescriptor r) {
        return RaftGroup.valueOf(RaftGroupId.valueOf(r.groupId()), r.peerIds().stream().map(this::peer).toList());
    }

    /** The member with id {@code nodeId}; NOT_FOUND when the cluster has none. */
    RaftPeer peer(String nodeId) {
        return members.peer(nodeId);
    }

    private void retire(GroupChannel c) {
        if (c != null && retired.add(c)) {
            settings.retryTime().after(REPLACED_CLOSE_GRACE_MS).whenComplete((v, e) -> {
                if (retired.remove(c)) {
                    closeQuietly(c);
                }
            });
        }
    }

    private static void closeQuietly(GroupChannel c) {
        if (c != null) {
            try {
                c.close();
            } catch (IOException ignored) {
                // closing a client of a group we no longer talk to; nothing to do
            }
        }
    }

    @Override
    public void close() {
        channels.values().forEach(ChannelPool::closeQuietly);
        channels.clear();
        retired.forEach(c -> {
            if (retired.remove(c)) {
                closeQuietly(c);
            }
        });
        closeQuietly(meta);
    }
}
