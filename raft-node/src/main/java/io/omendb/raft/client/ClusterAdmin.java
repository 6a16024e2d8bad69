package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.MergeTombstone;
import io.omendb.raft.meta.RangeDescriptorCodec;
import io.omendb.raft.meta.RangeTable;
import org.apache.ratis.protocol.GroupInfoReply;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.protocol.exceptions.AlreadyExistsException;

import io.omendb.storage.Bytes;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Optional;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.function.Function;
import java.util.function.Predicate;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ThreadLocalRandom;
import java.util.concurrent.RejectedExecutionException;

/**
 * Operator actions on ranges, for the router's admin endpoints: status, index retrain/rebuild on every replica,
 * leader transfer, adding and removing a replica, and creating the initial range descriptors.
 *
 * <p>Membership changes follow Raft's rules through Ratis: to add a node, the group is first created (empty) on
 * it, then the group's configuration is changed (the new member catches up by log or snapshot before it counts),
 * then the range descriptor in the meta group is updated by compare-and-set, bumping its epoch. Removal: the
 * configuration change, then the descriptor, then the node's replica is deleted. If the descriptor changed meanwhile
 * the CAS fails with CONFLICT.
 *
 * <p><b>Threading.</b> Thread-safe. Blocking Ratis calls addressed to one node (a group's role there, creating or
 * deleting a group there) run on that node's own lanes, each bounded by {@link ClientOptions#adminCallTimeoutMs()}
 * ({@link NodeCalls}), so a node that does not answer delays no call to another node; calls addressed to a group's
 * leader run on the client's admin executor ({@link #blocking}).
 */
public final class ClusterAdmin {
    private static final Logger LOG = LoggerFactory.getLogger(ClusterAdmin.class);
    /** How long a leader transfer may take before it is reported as failed. */
    static final long TRANSFER_LEADER_TIMEOUT_MS = 10_000;
    /** How long a split waits for the new range's first leader before it answers anyway (see {@code awaitLeader}). */
    static final long SPLIT_LEADER_WAIT_MS = 20_000;
    static final long SPLIT_LEADER_POLL_MS = 50;

    private final ClusterClient client;
    private final RangeMerger merger;
    private final RangeReports reports;

    ClusterAdmin(ClusterClient client) {
        this.client = client;
        this.merger = new RangeMerger(client, this, () -> ThreadLocalRandom.current().nextLong(1, Long.MAX_VALUE),
                Clock.systemUTC());
        this.reports = new RangeReports(client);
    }

    /**
     * Every range of the cached table, with its replicas' status and its leader's size and load, at one call per node
     * ({@link RangeReports}): a node that does not answer within {@link NodeAdmin#PROBE_TIMEOUT_MS} shows its replicas
     * UNREACHABLE. NOT_READY before the first table is cached.
     */
    public CompletableFuture<List<Results.RangeReport>> rangeReports() {
        return rangeReports(client.rangeTable());
    }

    /** As {@link #rangeReports()}, for the ranges of {@code table}. */
    public CompletableFuture<List<Results.RangeReport>> rangeReports(RangeTable table) {
        return reports.of(table, NodeAdmin.PROBE_TIMEOUT_MS);
    }

    /** Each replica's role, applied index and engine statistics. */
    public CompletableFuture<Results.RangeStatus> rangeStatus(long rangeId) {
        RangeDescriptor r = client.routing().rangeOrThrow(rangeId);
        List<CompletableFuture<Results.ReplicaStatus>> replicas = new ArrayList<>();
        for (String node : r.peerIds()) {
            replicas.add(replicaStatus(r, node));
        }
        return CompletableFuture.allOf(replicas.toArray(CompletableFuture[]::new)).thenApply(v -> {
            List<Results.ReplicaStatus> all = replicas.stream().map(CompletableFuture::join).toList();
            String leader = all.stream().filter(s -> "LEADER".equals(s.role())).map(Results.ReplicaStatus::nodeId)
                    .findFirst().orElse(null);
            return new Results.RangeStatus(r, leader, all);
        });
    }

    /** The Raft role of {@code node}'s replica of {@code r}, as its server reports it. */
    private CompletableFuture<String> role(RangeDescriptor r, String node) {
        RaftGroupId group = RaftGroupId.valueOf(r.groupId());
        return client.nodeCalls().probe(node, c -> c.getGroupManagementApi(
                RaftPeerId.valueOf(node)).info(group).getRoleInfoProto().getRole().name());
    }

    /**
     * Whether a replica of range {@code rangeId} reports itself its leader, known at its answer (roles only: no engine
     * statistics, no waiting for slower replicas).
     */
    private CompletableFuture<Boolean> hasLeader(long rangeId) {
        RangeDescriptor r = client.routing().rangeOrThrow(rangeId);
        List<CompletableFuture<Boolean>> leads = new ArrayList<>();
        for (String node : r.peerIds()) {
            leads.add(role(r, node).handle((role, e) -> e == null && "LEADER".equals(role)));
        }
        return atLeast(leads, 1);
    }

    private CompletableFuture<Results.ReplicaStatus> replicaStatus(RangeDescriptor r, String node) {
        CompletableFuture<String> role = role(r, node);
        CompletableFuture<QueryResult> stats = client.read(r, new Query.Status(), ReadOptions.staleOn(node, 0));
        return role.thenCombine(stats, (ro, st) -> {
            QueryResult.Status s = (QueryResult.Status) st;
            return new Results.ReplicaStatus(node, ro, s.appliedIndex(), s.stats(), null);
        }).exceptionally(t -> new Results.ReplicaStatus(node, "UNREACHABLE", -1, null,
                String.valueOf(Failures.rootCause(t))));
    }

    /** Flushes the memtable into a freshly trained segment on every replica ({@code /admin/retrain-index}). */
    public CompletableFuture<Results.WriteResult> retrainIndex(long rangeId) {
        return maintain(rangeId, Command.Maintenance.FLUSH);
    }

    /** Full merge and retrain on every replica ({@code /admin/rebuild-index}). Blocks the range's writes meanwhile. */
    public CompletableFuture<Results.WriteResult> rebuildIndex(long rangeId) {
        return maintain(rangeId, Command.Maintenance.COMPACT);
    }

    private CompletableFuture<Results.WriteResult> maintain(long rangeId, Command.Maintenance kind) {
        RangeDescriptor r = client.routing().rangeOrThrow(rangeId);
        return client.write(r, new Command.Maintain(kind)).thenApply(res -> new Results.WriteResult(rangeId,
                res.revision()));
    }

    /**
     * Checkpoints the range on every replica at one log index for backup {@code backupId}
     * ({@link Command.Checkpoint}); the result's revision is that index. The command is ordered after every write
     * the range acknowledged before this call, so the checkpoint contains all of them.
     */
    public CompletableFuture<Results.WriteResult> checkpointForBackup(long rangeId, String backupId) {
        RangeDescriptor r = client.routing().rangeOrThrow(rangeId);
        return client.write(r, new Command.Checkpoint(backupId)).thenApply(res -> new Results.WriteResult(rangeId,
                res.revision()));
    }

    /** SHA-256 of one replica's live contents; equal digests at equal applied index mean identical replicas. */
    public CompletableFuture<QueryResult.Digest> replicaDigest(long rangeId, String nodeId, long minIndex) {
        RangeDescriptor r = client.routing().rangeOrThrow(rangeId);
        return client.read(r, new Query.Digest(), ReadOptions.staleOn(nodeId, minIndex))
                .thenApply(res -> (QueryResult.Digest) res);
    }

    public CompletableFuture<Void> transferLeader(long rangeId, String nodeId) {
        RangeDescriptor r = client.routing().rangeOrThrow(rangeId);
        requireMember(r, nodeId, true);
        GroupChannel ch = client.channels().channel(r);
        return blocking(() -> {
            RaftClientReply reply = ch.raft().admin().transferLeadership(RaftPeerId.valueOf(nodeId),
                    TRANSFER_LEADER_TIMEOUT_MS);
            check(reply, "transfer leadership of range " + rangeId + " to " + nodeId);
            return null;
        });
    }

    /** Adds a replica of the range on {@code nodeId}; returns the updated descriptor. */
    public CompletableFuture<RangeDescriptor> addPeer(long rangeId, String nodeId) {
        client.channels().peer(nodeId);
        return currentDescriptor(rangeId).thenCompose(r -> {
            requireMember(r, nodeId, false);
            List<String> peers = new ArrayList<>(r.peerIds());
            peers.add(nodeId);
            RangeDescriptor next = r.withPeers(peers);
            GroupChannel ch = client.channels().channel(r);
            RaftGroup target = client.channels().groupOf(next);
            // Created with an empty configuration: the new replica neither votes nor campaigns until the leader's
            // configuration change reaches it. Created with the target configuration it could campaign first (a
            // group's first election comes after a quarter of the election timeout), and the members, which do not
            // know it yet, would tell it to shut its replica down.
            return client.nodeCalls().change(nodeId, c -> {
                try {
                    check(c.getGroupManagementApi(RaftPeerId.valueOf(nodeId)).add(RaftGroup.valueOf(
                            target.getGroupId())), "create range " + rangeId + " on " + nodeId);
                } catch (AlreadyExistsException e) {
                    // a previous attempt already created it; continue with the configuration change
                }
                return null;
            }).thenCompose(created -> blocking(() -> {
                check(ch.raft().admin().setConfiguration(target.getPeers().stream().toList()),
                        "add " + nodeId + " to range " + rangeId);
                return next;
            })).thenCompose(n -> replaceDescriptor(r, n));
        });
    }

    /** Removes the replica of the range on {@code nodeId} (and its files); returns the updated descriptor. */
    public CompletableFuture<RangeDescriptor> removePeer(long rangeId, String nodeId) {
        return removePeer(rangeId, nodeId, true);
    }

    /**
     * As {@link #removePeer(long, String)}; {@code deleteOnNode} false leaves the node's files alone (a node recorded
     * dead: it does not answer, and the delete would fail the removal after {@link ClientOptions#adminCallTimeoutMs()},
     * although the node was removed from the range).
     */
    public CompletableFuture<RangeDescriptor> removePeer(long rangeId, String nodeId, boolean deleteOnNode) {
        return currentDescriptor(rangeId).thenCompose(r -> {
            requireMember(r, nodeId, true);
            if (r.peerIds().size() == 1) {
                throw new ClientException(ErrorCode.INVALID_ARGUMENT, "cannot remove the last replica of range "
                        + rangeId);
            }
            List<String> peers = new ArrayList<>(r.peerIds());
            peers.remove(nodeId);
            RangeDescriptor next = r.withPeers(peers);
            GroupChannel ch = client.channels().channel(r);
            // The table stops naming the node before its replica is deleted, so a node never sees itself named for a
            // range it does not host because it was just removed (its split reconciler would take that for a range it
            // missed).
            return blocking(() -> {
                check(ch.raft().admin().setConfiguration(client.channels().groupOf(next).getPeers().stream().toList()),
                        "remove " + nodeId + " from range " + rangeId);
                return next;
            }).thenCompose(n -> replaceDescriptor(r, n)).thenCompose(replaced -> !deleteOnNode
                    ? CompletableFuture.completedFuture(replaced) : deleteReplica(r, nodeId).thenApply(v -> {
                        check(v, "delete range " + rangeId + " on " + nodeId);
                        return replaced;
                    }));
        });
    }

    /**
     * Removes {@code self} from {@code group}'s configuration (a no-op when it is not in it): the first step of
     * re-admitting a node that lost its Raft storage (a wiped data directory) and restarted with the same id. From
     * then on its old votes and acknowledgements no longer count and no leader sends it anything, so it can create
     * the group locally with an empty configuration (it neither votes nor campaigns) before {@link #addMember}.
     *
     * @param group the group with its current members, as a member reports them
     */
    public CompletableFuture<Void> removeMember(RaftGroup group, RaftPeer self) {
        return blocking(() -> {
            try (GroupChannel others = othersOf(group, self)) {
                check(others.raft().admin().setConfiguration(without(group, self)), "remove " + self.getId()
                        + " from " + group.getGroupId());
            }
            return null;
        });
    }

    /**
     * Adds {@code self} back to {@code group}'s configuration: the leader starts a fresh log appender for it (match
     * index unknown) that catches it up by log or snapshot before the new configuration, and so the node's votes and
     * acknowledgements, count. Idempotent.
     */
    public CompletableFuture<Void> addMember(RaftGroup group, RaftPeer self) {
        return blocking(() -> {
            List<RaftPeer> with = new ArrayList<>(without(group, self));
            with.add(self);
            try (GroupChannel others = othersOf(group, self)) {
                check(others.raft().admin().setConfiguration(with), "add " + self.getId() + " to "
                        + group.getGroupId());
            }
            return null;
        });
    }

    private static List<RaftPeer> without(RaftGroup group, RaftPeer self) {
        return group.getPeers().stream().filter(p -> !p.getId().equals(self.getId())).toList();
    }

    /** A channel to {@code group}'s members other than {@code self}: the ones that can change its configuration. */
    private GroupChannel othersOf(RaftGroup group, RaftPeer self) {
        return client.channels().detached(RaftGroup.valueOf(group.getGroupId(), without(group, self)));
    }

    /**
     * Whether {@code self} must be re-admitted to {@code group} rather than join it as a voter: true when a
     * reachable other member hosts the group and knows a commit index of at least 0 for the node (it took part
     * before: a leader learns it from the node's replies, followers from the leader's). False for a node joining a
     * group for the first time. Members that do not answer within {@code timeoutMs} are ignored.
     *
     * @return the group with its current members as the answering member sees them, if re-admission is needed
     */
    public CompletableFuture<Optional<RaftGroup>> readmissionNeeded(RaftGroup group, RaftPeer self, long timeoutMs) {
        String id = self.getId().toString();
        return firstMemberReporting(group, self, timeoutMs, info -> info.getCommitInfos().stream().anyMatch(c ->
                c.getServer().getId().toStringUtf8().equals(id) && c.getCommitIndex() >= 0));
    }

    /**
     * The group as a reachable other member sees it, when that member's configuration names {@code self}: the
     * peers {@code self}'s replica belongs to, for a replica that lost track of them (see
     * {@code HostedGroups#unconfigured}). Empty when no member answering within {@code timeoutMs} names it.
     */
    public CompletableFuture<Optional<RaftGroup>> membersNaming(RaftGroup group, RaftPeer self, long timeoutMs) {
        return firstMemberReporting(group, self, timeoutMs,
                info -> info.getGroup().getPeers().stream().anyMatch(p -> p.getId().equals(self.getId())));
    }

    /**
     * Whether at least {@code needed} of {@code group}'s other members run it (answer a group-info call for it), known
     * as soon as that many answered, or once every answer is in (at most {@code timeoutMs}): a member that has not
     * created the group yet cannot vote in its elections.
     */
    public CompletableFuture<Boolean> otherMembersHosting(RaftGroup group, RaftPeer self, int needed, long timeoutMs) {
        return atLeast(askOtherMembers(group, self, timeoutMs, GroupInfoReply::isSuccess, false), needed);
    }

    /** True as soon as {@code needed} of {@code answers} are true; false once all are in with fewer. */
    private static CompletableFuture<Boolean> atLeast(List<CompletableFuture<Boolean>> answers, int needed) {
        if (needed <= 0 || answers.size() < needed) {
            return CompletableFuture.completedFuture(needed <= 0);
        }
        CompletableFuture<Boolean> enough = new CompletableFuture<>();
        AtomicInteger yes = new AtomicInteger();
        AtomicInteger in = new AtomicInteger();
        for (CompletableFuture<Boolean> a : answers) {
            a.thenAccept(answer -> {
                if (answer && yes.incrementAndGet() >= needed) {
                    enough.complete(true);
                }
                if (in.incrementAndGet() == answers.size()) {
                    enough.complete(false); // a no-op once enough said yes
                }
            });
        }
        return enough;
    }

    /** Asks {@code group}'s other members for their view of it; the first whose answer passes {@code test}. */
    private CompletableFuture<Optional<RaftGroup>> firstMemberReporting(RaftGroup group, RaftPeer self, long timeoutMs,
                                                                      Predicate<GroupInfoReply> test) {
        List<CompletableFuture<Optional<RaftGroup>>> answers = askOtherMembers(group, self, timeoutMs,
                info -> info.isSuccess() && test.test(info) ? Optional.of(info.getGroup()) : Optional.empty(),
                Optional.empty());
        return CompletableFuture.allOf(answers.toArray(CompletableFuture[]::new)).thenApply(v -> answers.stream()
                .map(CompletableFuture::join).flatMap(Optional::stream).findFirst());
    }

    /**
     * Each of {@code group}'s other members' answer to a group-info call, read by {@code read}; {@code otherwise} for
     * a member that fails or does not answer within {@code timeoutMs}.
     */
    private <T> List<CompletableFuture<T>> askOtherMembers(RaftGroup group, RaftPeer self, long timeoutMs,
                                                           Function<GroupInfoReply, T> read, T otherwise) {
        List<CompletableFuture<T>> answers = new ArrayList<>();
        for (RaftPeer p : group.getPeers()) {
            if (!p.getId().equals(self.getId())) {
                answers.add(client.nodeCalls().probe(p.getId().toString(), node -> read.apply(
                                node.getGroupManagementApi(p.getId()).info(group.getGroupId())))
                        .completeOnTimeout(otherwise, timeoutMs, TimeUnit.MILLISECONDS)
                        .exceptionally(t -> otherwise));
            }
        }
        return answers;
    }

    /**
     * Writes {@code d} into the meta group unless a descriptor with its id exists or existed (a merge removed it and
     * left a {@link MergeTombstone}); true when this call created it.
     */
    public CompletableFuture<Boolean> createRangeIfAbsent(RangeDescriptor d) {
        return client.channels().meta().write(new Command.CompareAndSetAll(List.of(
                new Command.CompareAndSet(RangeDescriptorCodec.key(d.rangeId()), null, RangeDescriptorCodec.encode(d)),
                new Command.CompareAndSet(MergeTombstone.key(d.rangeId()), null, null))))
                .thenApply(res -> res instanceof CommandResult.CasOutcome c && c.succeeded());
    }

    /**
     * Makes range {@code rangeId}'s replicas record their descriptor (bounds and epoch, {@code Command.SetDescriptor})
     * from the meta group's current table, unless the range's log already holds one; completes with the descriptor the
     * range's leader has recorded afterwards. Idempotent: the first descriptor entry of a log wins, so concurrent
     * callers agree. Used at start-up for new ranges and for ranges created by older builds (upgrade).
     */
    public CompletableFuture<RangeBounds> recordDescriptorIfAbsent(long rangeId) {
        return currentDescriptor(rangeId).thenCompose(d -> recordedBy(d).thenCompose(recorded -> recorded != null
                ? CompletableFuture.completedFuture(recorded)
                : client.write(d, new Command.SetDescriptor(d.bounds())).thenCompose(res -> recordedBy(d))));
    }

    /**
     * The descriptor range {@code rangeId}'s log has recorded, read linearizably from its leader; null when none
     * (yet): its replicas accept every key.
     */
    public CompletableFuture<RangeBounds> recordedDescriptor(long rangeId) {
        return recordedBy(client.routing().rangeOrThrow(rangeId));
    }

    private CompletableFuture<RangeBounds> recordedBy(RangeDescriptor d) {
        return client.read(d, new Query.Describe(), ReadOptions.linearizable())
                .thenApply(res -> ((QueryResult.Described) res).descriptor());
    }

    /**
     * Splits range {@code rangeId} at {@code keyOrNull} (null: the byte median its leader estimates from its learned
     * index, {@link Query.MedianKey}). Steps: the range's descriptor from the meta group; its log records one if it has
     * none; a new range id reserved in the meta group ({@link #reserveRangeId}); the {@link Command.Split} entry routed
     * by the table's epoch (a concurrent split or membership change makes it stale: CONFLICT, nothing changed); then
     * the range table changed to both halves ({@link #recordSplit}, which every replica's node also does, so a split
     * whose proposer dies after the entry committed is finished anyway); then it waits for the new range's first
     * leader, bounded ({@code awaitLeader}). The right half's group starts on every
     * replica as it applies the entry.
     */
    public CompletableFuture<Results.SplitResult> split(long rangeId, byte[] keyOrNull) {
        return split(rangeId, keyOrNull, true);
    }

    /**
     * As {@link #split(long, byte[])}; {@code sticky}: the split point is an operator's, recorded in the meta group
     * ({@link RangeDescriptorCodec#stickySplitKey}) before the split is proposed, so automatic merges never remove it.
     * Automatic splits are not sticky.
     */
    public CompletableFuture<Results.SplitResult> split(long rangeId, byte[] keyOrNull, boolean sticky) {
        long startNanos = System.nanoTime();
        return currentDescriptor(rangeId).thenCompose(d -> {
            // Two reads of the range that do not depend on each other, sent together: the descriptor its log records
            // (recorded first if there is none) and the split key.
            CompletableFuture<byte[]> keyChosen = splitKey(d, keyOrNull);
            return recordDescriptorIfAbsent(rangeId).thenCompose(recorded -> {
                if (!Arrays.equals(recorded.start(), d.start()) || !Arrays.equals(recorded.end(), d.end())) {
                    throw new ClientException(ErrorCode.CONFLICT, "range " + rangeId + " is changing shape (its log "
                            + "records " + recorded + ", the table " + d.bounds() + "); retry once it settled");
                }
                return keyChosen.thenCompose(key -> {
                    long keyNanos = System.nanoTime();
                    if (!d.bounds().canSplitAt(key)) {
                        throw new ClientException(ErrorCode.INVALID_ARGUMENT, "split key " + Bytes.hex(key)
                                + " does not cut " + d + " into two non-empty halves");
                    }
                    // The sticky mark and the new range's id are independent meta writes; both precede the proposal.
                    CompletableFuture<?> marked = !sticky ? CompletableFuture.completedFuture(null)
                            : client.channels().meta().write(new Command.Put(RangeDescriptorCodec.stickySplitKey(key),
                            new byte[0]));
                    CompletableFuture<Long> reserved = reserveRangeId();
                    return marked.thenCompose(m -> reserved).thenCompose(newId -> proposeSplit(d, recorded, key,
                            newId, new long[]{startNanos, keyNanos}));
                });
            });
        });
    }

    /**
     * The rest of {@link #split(long, byte[], boolean)} once the key and the new id are known: the split entry, the
     * range table, the new range's first leader; logs the phases' times. {@code nanos}: the split's start and the
     * moment its key was known.
     */
    private CompletableFuture<Results.SplitResult> proposeSplit(RangeDescriptor d, RangeBounds recorded, byte[] key,
                                                                long newId, long[] nanos) {
        long rangeId = d.rangeId();
        UUID group = UUID.randomUUID();
        long proposedNanos = System.nanoTime();
        return client.write(d, new Command.Split(key, newId, group)).thenCompose(res -> {
            long committedNanos = System.nanoTime();
            if (res instanceof CommandResult.Refused refused) {
                throw new ClientException(ErrorCode.CONFLICT, "range " + rangeId + " changed while splitting ("
                        + refused.refusal() + "); refresh and retry");
            }
            long epoch = Math.max(d.epoch(), recorded.epoch()) + 1;
            RangeBounds left = new RangeBounds(rangeId, d.start(), key, epoch);
            RangeBounds right = new RangeBounds(newId, key, d.end(), epoch);
            notifyCommit(new RangeDescriptor(rangeId, d.start(), key, d.groupId(), d.peerIds(), epoch));
            long[] recordedNanos = new long[1];
            return recordSplit(left, right, group).thenCompose(v -> {
                recordedNanos[0] = System.nanoTime();
                return client.refreshRangeTable();
            }).thenCompose(t -> awaitLeader(newId, nanos[0]).thenApply(v -> t)).thenApply(t -> {
                long now = System.nanoTime();
                LOG.info("Split range {} at {} into {}: {} ms (split key {} ms, range id {} ms, split entry committed "
                        + "{} ms, range table {} ms, the new range's first leader {} ms)", rangeId, Bytes.hex(key),
                        newId, ms(now - nanos[0]), ms(nanos[1] - nanos[0]), ms(proposedNanos - nanos[1]),
                        ms(committedNanos - proposedNanos), ms(recordedNanos[0] - committedNanos),
                        ms(now - recordedNanos[0]));
                return new Results.SplitResult(t.byIdOrThrow(rangeId), t.byIdOrThrow(newId), key, res.revision(),
                        ms(now - nanos[0]));
            });
        });
    }

    /**
     * Appends an empty {@link Command.Batch} to the split's left half, not waited for: its append tells the followers
     * the split committed (Ratis tells an idle follower of a commit only with the next entry or heartbeat, half an
     * election timeout later), so they create the new range's group now, and the new range can elect its leader
     * (SplitFollowUp's first campaign waits for a majority of its replicas). An empty batch has no effect and every
     * build applies it, so a rolling upgrade's older followers read it too.
     */
    private void notifyCommit(RangeDescriptor left) {
        client.write(left, new Command.Batch(List.of())).whenComplete((r, e) -> {
            if (e != null) {
                LOG.debug("Range {}: the commit notice after its split failed ({}); followers hear of the split at "
                        + "the next heartbeat", left.rangeId(), e.toString());
            }
        });
    }

    /**
     * Completes once range {@code rangeId} has a leader (its new group elected one), or when
     * {@link #SPLIT_LEADER_WAIT_MS} passed since {@code startNanos}: so that a split's answer means both halves take
     * requests, not only that the table shows them. Polls its replicas' roles every {@link #SPLIT_LEADER_POLL_MS}.
     */
    private CompletableFuture<Void> awaitLeader(long rangeId, long startNanos) {
        return hasLeader(rangeId).handle((led, e) -> e == null && led).thenCompose(led -> {
            if (led || System.nanoTime() - startNanos > SPLIT_LEADER_WAIT_MS * 1_000_000) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            return client.threads().retryTime().after(SPLIT_LEADER_POLL_MS).thenCompose(v -> awaitLeader(rangeId, startNanos));
        });
    }

    private static long ms(long nanos) {
        return nanos / 1_000_000;
    }

    /**
     * The given key, or the leader's estimate of the byte median; the estimate reads only segments, so when the range's
     * keys are all still in memtables the range is flushed on every replica first ({@link Command.Maintain}) and the
     * median asked again.
     */
    private CompletableFuture<byte[]> splitKey(RangeDescriptor d, byte[] keyOrNull) {
        if (keyOrNull != null) {
            return CompletableFuture.completedFuture(keyOrNull);
        }
        return medianOrNull(d).thenCompose(median -> median != null ? CompletableFuture.completedFuture(median)
                : client.write(d, new Command.Maintain(Command.Maintenance.FLUSH)).thenCompose(v -> medianOrNull(d))
                        .thenApply(afterFlush -> {
                            if (afterFlush == null) {
                                throw new ClientException(ErrorCode.INVALID_ARGUMENT, "range " + d.rangeId()
                                        + " holds fewer than two keys; nothing to split");
                            }
                            return afterFlush;
                        }));
    }

    private CompletableFuture<byte[]> medianOrNull(RangeDescriptor d) {
        return client.read(d, new Query.MedianKey(), ReadOptions.linearizable())
                .thenApply(res -> ((QueryResult.Value) res).value());
    }

    /**
     * A range id no range has, had, or will be given by another caller: the meta group's counter
     * ({@link RangeDescriptorCodec#NEXT_RANGE_ID_KEY}, starting above the highest id of the table and of the merged-away
     * ranges, whose ids stay taken by their {@link MergeTombstone}s) advanced by
     * compare-and-set, retried while other callers win.
     */
    CompletableFuture<Long> reserveRangeId() {
        byte[] key = RangeDescriptorCodec.NEXT_RANGE_ID_KEY;
        return client.channels().meta().read(new Query.Get(key), ReadOptions.linearizable(), null).thenCompose(res -> {
            byte[] current = ((QueryResult.Value) res).value();
            CompletableFuture<Long> next = current != null
                    ? CompletableFuture.completedFuture(ByteBuffer.wrap(current).getLong())
                    : client.refreshRangeTable().thenCombine(mergeTombstones(), (t, merged) -> Math.max(
                            t.ranges().stream().mapToLong(RangeDescriptor::rangeId).max().orElse(0),
                            merged.stream().mapToLong(MergeTombstone::sourceRangeId).max().orElse(0)) + 1);
            return next.thenCompose(id -> client.channels().meta().write(new Command.CompareAndSet(key, current,
                            ByteBuffer.allocate(Long.BYTES).putLong(id + 1).array()))
                    .thenCompose(w -> w instanceof CommandResult.CasOutcome c && c.succeeded()
                            ? CompletableFuture.completedFuture(id) : reserveRangeId()));
        });
    }

    /**
     * Makes the range table show a split a replica applied: the parent's descriptor becomes {@code left} and
     * {@code right}'s is created (group {@code rightGroup}, the parent's peers), both by one atomic compare-and-set
     * ({@link Command.CompareAndSetAll}), so the table never has a gap or an overlap. A no-op when the table's
     * descriptor of the parent already has an epoch of at least {@code left}'s (this split, or a later change, is
     * recorded). Idempotent and safe to race: every replica's node calls it after applying the split.
     */
    public CompletableFuture<Void> recordSplit(RangeBounds left, RangeBounds right, UUID rightGroup) {
        return currentDescriptor(left.rangeId()).thenCompose(d -> {
            if (d.epoch() >= left.epoch()) {
                return CompletableFuture.<Void>completedFuture(null);
            }
            if (!Arrays.equals(d.start(), left.start()) || !Arrays.equals(d.end(), right.end())) {
                throw new ClientException(ErrorCode.CONFLICT, "range " + d.rangeId() + " is " + d + " in the table, "
                        + "not the parent of " + left + " and " + right);
            }
            RangeDescriptor newLeft = new RangeDescriptor(d.rangeId(), d.start(), left.end(), d.groupId(), d.peerIds(),
                    left.epoch());
            RangeDescriptor newRight = new RangeDescriptor(right.rangeId(), right.start(), right.end(), rightGroup,
                    d.peerIds(), right.epoch());
            return client.channels().meta().write(new Command.CompareAndSetAll(List.of(
                    new Command.CompareAndSet(RangeDescriptorCodec.key(d.rangeId()), RangeDescriptorCodec.encode(d),
                            RangeDescriptorCodec.encode(newLeft)),
                    new Command.CompareAndSet(RangeDescriptorCodec.key(newRight.rangeId()), null,
                            RangeDescriptorCodec.encode(newRight))))).thenCompose(res ->
                    res instanceof CommandResult.CasOutcome c && c.succeeded()
                            ? CompletableFuture.<Void>completedFuture(null)
                            : recordSplit(left, right, rightGroup)); // the table changed meanwhile: look again
        });
    }

    /**
     * Merges range {@code rangeId} with its right neighbour, which it absorbs ({@link RangeMerger}: the neighbour is
     * frozen, its records are copied through this range's log, the range table decides). INVALID_ARGUMENT for the last
     * range or a neighbour above {@link RangeMerger#SOURCE_BYTES_MAX}; CONFLICT when either range is changing shape or
     * the table changed meanwhile (the merge is abandoned and nothing changed).
     */
    public CompletableFuture<Results.MergeResult> merge(long rangeId) {
        return merger.merge(rangeId);
    }

    /**
     * Abandons a merge that froze range {@code rangeId} at {@code frozenEpoch}: the table's descriptor gets that epoch
     * (by compare-and-set, retried while the descriptor changes under it), so requests routed by the table are
     * accepted again and the merge's own compare-and-set, which expects the old descriptor, can no longer commit.
     * A no-op when the range is gone (the merge committed) or the table is at that epoch already.
     */
    public CompletableFuture<Void> unfreeze(long rangeId, long frozenEpoch) {
        return client.channels().meta().read(new Query.Get(RangeDescriptorCodec.key(rangeId)),
                ReadOptions.linearizable(), null).thenCompose(res -> {
                    byte[] v = ((QueryResult.Value) res).value();
                    RangeDescriptor d = v == null ? null : RangeDescriptorCodec.decode(v);
                    if (d == null || d.epoch() >= frozenEpoch) {
                        return CompletableFuture.<Void>completedFuture(null);
                    }
                    RangeDescriptor thawed = new RangeDescriptor(d.rangeId(), d.start(), d.end(), d.groupId(),
                            d.peerIds(), frozenEpoch);
                    return client.channels().meta().write(new Command.CompareAndSet(RangeDescriptorCodec.key(rangeId), v,
                            RangeDescriptorCodec.encode(thawed))).thenCompose(w -> w instanceof CommandResult.CasOutcome c
                            && c.succeeded() ? client.refreshRangeTable().<Void>thenApply(t -> null)
                            : unfreeze(rangeId, frozenEpoch));
                });
    }

    /** Whether {@code boundary} is an operator's split point ({@link #split(long, byte[], boolean)}). */
    public CompletableFuture<Boolean> stickySplit(byte[] boundary) {
        return client.channels().meta().read(new Query.Get(RangeDescriptorCodec.stickySplitKey(boundary)),
                ReadOptions.linearizable(), null).thenApply(res -> ((QueryResult.Value) res).value() != null);
    }

    /** Range {@code rangeId}'s stored bytes and load, as its leader counts them ({@link Query.Size}). */
    public CompletableFuture<QueryResult.Size> rangeSize(long rangeId) {
        return client.read(client.routing().rangeOrThrow(rangeId), new Query.Size(), ReadOptions.linearizable())
                .thenApply(res -> (QueryResult.Size) res);
    }

    /** Every merge the meta group records ({@link MergeTombstone}), in source id order. */
    public CompletableFuture<List<MergeTombstone>> mergeTombstones() {
        return client.channels().meta().read(new Query.Scan(MergeTombstone.KEY_PREFIX, MergeTombstone.KEY_PREFIX_END,
                io.omendb.raft.command.QueryCodec.SCAN_LIMIT_MAX), ReadOptions.linearizable(), null)
                .thenApply(res -> ((QueryResult.ScanPage) res).entries().stream()
                        .map(kv -> MergeTombstone.decode(kv.value())).toList());
    }

    /**
     * Finishes, on the target's side, a merge the table recorded whose proposer did not: the target {@code merged} (as
     * the table has it now) widens its descriptor from {@code sourceStart} on ({@link Command.CommitMerge}).
     * Idempotent. (Each node deletes its own replicas of the source: {@code MergeFollowUp}.)
     */
    public CompletableFuture<Void> finishMerge(RangeDescriptor merged, byte[] sourceStart) {
        return client.write(merged, new Command.CommitMerge(merged.bounds(), sourceStart)).thenApply(r -> null);
    }

    private CompletableFuture<RangeDescriptor> currentDescriptor(long rangeId) {
        return client.channels().meta().read(new Query.Get(RangeDescriptorCodec.key(rangeId)), ReadOptions.linearizable(),
                null).thenApply(res -> {
                    byte[] v = ((QueryResult.Value) res).value();
                    if (v == null) {
                        throw new ClientException(ErrorCode.NOT_FOUND, "no range with id " + rangeId);
                    }
                    return RangeDescriptorCodec.decode(v);
                });
    }

    private CompletableFuture<RangeDescriptor> replaceDescriptor(RangeDescriptor old, RangeDescriptor next) {
        return client.channels().meta().write(new Command.CompareAndSet(RangeDescriptorCodec.key(old.rangeId()),
                RangeDescriptorCodec.encode(old), RangeDescriptorCodec.encode(next))).thenApply(res -> {
                    if (!(res instanceof CommandResult.CasOutcome c) || !c.succeeded()) {
                        throw new ClientException(ErrorCode.CONFLICT, "range " + old.rangeId()
                                + " changed in the meta group during the operation; refresh and retry");
                    }
                    client.routing().replaceRange(next);
                    return next;
                });
    }

    private static void requireMember(RangeDescriptor r, String nodeId, boolean expected) {
        if (r.peerIds().contains(nodeId) != expected) {
            throw new ClientException(expected ? ErrorCode.NOT_FOUND : ErrorCode.INVALID_ARGUMENT, "node '" + nodeId
                    + "' " + (expected ? "holds no" : "already holds a") + " replica of range " + r.rangeId());
        }
    }

    private static void check(RaftClientReply reply, String what) {
        if (!reply.isSuccess()) {
            throw new ClientException(ErrorCode.UNAVAILABLE, what + " failed: " + reply.getException());
        }
    }

    interface IoCall<T> {
        T call() throws IOException;
    }

    /**
     * Deletes range {@code r}'s replica (and its files) on {@code nodeId}, a change bounded like every call to one
     * node ({@link NodeCalls}); completes with the node's reply.
     */
    CompletableFuture<RaftClientReply> deleteReplica(RangeDescriptor r, String nodeId) {
        return client.nodeCalls().change(nodeId, c -> c.getGroupManagementApi(RaftPeerId.valueOf(nodeId))
                .remove(RaftGroupId.valueOf(r.groupId()), true, false));
    }

    /**
     * Runs {@code call}, a call addressed to a group's leader (a configuration change, a leadership transfer: they
     * ride out elections, with the client's retry budget), on the admin pool; UNAVAILABLE when its queue is full or
     * the client closed. Calls addressed to one node go through {@link NodeCalls} instead.
     */
    <T> CompletableFuture<T> blocking(IoCall<T> call) {
        try {
            return CompletableFuture.supplyAsync(() -> {
                try {
                    return call.call();
                } catch (IOException e) {
                    throw new ClientException(ErrorCode.UNAVAILABLE, e.toString(), e);
                }
            }, client.adminExecutor());
        } catch (RejectedExecutionException e) {
            return CompletableFuture.failedFuture(new ClientException(ErrorCode.UNAVAILABLE, "admin calls refused ("
                    + ClientThreads.ADMIN_QUEUED_MAX + " already wait, or the client is closed); retry later", e));
        }
    }

    /** The cluster's nodes: their recorded states, decommissioning, and what each answers ({@link NodeAdmin}). */
    public NodeAdmin nodes() {
        return new NodeAdmin(client);
    }
}
