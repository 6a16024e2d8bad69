package io.omendb.backup;

import io.omendb.config.OmenConfig;
import io.omendb.raft.EngineSettings;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.FileOps;
import org.apache.ratis.protocol.RaftPeer;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.time.Instant;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * Rebuilds the data directories of a stopped cluster from a backup, so that on start every range serves exactly
 * the backed-up contents.
 *
 * <p><b>How.</b> For every node of the target cluster and every range the cluster's layout places on it, the
 * range's Raft group directory ({@link GroupDir}) is written as Ratis would have left it after installing a snapshot:
 * Ratis' metadata ({@link GroupDir#writeRecoveredRaftState}: term of the checkpoint, no vote, the group's
 * configuration = the target cluster's peers for that range) and {@link GroupDir#snapshotDir} = the backed-up engine
 * checkpoint with its checksummed descriptor, less its merge fence (the restored meta group's log, which orders
 * merges, starts anew: a fence of the old history would refuse the new one's merges; no chunk of the old history
 * reaches the stopped cluster). On start, Ratis recovers the group from that snapshot (its log starts after the
 * checkpoint's index), the state machine rebuilds the live engine from the snapshot. Which ranges, on which peers,
 * and where the range table comes from is {@link RestoreLayout}'s: for a backup whose ranges are those of the
 * configuration's initial split points, the meta group is created and seeded from the configuration as on a fresh
 * cluster; for a backup of a split cluster, the layout is the backup's and restore writes the meta group too, on every
 * meta peer ({@link MetaGroupImage}), holding the backed-up table. So the restored cluster may have a new membership
 * (other hosts, ports, node ids, even another node count), but the same database name and initial split points,
 * because the initial ranges' group ids derive from them.
 *
 * <p><b>Point in time.</b> With {@link Until}, each range is first replayed from the archived Raft log up to the
 * requested time ({@link PointInTimeRestore}) in a scratch directory, and the replayed state is installed instead of
 * the backup's checkpoint, at the last replayed entry's term and index. Any replay error stops before any data dir
 * is written.
 *
 * <p><b>Safety.</b> The whole backup is verified (checksums, chain, trial open) before anything is written. A data
 * dir that a running node on this machine uses is refused ({@link NodeDirLock}, held until the restore ends, so the
 * node cannot start meanwhile); one that exists and is not empty is refused unless {@code force}. Each node's
 * directory is built in {@code <data_dir>.restoring} and renamed into place at the end, so a failure leaves no
 * half-restored data dir.
 */
final class ClusterRestorer {
    static final String RESTORING_SUFFIX = ".restoring";
    /** Scratch directory (a point-in-time restore's replay, the meta group's image), next to the first node's data dir. */
    static final String REPLAY_SUFFIX = ".pitr-replay";
    /** The meta group's scratch engine of a split cluster's restore, under the scratch directory. */
    private static final String META_IMAGE_DIR = "meta-group";

    private final BackupRepository repo;
    private final BackupVerifier verifier;
    private final BackupTaker.Progress progress;

    ClusterRestorer(BackupRepository repo, BackupTaker.Progress progress) {
        this.repo = repo;
        this.verifier = new BackupVerifier(repo);
        this.progress = progress;
    }

    /** A point-in-time restore: replay the archived log up to {@code time} on top of the backup. */
    record Until(PointInTimeRestore pitr, Instant time) {
    }

    /**
     * Restores {@code m} as taken ({@code until == null}) or replayed up to a time.
     *
     * @param ifRunning what the operator must do when a node is found running on one of the data dirs
     */
    void restore(BackupManifest m, List<OmenConfig> nodes, boolean force, Until until, String ifRunning)
            throws BackupException {
        RestoreLayout layout = checkTarget(m, nodes);
        for (OmenConfig c : nodes) {
            checkFreshArchive(c, layout.ranges());
        }
        List<String> problems = verifier.verify(m);
        if (!problems.isEmpty()) {
            throw BackupException.failed("backup " + m.backupId() + " does not verify; nothing was restored:\n  "
                    + String.join("\n  ", problems));
        }
        List<NodeDirLock> locks = new ArrayList<>();
        try {
            for (OmenConfig c : nodes) {
                locks.add(NodeDirLock.acquireIfAny(NodeDataLayout.of(c.database().dataDir()), ifRunning));
                checkDataDir(c.database().dataDir(), force);
            }
            restoreStopped(m, layout, nodes, until);
        } finally {
            locks.forEach(NodeDirLock::close);
        }
    }

    private void restoreStopped(BackupManifest m, RestoreLayout layout, List<OmenConfig> nodes, Until until)
            throws BackupException {
        Path first = nodes.get(0).database().dataDir().toAbsolutePath().normalize();
        Path staging = first.resolveSibling(first.getFileName() + REPLAY_SUFFIX);
        EngineOptions options = EngineSettings.from(nodes.get(0));
        try {
            Path scratch = cleanDir(staging);
            Map<Long, PointInTimeRestore.Replayed> points = until == null ? asTaken(m)
                    : until.pitr().replay(m, until.time(), scratch, options);
            RestoreLayout table = layout.withRecordedEpochs(points);
            try (MetaGroupImage meta = table.fromBackup()
                    ? MetaGroupImage.build(table.ranges(), scratch.resolve(META_IMAGE_DIR), options) : null) {
                writeNodes(m, table.ranges(), meta, nodes, points);
            } catch (IOException e) {
                throw BackupException.failed("the meta group's range table could not be built: " + e.getMessage());
            }
        } finally {
            try {
                FileOps.deleteRecursively(staging);
            } catch (IOException e) {
                progress.line("warning: cannot remove " + staging + ": " + e.getMessage());
            }
        }
    }

    private static Path cleanDir(Path dir) throws BackupException {
        try {
            FileOps.deleteRecursively(dir);
            return Files.createDirectories(dir);
        } catch (IOException e) {
            throw BackupException.failed("cannot create " + dir + ": " + e.getMessage());
        }
    }

    /** Each range's checkpoint as backed up. */
    private Map<Long, PointInTimeRestore.Replayed> asTaken(BackupManifest m) {
        Map<Long, PointInTimeRestore.Replayed> out = new LinkedHashMap<>();
        for (BackupManifest.RangeEntry r : m.ranges()) {
            Map<String, Path> files = new LinkedHashMap<>();
            r.files().forEach(f -> files.put(f.name(), repo.fileOf(r.rangeId(), f)));
            out.put(r.rangeId(), new PointInTimeRestore.Replayed(r.term(), r.index(), files));
        }
        return out;
    }

    private void writeNodes(BackupManifest m, List<RangeDescriptor> layout, MetaGroupImage metaOrNull,
                            List<OmenConfig> nodes, Map<Long, PointInTimeRestore.Replayed> points)
            throws BackupException {
        long started = System.nanoTime();
        long bytes = 0;
        for (OmenConfig c : nodes) {
            bytes += restoreNode(m, layout, metaOrNull, c, points);
        }
        double secs = (System.nanoTime() - started) / 1e9;
        progress.line(String.format("restored backup %s (%d ranges) onto %d nodes: %d bytes written in %.2f s "
                + "(%.1f MB/s); start the nodes to serve it", m.backupId(), m.ranges().size(), nodes.size(), bytes,
                secs, bytes / 1e6 / secs));
    }

    /** The target cluster must be one cluster of the backed-up database that can hold the backed-up ranges. */
    private static RestoreLayout checkTarget(BackupManifest m, List<OmenConfig> nodes) throws BackupException {
        if (nodes.isEmpty()) {
            throw BackupException.usage("restore needs the configuration of every node of the target cluster "
                    + "(--config FILE, once per node), or --data-dir DIR of an `omendb local` data dir");
        }
        OmenConfig first = nodes.get(0);
        for (OmenConfig c : nodes) {
            if (!c.database().name().equals(m.database())) {
                throw BackupException.usage("backup " + m.backupId() + " is of database '" + m.database()
                        + "' but " + c.cluster().nodeId() + "'s config names database '" + c.database().name() + "'");
            }
            if (!c.cluster().members().equals(first.cluster().members())
                    || c.cluster().replicationFactor() != first.cluster().replicationFactor()
                    || !sameSplits(c.cluster().initialSplitPoints(), first.cluster().initialSplitPoints())) {
                throw BackupException.usage("the node configs disagree on [cluster] (members, replication_factor, "
                        + "initial_split_points): " + first.cluster().nodeId() + " vs " + c.cluster().nodeId());
            }
        }
        List<String> given = nodes.stream().map(c -> c.cluster().nodeId()).sorted().toList();
        List<String> members = first.cluster().members().stream().map(OmenConfig.Member::id).sorted().toList();
        if (!given.equals(members)) {
            throw BackupException.usage("give the config of every member exactly once: members are " + members
                    + ", configs given for " + given);
        }
        return RestoreLayout.of(m, first.cluster());
    }

    private static boolean sameSplits(List<byte[]> a, List<byte[]> b) {
        if (a.size() != b.size()) {
            return false;
        }
        for (int i = 0; i < a.size(); i++) {
            if (!java.util.Arrays.equals(a.get(i), b.get(i))) {
                return false;
            }
        }
        return true;
    }

    /**
     * A restored cluster starts a new history after the restore point, with the same group ids: archiving it into
     * the archive of the history it replaces would put two different entries under one index. Refused.
     */
    private static void checkFreshArchive(OmenConfig c, List<RangeDescriptor> layout) throws BackupException {
        if (!c.backup().archiving()) {
            return;
        }
        Path archive = c.backup().logArchivePath(c.database().dataDir());
        for (RangeDescriptor d : layout) {
            Path group = NodeDataLayout.archiveGroupDir(archive, d.groupId());
            if (Files.isDirectory(group)) {
                throw BackupException.usage(c.cluster().nodeId() + "'s [backup] log_archive_dir " + archive
                        + " already holds the log archive of range " + d.rangeId() + " (" + group + "): the restored "
                        + "cluster would mix its new history into the old one. Point log_archive_dir at a new "
                        + "directory (keep the old archive for restores to earlier times)");
            }
        }
    }

    private static void checkDataDir(Path dir, boolean force) throws BackupException {
        if (!Files.exists(dir) || force) {
            return;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(dir)) {
            if (s.iterator().hasNext()) {
                throw BackupException.usage("data dir " + dir + " is not empty; refusing to overwrite it (stop the "
                        + "node and pass --force to replace its data with the backup)");
            }
        } catch (IOException e) {
            throw BackupException.failed("cannot read data dir " + dir + ": " + e.getMessage());
        }
    }

    private long restoreNode(BackupManifest m, List<RangeDescriptor> layout, MetaGroupImage metaOrNull, OmenConfig c,
                             Map<Long, PointInTimeRestore.Replayed> points) throws BackupException {
        Path dataDir = c.database().dataDir().toAbsolutePath().normalize();
        Path building = dataDir.resolveSibling(dataDir.getFileName() + RESTORING_SUFFIX);
        Map<String, RaftPeer> peers = c.cluster().members().stream().collect(Collectors.toMap(OmenConfig.Member::id,
                p -> RaftPeer.newBuilder().setId(p.id()).setAddress(p.raftAddress()).build()));
        long bytes = 0;
        try {
            FileOps.deleteRecursively(building);
            Files.createDirectories(building);
            for (RangeDescriptor d : layout) {
                if (!d.peerIds().contains(c.cluster().nodeId())) {
                    continue;
                }
                BackupManifest.RangeEntry r = m.ranges().stream().filter(e -> e.rangeId() == d.rangeId()).findFirst()
                        .orElseThrow();
                List<RaftPeer> groupPeers = d.peerIds().stream().map(peers::get).toList();
                bytes += writeGroup(NodeDataLayout.of(building).group(d.groupId()), r, points.get(r.rangeId()),
                        groupPeers);
            }
            List<String> metaPeers = ClusterLayout.metaPeers(c.cluster());
            if (metaOrNull != null && metaPeers.contains(c.cluster().nodeId())) {
                bytes += metaOrNull.writeTo(NodeDataLayout.of(building).group(ClusterLayout.metaGroupId(
                        m.database()).getUuid()), metaPeers.stream().map(peers::get).toList());
            }
            for (Path p : walk(building)) {
                FileOps.fsync(p);
            }
            FileOps.deleteRecursively(dataDir);
            Files.createDirectories(dataDir.getParent());
            Files.move(building, dataDir, StandardCopyOption.ATOMIC_MOVE);
            FileOps.fsync(dataDir.getParent());
            progress.line("node " + c.cluster().nodeId() + ": " + dataDir + " restored");
            return bytes;
        } catch (IOException e) {
            throw BackupException.failed("restoring node " + c.cluster().nodeId() + " into " + dataDir + " failed: "
                    + e.getMessage() + " (its data dir was not touched; " + building + " holds the partial copy)");
        }
    }

    /** One Raft group directory that Ratis recovers as "snapshot at (term, index), empty log after it". */
    private long writeGroup(GroupDir group, BackupManifest.RangeEntry r, PointInTimeRestore.Replayed point,
                            List<RaftPeer> groupPeers) throws IOException {
        if (!group.groupId().equals(UUID.fromString(r.groupId()))) {
            throw new IOException("range " + r.rangeId() + " was backed up from group " + r.groupId()
                    + ", the target layout names " + group.groupId());
        }
        group.writeRecoveredRaftState(point.term(), point.index(), groupPeers);
        Path snap = Files.createDirectories(group.snapshotDir(point.term(), point.index()));
        long bytes = 0;
        for (Map.Entry<String, Path> f : point.files().entrySet()) {
            Files.copy(f.getValue(), snap.resolve(f.getKey()));
            bytes += Files.size(f.getValue());
        }
        SnapshotDescriptor d = SnapshotDescriptor.readFrom(snap);
        if (d.term() != point.term() || d.index() != point.index()) {
            throw new IOException("range " + r.rangeId() + ": the snapshot descriptor says " + d.term() + "_"
                    + d.index() + ", expected " + point.term() + "_" + point.index());
        }
        SnapshotDescriptor.clearMergeFence(snap); // the restored meta group orders merges anew
        return bytes;
    }

    private static List<Path> walk(Path dir) throws IOException {
        try (var s = Files.walk(dir)) {
            return new ArrayList<>(s.toList());
        }
    }
}
