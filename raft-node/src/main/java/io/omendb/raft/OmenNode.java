package io.omendb.raft;

import io.omendb.raft.archive.ArchiveSettings;
import io.omendb.raft.archive.GroupLogArchiver;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.LocalRaftServer;
import io.omendb.raft.command.ForwardedWrites;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.NodeMetadataStore;
import io.omendb.raft.security.RaftTls;
import io.omendb.raft.statemachine.RangeStateMachine;
import io.omendb.raft.statemachine.ShapeListener;
import io.omendb.raft.statemachine.SplitHandoff;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.storage.MaintenancePool;
import io.omendb.storage.MemtableBudget;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.security.SecureRandom;
import java.time.Clock;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.random.RandomGenerator;
import java.util.concurrent.atomic.AtomicReference;

/**
 * One OmenDB node process: a single Ratis {@link RaftServer} hosting the meta group (if this node is one of its
 * peers) and one group per key range it replicates, each with its own {@link RangeStateMachine} and engine. This
 * class owns the node's lifecycle and wires its parts, each of which has one role:
 * {@link GroupBootstrap} (creating the layout's groups), {@link Readmission} (a wiped node rejoining them),
 * {@link RangeTableSeeder} (the initial range table), {@link PlacementRunner} (replica and leader placement, drains)
 * and {@link LogArchiveScheduler} (log archiving).
 *
 * <p><b>Start.</b> The server is always started with {@code RECOVER}: it re-opens every group found in its Raft
 * storage (a restart, even after kill -9, replays each group's log after its engine's durable index). Then the node
 * bootstraps idempotently ({@link GroupBootstrap}), re-admits itself to the groups it lost its storage of, and a meta
 * peer seeds the range table. A node that joins a running cluster ({@code [cluster] join = true}) does none of this:
 * it registers its addresses in the meta group ({@link MemberRegistration}; the start fails if its id is taken) and
 * waits for the placement driver to give it replicas. The data directory's owner is recorded in the node metadata store; starting a
 * different node id or database on it is refused.
 *
 * <p><b>Wiped node (Raft amnesia).</b> A node that lost its data directory and restarts with the same id has
 * forgotten its votes and the entries it acknowledged, while the leaders still count on them (their match index
 * for it stays at the old end of the log, so Ratis keeps sending entries it cannot accept and never rewinds: the
 * replica would never catch up). Rejoining as a voter would also be unsafe: it could vote twice in a term, and a
 * committed entry it acknowledged could be lost with one more failure. Each data directory has a random incarnation,
 * which the meta group records per node once the node serves its groups with it ({@link Rejoin}): a node finding
 * another incarnation recorded for it creates no group as a voter and is re-admitted as a new member
 * ({@link GroupBootstrap#readmitOnce}) to the meta group and every range the table gives it, with backoff and a
 * deadline ({@link #READMISSION}) — whether or not the other members restarted since. For a cluster without records
 * yet, each missing group that another member reports this node took part in is re-admitted the same way.
 *
 * <p><b>Memory.</b> Every range replica's engine runs its flushes on the node's {@link MaintenancePool} and reports
 * its memtable bytes to the pool's {@link MemtableBudget}, half of {@code [limits] memory_limit_mb} (or of the max
 * heap, if smaller): past it the largest memtables are flushed early, so buffered writes alone never hold the heap at
 * the limit where the router refuses writes (which no write could then undo). The budget is shared with the heap
 * the Raft logs hold, which Ratis keeps (the open segment, up to {@code [wal] segment_size_mb} per range, and the
 * segment closed last until its next eviction; docs/ARCHITECTURE.md "Open segments in heap"): the budget
 * reserves their bytes ({@link CountingRatisMetrics#logCacheBytes(long)}, every node of the process: a local cluster
 * shares one heap) and the memtables get what is left.
 *
 * <p><b>Layout of {@code data_dir}:</b> {@link NodeDataLayout}.
 *
 * <p><b>Threading.</b> Ratis owns all threads except the seeding thread, which retries with a deadline, the
 * {@link Rejoin} threads (one per lost group, retrying with backoff until done or their deadline), and the archiving
 * timer; {@link #close()} stops them.
 */
public final class OmenNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OmenNode.class);
    /**
     * Re-admission retries: first after about 1 s (today's fixed interval), doubling up to 10 s, for at most an
     * hour (long enough for an operator to bring back the group's other members; after it, restarting this node
     * retries).
     */
    static final Readmission.Policy READMISSION = new Readmission.Policy(1_000, 10_000, 3_600_000);

    private final OmenConfig config;
    private final NodeMetadataStore metadata;
    private final RaftServer server;
    private final MaintenancePool maintenance;
    private final LocalDivisions localDivisions;
    /** The node's own client of the cluster: membership probes and re-admission. */
    private final ClusterClient client;
    private final GroupBootstrap bootstrap;
    private final RangeTableSeeder seeder;
    private final SplitFollowUp splitFollowUp;
    private final AutoSplitter autoSplitter;
    private final AutoMerger autoMerger;
    private final PlacementRunner placement;
    private final MemberRegistration registration;
    /** Re-admission to the groups this node lost its storage of, and the record of its data directory's incarnation. */
    private final Rejoin rejoin;
    /** This data directory's incarnation ({@link NodeMetadataStore.NodeIdentity#incarnation}). */
    private final long incarnation;
    /** Null unless {@code backup.log_archive_dir} is set. */
    private LogArchiveScheduler archiving;
    /** The node's TLS material (Raft server and clients, and the router in this process), or null without TLS. */
    private final RaftTls tlsOrNull;

    /**
     * @param forwards where the replicas' state machines send forwarded writes: set here to {@link #localDivisions},
     *                 which hands them to the router in this process once it registered
     */
    private OmenNode(OmenConfig config, NodeMetadataStore metadata, long incarnation, RaftServer server,
                     MaintenancePool maintenance, AtomicReference<ForwardedWrites> forwards,
                     AtomicReference<ShapeListener> splits, SplitHandoff handoff, RaftTls tlsOrNull,
                     boolean recordDescriptors) {
        this.incarnation = incarnation;
        this.tlsOrNull = tlsOrNull;
        this.maintenance = maintenance;
        this.config = config;
        this.metadata = metadata;
        this.server = server;
        this.localDivisions = new LocalDivisions(server);
        forwards.set(localDivisions::proposeForwarded);
        this.client = ClusterClient.connect(ClientOptions.from(config, tlsOrNull));
        this.bootstrap = new GroupBootstrap(config, server, client, metadata::retired);
        List<String> otherMetaPeers = config.cluster().metaPeers().stream().map(OmenConfig.Member::id)
                .filter(p -> !p.equals(config.cluster().nodeId())).toList();
        this.rejoin = new Rejoin(config.cluster().nodeId(), incarnation, new Rejoin.RecordedAt() {
            @Override
            public long index() throws IOException {
                return metadata.incarnationRecordedAt();
            }

            @Override
            public void save(long index) throws IOException {
                metadata.saveIncarnationRecordedAt(index);
            }
        }, otherMetaPeers, client, bootstrap, READMISSION, System::currentTimeMillis);
        this.seeder = new RangeTableSeeder(config, recordDescriptors);
        SharedMetaReads metaReads = new SharedMetaReads(client::refreshMetaView, System::currentTimeMillis,
                ReplicaReconciler.RECONCILE_INTERVAL_MS);
        this.splitFollowUp = new SplitFollowUp(config, server, client, NodeDataLayout.of(config.database().dataDir()),
                metaReads, handoff, rejoin::inProgress);
        splits.set(splitFollowUp);
        this.autoSplitter = new AutoSplitter(config.cluster().nodeId(), server, client, config.ranges(),
                System::currentTimeMillis);
        this.autoMerger = new AutoMerger(config, server, client, metaReads, System::currentTimeMillis);
        this.placement = new PlacementRunner(config, server, client, System::currentTimeMillis);
        this.registration = new MemberRegistration(config, client, incarnation);
    }

    public static OmenNode start(OmenConfig config, Clock clock) throws IOException {
        return start(config, clock, defaultMemtableBudgetBytes(config), true);
    }

    private static long segmentBytesMax(OmenConfig config) {
        return (long) config.wal().segmentSizeMb() << 20;
    }

    /** The node's memtable budget outside tests: derived from {@code [limits] memory_limit_mb} and the heap. */
    static long defaultMemtableBudgetBytes(OmenConfig config) {
        return MemtableBudget.bytesMaxFor(config.limits().memoryLimitMb() << 20, Runtime.getRuntime().maxMemory());
    }

    /**
     * As {@link #start(OmenConfig, Clock)}, with test hooks.
     *
     * @param memtableBudgetBytes the node's memtables are flushed early once they hold more than this together
     *                            ({@link MemtableBudget}; {@link #defaultMemtableBudgetBytes} outside tests)
     * @param recordDescriptors   false: start as builds before range descriptors did, never making ranges record
     *                            their descriptor (how the upgrade test makes a data directory of the old layout)
     */
    static OmenNode start(OmenConfig config, Clock clock, long memtableBudgetBytes, boolean recordDescriptors)
            throws IOException {
        ConfigLoader.validate(config);
        RaftTls tls = RaftTls.fromOrNull(config);
        NodeDataLayout layout = NodeDataLayout.of(config.database().dataDir());
        Files.createDirectories(layout.dataDir());
        NodeMetadataStore metadata = NodeMetadataStore.open(layout);
        MaintenancePool maintenance = MaintenancePool.create(config.performance().workerThreadCount(),
                "omendb-maintenance-" + config.cluster().nodeId(),
                MemtableBudget.create(memtableBudgetBytes,
                        () -> CountingRatisMetrics.logCacheBytes(segmentBytesMax(config))));
        try {
            long incarnation = checkOwner(config, metadata, clock, new SecureRandom());
            AtomicReference<ForwardedWrites> forwards = new AtomicReference<>(ForwardedWrites.NONE);
            AtomicReference<ShapeListener> splits = new AtomicReference<>();
            SplitHandoff handoff = new SplitHandoff();
            OmenNode node = new OmenNode(config, metadata, incarnation, buildServer(config, layout, tls, metadata,
                    maintenance, clock, (group, entry) -> forwards.get().propose(group, entry),
                    (parent, split, segments) -> splits.get().splitApplied(parent, split, segments), handoff),
                    maintenance, forwards, splits, handoff, tls, recordDescriptors);
            try {
                node.server.start();
                node.joinOrBootstrap();
            } catch (IOException | RuntimeException e) {
                node.client.close();
                node.server.close();
                throw e;
            }
            node.splitFollowUp.resumeStaged();
            node.splitFollowUp.startReconciling();
            node.autoSplitter.startIfEnabled();
            node.autoMerger.startIfEnabled();
            node.placement.start();
            node.archiving = LogArchiveScheduler.startIfConfigured(config, node.server);
            node.seeder.startIfMetaPeer();
            LOG.info("Node {} started with groups {}", config.cluster().nodeId(), node.hostedGroups());
            return node;
        } catch (IOException | RuntimeException e) {
            maintenance.close();
            metadata.close();
            throw e;
        }
    }

    public static OmenNode start(OmenConfig config) throws IOException {
        return start(config, Clock.systemUTC());
    }

    /**
     * First asks the other meta peers whether this data directory is the one the cluster knows ({@link Rejoin#probe}):
     * an amnesiac node creates no group and is re-admitted to its groups as a new member. Otherwise a joining node
     * registers in the meta group and creates no group (it gets replicas from the placement driver), and a configured
     * member creates the initial layout's groups it lacks (re-admitted to those whose members remember it) and
     * registers in the background. Then, in the background, the re-admissions and the record of the incarnation.
     */
    private void joinOrBootstrap() throws IOException {
        Rejoin.Verdict verdict = rejoin.probe();
        List<RaftGroup> lost = List.of();
        if (config.cluster().join()) {
            registration.join();
        } else {
            registration.startInBackground();
            if (verdict != Rejoin.Verdict.AMNESIAC) {
                lost = bootstrap.createMissingGroups();
            }
        }
        rejoin.start(verdict, lost, bootstrap.metaGroupOfThisNode().orElse(null));
    }

    /**
     * Records this node as the data directory's owner with a new random incarnation, or checks it is (giving a
     * directory of a build before incarnations one); returns the directory's incarnation.
     */
    private static long checkOwner(OmenConfig config, NodeMetadataStore metadata, Clock clock, RandomGenerator random)
            throws IOException {
        String nodeId = config.cluster().nodeId();
        String db = config.database().name();
        var identity = metadata.identity();
        if (identity.isEmpty()) {
            NodeMetadataStore.NodeIdentity id = new NodeMetadataStore.NodeIdentity(nodeId, db, clock.millis(),
                    newIncarnation(random));
            metadata.saveIdentity(id);
            return id.incarnation();
        }
        if (!identity.get().nodeId().equals(nodeId) || !identity.get().database().equals(db)) {
            throw new IllegalStateException("data_dir " + config.database().dataDir() + " belongs to node '"
                    + identity.get().nodeId() + "' of database '" + identity.get().database() + "', not node '" + nodeId
                    + "' of '" + db + "'");
        }
        if (identity.get().incarnation() == 0) {
            metadata.saveIdentity(identity.get().withIncarnation(newIncarnation(random)));
            return metadata.identity().orElseThrow().incarnation();
        }
        return identity.get().incarnation();
    }

    /** A random incarnation: positive (shown as 16 hex digits), never 0 (which means none). */
    private static long newIncarnation(RandomGenerator random) {
        long v;
        do {
            v = random.nextLong() & Long.MAX_VALUE;
        } while (v == 0);
        return v;
    }

    private static RaftServer buildServer(OmenConfig config, NodeDataLayout layout, RaftTls tlsOrNull,
                                          NodeMetadataStore metadata, MaintenancePool maintenance, Clock clock,
                                          ForwardedWrites forwards, ShapeListener splits, SplitHandoff handoff)
            throws IOException {
        OmenConfig.Member self = config.cluster().self();
        int colon = self.raftAddress().lastIndexOf(':');
        String host = self.raftAddress().substring(0, colon);
        int port = Integer.parseInt(self.raftAddress().substring(colon + 1));
        return RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(self.id()))
                .setProperties(RatisSettings.server(config, layout.raftDir(), layout.removedGroupsDir(), host, port))
                .setParameters(RaftTls.parameters(tlsOrNull))
                .setStateMachineRegistry(group -> new RangeStateMachine(EngineSettings.from(config), metadata,
                        maintenance, clock, archiveSettings(config), forwards, splits, handoff,
                        config.ranges().splitLoadWindowS() * 1000L))
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
    }

    private static Optional<ArchiveSettings> archiveSettings(OmenConfig config) {
        OmenConfig.Backup b = config.backup();
        return b.archiving() ? Optional.of(new ArchiveSettings(b.logArchivePath(config.database().dataDir()),
                config.performance().raftWriteBufferKb() * 1024)) : Optional.empty();
    }

    public String nodeId() {
        return config.cluster().nodeId();
    }

    /** This data directory's incarnation: drawn when it was first used, recorded in the meta group by {@link Rejoin}. */
    public long incarnation() {
        return incarnation;
    }

    public OmenConfig config() {
        return config;
    }

    /** The Ratis server, for status and tests. */
    public RaftServer raftServer() {
        return server;
    }

    /** This node's Raft server as a router in this process reaches it ({@link ClientOptions#withLocalServer}). */
    public LocalRaftServer localServer() {
        return localDivisions;
    }

    /** The TLS material this node's Raft server and clients use (reloadable), or null without TLS. */
    public RaftTls tlsOrNull() {
        return tlsOrNull;
    }

    /** Bytes of the memtables of every range replica on this node (writes not flushed to segments yet). */
    public long memtableBytes() {
        return maintenance.budget().memtableBytes();
    }

    /** Memtables this node flushed early because its memtables passed their budget, since it started. */
    public long memoryPressureFlushes() {
        return maintenance.budget().pressureFlushes();
    }

    public List<RaftGroupId> hostedGroups() {
        List<RaftGroupId> out = new ArrayList<>();
        server.getGroupIds().forEach(out::add);
        return out;
    }

    /**
     * A reading of every group replica this node hosts (for Prometheus). Cheap: in-memory Ratis state only; a
     * group removed while being read is left out.
     */
    public List<ReplicaMetrics> replicaMetrics() {
        List<ReplicaMetrics> out = new ArrayList<>();
        for (RaftServer.Division d : HostedGroups.divisions(server)) {
            RaftGroupId group = d.getMemberId().getGroupId();
            long leaderChanges = 0;
            long snapshotInstalls = 0;
            long memtableBytes = 0;
            long pressureFlushes = 0;
            long splitsApplied = 0;
            long mergesApplied = 0;
            Optional<GroupLogArchiver> archiver = Optional.empty();
            if (d.getStateMachine() instanceof RangeStateMachine sm) {
                leaderChanges = sm.leaderChanges();
                snapshotInstalls = sm.snapshotInstalls();
                memtableBytes = sm.memtableBytes();
                pressureFlushes = sm.memoryPressureFlushes();
                splitsApplied = sm.splitsApplied();
                mergesApplied = sm.mergesApplied();
                archiver = sm.archiver();
            }
            out.add(new ReplicaMetrics(group.getUuid(), nodeId(), d.getInfo().getCurrentRole().name(),
                    d.getInfo().getCurrentTerm(), d.getRaftLog().getLastCommittedIndex(),
                    d.getInfo().getLastAppliedIndex(), leaderChanges, snapshotInstalls, memtableBytes, pressureFlushes,
                    CountingRatisMetrics.logCacheBytes(d.getMemberId(), segmentBytesMax(config)), splitsApplied,
                    mergesApplied, archiver.map(a -> new ReplicaMetrics.Archive(a.archivedIndex(), a.failures(),
                    a.gaps()))));
        }
        return out;
    }

    /** The placement driver's last reading while this node leads the meta group (it runs the driver), else empty. */
    public Optional<PlacementMetrics> placementMetrics() {
        return placement.metrics();
    }

    public Map<RaftGroupId, NodeMetadataStore.GroupRecord> groupRecords() throws IOException {
        return metadata.groups();
    }

    @Override
    public void close() throws IOException {
        rejoin.close();
        seeder.close();
        registration.close();
        placement.close();
        autoSplitter.close();
        autoMerger.close();
        splitFollowUp.close();
        if (archiving != null) {
            archiving.close();
        }
        localDivisions.close();
        try {
            client.close();
            server.close();
        } finally {
            maintenance.close(); // after the server closed every engine
            metadata.close();
            LOG.info("Node {} stopped", nodeId());
        }
    }
}
