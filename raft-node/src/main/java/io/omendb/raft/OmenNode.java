package io.omendb.raft;

import io.omendb.raft.archive.ArchiveSettings;
import io.omendb.raft.archive.GroupLogArchiver;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.command.ForwardedWrites;
import io.omendb.raft.client.DaemonThreads;
import io.omendb.config.ConfigLoader;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.NodeMetadataStore;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.security.RaftTls;
import io.omendb.raft.statemachine.RangeStateMachine;
import io.omendb.storage.MaintenancePool;
import org.apache.ratis.protocol.ClientId;
import org.apache.ratis.protocol.GroupManagementRequest;
import org.apache.ratis.protocol.RaftClientReply;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.server.RaftServer;
import io.omendb.raft.client.LocalRaftServer;
import org.apache.ratis.server.storage.RaftStorage;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Clock;
import java.util.ArrayList;
import java.util.HashSet;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.Set;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.Executors;
import java.util.concurrent.ScheduledExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.concurrent.atomic.AtomicReference;
import java.util.stream.Collectors;

/**
 * One OmenDB node process: a single Ratis {@link RaftServer} hosting the meta group (if this node is one of its
 * peers) and one group per key range it replicates, each with its own {@link RangeStateMachine} and engine.
 *
 * <p><b>Start.</b> The server is always started with {@code RECOVER}: it re-opens every group found in its Raft
 * storage (a restart, even after kill -9, replays each group's log after its engine's durable index). Then the
 * node <i>bootstraps</i> idempotently: every group the initial layout ({@link ClusterLayout}) places on this node
 * and that it does not host yet is created through group management, and a meta peer writes the initial range
 * descriptors by compare-and-set (a no-op when they exist). So a fresh node, a wiped node and a node that crashed
 * half-way through bootstrap all converge to the same state. The data directory's owner is recorded in the node
 * metadata store; starting a different node id or database on it is refused.
 *
 * <p><b>Wiped node (Raft amnesia).</b> A node that lost its data directory and restarts with the same id has
 * forgotten its votes and the entries it acknowledged, while the leaders still count on them (their match index
 * for it stays at the old end of the log, so Ratis keeps sending entries it cannot accept and never rewinds: the
 * replica would never catch up). Rejoining as a voter would also be unsafe: it could vote twice in a term, and a
 * committed entry it acknowledged could be lost with one more failure. So, for each missing group that another
 * member reports this node took part in, a background thread has it re-admitted as a new member: the leader first
 * removes it from the configuration (nothing is sent to it any more), then the node creates the group with an
 * empty configuration (no votes, no campaigns, no acknowledgements), then the leader adds it back and Ratis
 * catches it up (log or snapshot) before it counts. Creating the group before the removal would not do: the
 * leader would install a snapshot whose configuration includes the node, which would then campaign once removed
 * and be told to shut the group down (the CLOSING/CLOSED replicas the chaos suite saw).
 *
 * <p><b>Layout of {@code data_dir}.</b> {@code raft/<group uuid>/} (Ratis log, {@code sm/} snapshots, {@code engine/}
 * the live engine), {@code node-meta/} (RocksDB), {@code raft-removed/} (groups removed from this node),
 * {@code native/} (RocksDB's JNI library, see {@code RocksDbNativeLibrary}).
 *
 * <p><b>Log archiving</b> ({@code backup.log_archive_dir} set): one timer thread runs an archiving pass over every
 * hosted replica each {@code backup.log_archive_interval_ms}, and {@link #close()} runs a last one, so a cleanly
 * stopped node leaves every entry it applied in the archive (see {@link GroupLogArchiver}).
 *
 * <p><b>Threading.</b> Ratis owns all threads except the seeding thread, which retries with a deadline, one
 * re-admission thread per lost group, which retries until done, and the archiving timer; {@link #close()} stops them.
 */
public final class OmenNode implements AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(OmenNode.class);
    /** How long a meta peer keeps trying to write the initial range table. */
    static final long SEED_DEADLINE_MS = 300_000;
    /** Threads flushing and compacting the engines of every range replica of this node. */
    static final int MAINTENANCE_THREAD_COUNT = Math.max(2, Runtime.getRuntime().availableProcessors());
    static final long SEED_RETRY_SLEEP_MS = 500;
    /** How long bootstrap waits for each other member's answer on whether this node was a member of a group. */
    static final long MEMBERSHIP_PROBE_TIMEOUT_MS = 5_000;
    static final long READMIT_RETRY_SLEEP_MS = 1_000;
    /** How long close waits for a running log archiving pass before its final pass. */
    static final long ARCHIVER_STOP_WAIT_MS = 30_000;

    private final OmenConfig config;
    private final NodeMetadataStore metadata;
    private final RaftServer server;
    private final MaintenancePool maintenance;
    private final LocalDivisions localDivisions;
    private final Thread seeder;
    /** Groups this node lost its storage of, with their current members (filled by bootstrap). */
    private final List<RaftGroup> toReadmit = new ArrayList<>();
    /** One thread per group in {@link #toReadmit}, started after bootstrap. */
    private final List<Thread> readmitters = new ArrayList<>();
    /** The node's own client of the cluster: membership probes and re-admission. */
    private final ClusterClient client;
    /** The node's TLS material (Raft server and clients, and the router in this process), or null without TLS. */
    private final RaftTls tlsOrNull;
    private final AtomicLong callIds = new AtomicLong();
    /** Runs {@link #archiveEveryReplica} when {@code backup.log_archive_dir} is set; null otherwise. */
    private ScheduledExecutorService archiving;

    /**
     * @param forwards where the replicas' state machines send forwarded writes: set here to {@link #localDivisions},
     *                 which hands them to the router in this process once it registered
     */
    private OmenNode(OmenConfig config, NodeMetadataStore metadata, RaftServer server, MaintenancePool maintenance,
                     AtomicReference<ForwardedWrites> forwards, RaftTls tlsOrNull) {
        this.tlsOrNull = tlsOrNull;
        this.maintenance = maintenance;
        this.config = config;
        this.metadata = metadata;
        this.server = server;
        this.localDivisions = new LocalDivisions(server);
        forwards.set(localDivisions::proposeForwarded);
        this.client = ClusterClient.connect(ClientOptions.from(config, tlsOrNull));
        this.seeder = new Thread(this::seedRangeTable, "omendb-seed-" + config.cluster().nodeId());
        this.seeder.setDaemon(true);
    }

    public static OmenNode start(OmenConfig config, Clock clock) throws IOException {
        ConfigLoader.validate(config);
        RaftTls tls = RaftTls.fromOrNull(config);
        Path dataDir = config.database().dataDir();
        Files.createDirectories(dataDir);
        NodeMetadataStore metadata = NodeMetadataStore.open(dataDir.resolve("node-meta"));
        MaintenancePool maintenance = MaintenancePool.create(MAINTENANCE_THREAD_COUNT,
                "omendb-maintenance-" + config.cluster().nodeId());
        try {
            checkOwner(config, metadata, clock);
            AtomicReference<ForwardedWrites> forwards = new AtomicReference<>(ForwardedWrites.NONE);
            OmenNode node = new OmenNode(config, metadata, buildServer(config, tls, metadata, maintenance, clock,
                    (group, entry) -> forwards.get().propose(group, entry)), maintenance, forwards, tls);
            try {
                node.server.start();
                node.bootstrapGroups(node.client);
            } catch (IOException | RuntimeException e) {
                node.client.close();
                node.server.close();
                throw e;
            }
            node.startReadmissions();
            node.startLogArchiving();
            if (ClusterLayout.metaPeers(config.cluster()).contains(config.cluster().nodeId())) {
                node.seeder.start();
            }
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

    private static void checkOwner(OmenConfig config, NodeMetadataStore metadata, Clock clock) throws IOException {
        String nodeId = config.cluster().nodeId();
        String db = config.database().name();
        var identity = metadata.identity();
        if (identity.isEmpty()) {
            metadata.saveIdentity(new NodeMetadataStore.NodeIdentity(nodeId, db, clock.millis()));
        } else if (!identity.get().nodeId().equals(nodeId) || !identity.get().database().equals(db)) {
            throw new IllegalStateException("data_dir " + config.database().dataDir() + " belongs to node '"
                    + identity.get().nodeId() + "' of database '" + identity.get().database() + "', not node '" + nodeId
                    + "' of '" + db + "'");
        }
    }

    private static RaftServer buildServer(OmenConfig config, RaftTls tlsOrNull, NodeMetadataStore metadata,
                                          MaintenancePool maintenance, Clock clock, ForwardedWrites forwards)
            throws IOException {
        OmenConfig.Member self = config.cluster().self();
        int colon = self.raftAddress().lastIndexOf(':');
        String host = self.raftAddress().substring(0, colon);
        int port = Integer.parseInt(self.raftAddress().substring(colon + 1));
        Path dataDir = config.database().dataDir();
        return RaftServer.newBuilder()
                .setServerId(RaftPeerId.valueOf(self.id()))
                .setProperties(RatisSettings.server(config, dataDir.resolve("raft"), dataDir.resolve("raft-removed"),
                        host, port))
                .setParameters(RaftTls.parameters(tlsOrNull))
                .setStateMachineRegistry(group -> new RangeStateMachine(EngineSettings.from(config), metadata,
                        maintenance, clock, archiveSettings(config), forwards))
                .setOption(RaftStorage.StartupOption.RECOVER)
                .build();
    }

    private static Optional<ArchiveSettings> archiveSettings(OmenConfig config) {
        OmenConfig.Backup b = config.backup();
        return b.archiving() ? Optional.of(new ArchiveSettings(b.logArchivePath(config.database().dataDir()),
                config.performance().raftWriteBufferKb() * 1024)) : Optional.empty();
    }

    /**
     * Every {@code backup.log_archive_interval_ms}, archives each hosted replica's newly committed log entries
     * (one pass per replica, one thread per node; a slow archive disk delays only archiving, never writes).
     */
    private void startLogArchiving() {
        if (!config.backup().archiving()) {
            return;
        }
        long every = config.backup().logArchiveIntervalMs();
        archiving = Executors.newSingleThreadScheduledExecutor(DaemonThreads.named("omendb-log-archiver-" + nodeId()));
        archiving.scheduleWithFixedDelay(this::archiveEveryReplica, every, every, TimeUnit.MILLISECONDS);
    }

    private void archiveEveryReplica() {
        for (RaftGroupId group : server.getGroupIds()) {
            try {
                if (server.getDivision(group).getStateMachine() instanceof RangeStateMachine sm) {
                    sm.archiveLog();
                }
            } catch (IOException removedMeanwhile) {
                // the group left this node between listing and archiving
            }
        }
    }

    /**
     * Creates every group of the initial layout placed on this node that it does not host yet, as a voting member;
     * except a group another member reports this node took part in: this node lost its storage of it (wiped data
     * directory), and it is left to {@link #readmit}.
     */
    private void bootstrapGroups(ClusterClient client) throws IOException {
        Set<RaftGroupId> hosted = new HashSet<>();
        server.getGroupIds().forEach(hosted::add);
        for (RaftGroup group : initialGroupsOfThisNode()) {
            if (hosted.contains(group.getGroupId())) {
                continue;
            }
            Optional<RaftGroup> current = readmissionNeeded(client, group);
            if (current.isPresent()) {
                LOG.warn("Node {} lost its storage of group {} it was a member of; re-admitting it as a new member",
                        nodeId(), current.get());
                toReadmit.add(current.get());
            } else {
                addGroup(group);
                LOG.info("Node {} created group {}", nodeId(), group);
            }
        }
    }

    private Optional<RaftGroup> readmissionNeeded(ClusterClient client, RaftGroup group) throws IOException {
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
        OmenConfig.Member m = config.cluster().self();
        return RaftPeer.newBuilder().setId(m.id()).setAddress(m.raftAddress()).build();
    }

    private void addGroup(RaftGroup group) throws IOException {
        RaftClientReply reply = server.groupManagement(GroupManagementRequest.newAdd(ClientId.randomId(),
                server.getId(), callIds.incrementAndGet(), group, true));
        if (!reply.isSuccess()) {
            throw new IOException("cannot create group " + group.getGroupId() + ": " + reply.getException());
        }
    }

    /**
     * Re-admits this node to every group it lost its storage of, each in three steps retried until done (or
     * closed): the group's leader removes the node from the configuration, so its lost votes and acknowledgements
     * stop counting and nothing is sent to it; the node creates the group with an empty configuration (it neither
     * votes nor campaigns); the leader adds it back, catching it up by log or snapshot before it counts. The groups
     * are handled concurrently (one thread each), so that one slow group does not hold up the others.
     */
    private void startReadmissions() {
        for (RaftGroup group : toReadmit) {
            Thread t = new Thread(() -> readmitUntilDone(group), "omendb-readmit-" + nodeId() + "-"
                    + group.getGroupId().getUuid());
            t.setDaemon(true);
            readmitters.add(t);
            t.start();
        }
    }

    private void readmitUntilDone(RaftGroup group) {
        RaftPeer self = self();
        while (!Thread.currentThread().isInterrupted()) {
            try {
                client.admin().removeMember(group, self).get();
                if (!hostedGroups().contains(group.getGroupId())) {
                    addGroup(RaftGroup.valueOf(group.getGroupId()));
                }
                client.admin().addMember(group, self).get();
                LOG.info("Node {} re-admitted to group {}", nodeId(), group.getGroupId());
                return;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return;
            } catch (ExecutionException | IOException | RuntimeException e) {
                LOG.warn("Node {}: re-admission to group {} failed, retrying: {}", nodeId(), group.getGroupId(),
                        String.valueOf(e.getCause() == null ? e : e.getCause()));
                try {
                    Thread.sleep(READMIT_RETRY_SLEEP_MS);
                } catch (InterruptedException ie) {
                    Thread.currentThread().interrupt();
                    return;
                }
            }
        }
    }

    private List<RaftGroup> initialGroupsOfThisNode() {
        OmenConfig.Cluster cluster = config.cluster();
        Map<String, RaftPeer> peers = cluster.members().stream().collect(Collectors.toMap(OmenConfig.Member::id,
                m -> RaftPeer.newBuilder().setId(m.id()).setAddress(m.raftAddress()).build()));
        List<RaftGroup> out = new ArrayList<>();
        List<String> metaPeers = ClusterLayout.metaPeers(cluster);
        if (metaPeers.contains(cluster.nodeId())) {
            out.add(RaftGroup.valueOf(ClusterLayout.metaGroupId(config.database().name()),
                    metaPeers.stream().map(peers::get).toList()));
        }
        for (RangeDescriptor r : ClusterLayout.initialRanges(config.database().name(), cluster)) {
            if (r.peerIds().contains(cluster.nodeId())) {
                out.add(RaftGroup.valueOf(RaftGroupId.valueOf(r.groupId()), r.peerIds().stream().map(peers::get)
                        .toList()));
            }
        }
        return out;
    }

    /** Writes the initial range descriptors into the meta group (compare-and-set: absent ones only). */
    private void seedRangeTable() {
        List<RangeDescriptor> ranges = ClusterLayout.initialRanges(config.database().name(), config.cluster());
        long deadline = System.nanoTime() + SEED_DEADLINE_MS * 1_000_000;
        try (ClusterClient client = ClusterClient.connect(ClientOptions.from(config))) {
            for (RangeDescriptor r : ranges) {
                while (!Thread.currentThread().isInterrupted()) {
                    try {
                        client.admin().createRangeIfAbsent(r).get();
                        break;
                    } catch (ExecutionException | RuntimeException e) {
                        if (System.nanoTime() > deadline) {
                            LOG.error("Node {} could not write the initial range table within {} ms", nodeId(),
                                    SEED_DEADLINE_MS, e);
                            return;
                        }
                        Thread.sleep(SEED_RETRY_SLEEP_MS);
                    }
                }
            }
            LOG.info("Node {}: initial range table present ({} ranges)", nodeId(), ranges.size());
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    public String nodeId() {
        return config.cluster().nodeId();
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
        for (RaftGroupId group : server.getGroupIds()) {
            RaftServer.Division d;
            try {
                d = server.getDivision(group);
            } catch (IOException removedMeanwhile) {
                continue;
            }
            long leaderChanges = 0;
            long snapshotInstalls = 0;
            Optional<GroupLogArchiver> archiver = Optional.empty();
            if (d.getStateMachine() instanceof RangeStateMachine sm) {
                leaderChanges = sm.leaderChanges();
                snapshotInstalls = sm.snapshotInstalls();
                archiver = sm.archiver();
            }
            out.add(new ReplicaMetrics(group.getUuid(), nodeId(), d.getInfo().getCurrentRole().name(),
                    d.getInfo().getCurrentTerm(), d.getRaftLog().getLastCommittedIndex(),
                    d.getInfo().getLastAppliedIndex(), leaderChanges, snapshotInstalls,
                    archiver.map(a -> new ReplicaMetrics.Archive(a.archivedIndex(), a.failures(), a.gaps()))));
        }
        return out;
    }

    public Map<RaftGroupId, NodeMetadataStore.GroupRecord> groupRecords() throws IOException {
        return metadata.groups();
    }

    /** Stops the timer, then archives once more so a clean stop leaves everything committed in the archive. */
    private void stopLogArchiving() {
        if (archiving == null) {
            return;
        }
        archiving.shutdown();
        try {
            if (archiving.awaitTermination(ARCHIVER_STOP_WAIT_MS, TimeUnit.MILLISECONDS)) {
                archiveEveryReplica();
            } else {
                LOG.warn("Node {}: log archiving pass still running after {} ms; stopping without a final pass",
                        nodeId(), ARCHIVER_STOP_WAIT_MS);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
    }

    @Override
    public void close() throws IOException {
        seeder.interrupt();
        readmitters.forEach(Thread::interrupt);
        try {
            seeder.join(SEED_RETRY_SLEEP_MS * 10);
            for (Thread t : readmitters) {
                t.join(READMIT_RETRY_SLEEP_MS * 10);
            }
        } catch (InterruptedException e) {
            Thread.currentThread().interrupt();
        }
        stopLogArchiving();
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
