package io.omendb.raft;

import io.omendb.raft.client.ClusterAdmin;
import org.apache.ratis.proto.RaftProtos.RaftRpcRequestProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionReplyProto;
import org.apache.ratis.proto.RaftProtos.StartLeaderElectionRequestProto;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.SnapshotInfo;
import org.apache.ratis.util.ProtoUtils;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.util.concurrent.RejectedExecutionException;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.LongSupplier;

/**
 * The first election of a split's right half, started at once on the node whose replica of the parent led it (as
 * TiKV's new Region campaigns on the parent leader's store), instead of left to Ratis' first-election timer.
 *
 * <p><b>Why.</b> Every replica starts the new group as it applies the split, at different moments. Left to the
 * timers, the first replica whose timer fires (a quarter of the election timeout, 250–500 ms by default) campaigns;
 * when the other replicas have not created the group yet, it gets no vote, turns follower and waits a whole election
 * timeout (1–2 s) before trying again. The 4 GiB growth run measured the new range's first leader at a median of
 * 1,172 ms after the range table showed the split (max 3.6 s): the largest part of a split's answer.
 *
 * <p><b>What.</b> Every {@link #POLL_INTERVAL_MS}, the campaigner asks the group's other members whether they run
 * it; once enough do for a majority with itself, it starts an election on its own replica — Ratis'
 * {@code startLeaderElection}, the call a leader makes on the follower it hands leadership to, here made locally —
 * which skips the pre-vote and asks for votes at once. It stops when the group has a leader, when its replica is no
 * longer a follower, or after {@code waitMs} (then Ratis' timers elect as before).
 *
 * <p><b>Safety.</b> An election is always safe in Raft; this changes only who campaigns first and when. Ratis refuses
 * the call when the replica knows a leader or a newer term than its log's last entry ({@code recognizeLeader}), so it
 * cannot depose a leader already elected; and without the pre-vote it can at worst raise a brand-new group's term once.
 */
final class FirstCampaign {
    private static final Logger LOG = LoggerFactory.getLogger(FirstCampaign.class);
    /** How often the campaigner asks whether the group's other members run it yet. */
    static final long POLL_INTERVAL_MS = 20;
    /** How long one such question may take. */
    static final long PROBE_TIMEOUT_MS = 500;

    private final RaftServer server;
    private final ClusterAdmin admin;
    private final ScheduledExecutorService executor;
    private final LongSupplier nanoClock;

    FirstCampaign(RaftServer server, ClusterAdmin admin, ScheduledExecutorService executor, LongSupplier nanoClock) {
        this.server = server;
        this.admin = admin;
        this.executor = executor;
        this.nanoClock = nanoClock;
    }

    /** Campaigns for {@code group} on this node's replica once a majority runs it, trying at most {@code waitMs}. */
    void start(RaftGroupId group, long waitMs) {
        long startNanos = nanoClock.getAsLong();
        poll(group, startNanos, startNanos + TimeUnit.MILLISECONDS.toNanos(waitMs));
    }

    private void poll(RaftGroupId groupId, long startNanos, long deadlineNanos) {
        RaftServer.Division division;
        try {
            division = server.getDivision(groupId);
        } catch (IOException gone) {
            return; // removed meanwhile (merged, moved): nothing to elect here
        }
        if (decided(division)) {
            return;
        }
        RaftGroup group = division.getGroup();
        int votersNeeded = group.getPeers().size() / 2; // besides this replica's own vote
        admin.otherMembersHosting(group, server.getPeer(), votersNeeded, PROBE_TIMEOUT_MS).whenComplete((enough, e) -> {
            try {
                if (e == null && enough) {
                    executor.execute(() -> campaign(division, startNanos));
                } else if (nanoClock.getAsLong() < deadlineNanos) {
                    executor.schedule(() -> poll(groupId, startNanos, deadlineNanos), POLL_INTERVAL_MS,
                            TimeUnit.MILLISECONDS);
                } else {
                    LOG.info("{}: no majority ran the group within the wait; its election timers elect a leader",
                            division.getMemberId());
                }
            } catch (RejectedExecutionException closing) {
                LOG.debug("{}: node closing, no first campaign", division.getMemberId());
            }
        });
    }

    private void campaign(RaftServer.Division division, long startNanos) {
        if (decided(division)) {
            return;
        }
        TermIndex last = lastEntry(division);
        StartLeaderElectionRequestProto request = StartLeaderElectionRequestProto.newBuilder()
                .setServerRequest(RaftRpcRequestProto.newBuilder()
                        .setRequestorId(server.getId().toByteString())
                        .setReplyId(server.getId().toByteString())
                        .setRaftGroupId(ProtoUtils.toRaftGroupIdProtoBuilder(division.getGroup().getGroupId())))
                .setLeaderLastEntry(last.toProto())
                .build();
        try {
            StartLeaderElectionReplyProto reply = server.startLeaderElection(request);
            LOG.info("{}: first campaign {} {} ms after the group started here", division.getMemberId(),
                    reply.getServerReply().getSuccess() ? "started" : "refused (a leader or a newer term is known)",
                    (nanoClock.getAsLong() - startNanos) / 1_000_000);
        } catch (IOException | RuntimeException e) {
            LOG.info("{}: first campaign not started ({}); its election timers elect a leader", division.getMemberId(),
                    e.toString());
        }
    }

    /** Whether there is nothing to campaign for: a leader is known, or the replica is no longer a follower. */
    private static boolean decided(RaftServer.Division division) {
        return division.getInfo().getLeaderId() != null || !division.getInfo().isFollower();
    }

    /** The replica's last log entry, or its snapshot's when the log is empty; (0, 0) for neither (as Ratis does). */
    private static TermIndex lastEntry(RaftServer.Division division) {
        TermIndex last = division.getRaftLog().getLastEntryTermIndex();
        if (last != null) {
            return last;
        }
        SnapshotInfo snapshot = division.getStateMachine().getLatestSnapshot();
        return snapshot != null ? snapshot.getTermIndex() : TermIndex.valueOf(0, 0);
    }
}
