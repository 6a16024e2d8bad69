package io.omendb.backup;

import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeDescriptorCodec;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.FileOps;
import io.omendb.storage.KeyValue;

import java.io.IOException;
import java.io.InputStream;
import java.io.OutputStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.UUID;

/**
 * <b>Stopped</b> nodes' data directories as a backup source ({@code backup --data-dir DIR}): one node's own data dir,
 * or every node of an {@code omendb local} cluster (its node dirs, from {@link NodeConfigSource}). Every range is
 * rebuilt offline from the nodes' own files ({@link OfflineGroup}: engine plus committed Raft log) into a scratch
 * directory, and the backup copies the result like checkpoint files fetched from a cluster.
 *
 * <p><b>Running node refused.</b> The source holds {@link NodeDirLock} (Ratis' own group directory locks) of every
 * node from {@link #checkpoint} to {@link #release}: a running node's data dir is refused (the message ends with
 * {@code ifRunning}, what the operator must do), and the nodes cannot start meanwhile.
 *
 * <p><b>Range table.</b> Read from the meta group, rebuilt the same way, so the backup has the real bounds and group
 * of every range; when no node given holds a meta-group replica, or no node hosts some range, no complete backup
 * can be made: refused. <b>Several nodes</b> may hold a replica of a group; each is rebuilt and the one with the
 * highest committed index is kept (committed prefixes agree, so the highest holds every write the others hold). A
 * stopped follower may be behind its leader, so a one-node backup holds what that node had.
 *
 * <p>Nothing in the data directories is written (but Ratis' {@code in_use.lock} files, created if missing).
 * Single-threaded.
 */
final class DataDirSource implements BackupSource {
    /** Range table entries read from the meta group in one page. */
    private static final int RANGE_PAGE_MAX = 10_000;

    private final Path given;
    private final List<NodeDataLayout> nodes;
    private final String ifRunning;
    private final String database;
    private final Path scratch;
    private final List<NodeDirLock> locks = new ArrayList<>();
    private final Map<Long, Rebuilt> rebuilt = new LinkedHashMap<>();

    /** One replica rebuilt from the node whose data dir is {@code dataDir}. */
    private record Rebuilt(Path dataDir, PointInTimeRestore.Replayed state) {
    }

    /**
     * @param given     the directory the operator named, for messages
     * @param nodeDirs  the data dirs of the stopped nodes ({@code given} itself for one node)
     * @param ifRunning what the operator must do when a node is running
     * @param scratch   an empty directory for the rebuilt ranges (deleted by {@link #release})
     */
    DataDirSource(Path given, List<Path> nodeDirs, String ifRunning, String database, Path scratch) {
        this.given = given.toAbsolutePath().normalize();
        this.nodes = nodeDirs.stream().map(d -> NodeDataLayout.of(d.toAbsolutePath().normalize())).toList();
        this.ifRunning = ifRunning;
        this.database = database;
        this.scratch = scratch;
    }

    @Override
    public String baseUrl() {
        return given.toString();
    }

    @Override
    public Checkpoints checkpoint(String backupId) throws BackupException {
        try {
            return rebuildEveryRange();
        } catch (BackupException | RuntimeException e) {
            release(backupId, Map.of()).forEach(p -> System.err.println("omendb backup: warning: " + p));
            throw e;
        }
    }

    private Checkpoints rebuildEveryRange() throws BackupException {
        for (NodeDataLayout n : nodes) {
            locks.add(NodeDirLock.acquire(n, ifRunning));
        }
        UUID metaGroup = ClusterLayout.metaGroupId(database).getUuid();
        List<GroupDir> metaReplicas = holders(metaGroup).stream().map(n -> n.group(metaGroup)).toList();
        if (metaReplicas.isEmpty()) {
            throw BackupException.usage(given + " holds no replica of database '" + database + "''s meta group "
                    + "(range table): another database, or a node outside the meta group (the first three members); "
                    + "back up one of those, or use --cluster");
        }
        List<RangeDescriptor> table = rangeTable(metaReplicas);
        List<RangeCheckpoint> ranges = new ArrayList<>();
        for (RangeDescriptor d : table) {
            List<NodeDataLayout> holders = holders(d.groupId());
            if (holders.isEmpty()) {
                throw BackupException.usage(given + " holds no replica of range " + d.rangeId() + " (a backup "
                        + "needs every range): back up a node that replicates every range, or use --cluster");
            }
            Rebuilt r = mostAdvanced(holders, d.groupId(), scratch.resolve("range-" + d.rangeId()),
                    "range " + d.rangeId());
            rebuilt.put(d.rangeId(), r);
            HexFormat hex = HexFormat.of();
            ranges.add(new RangeCheckpoint(d.rangeId(), hex.formatHex(d.start()),
                    d.end() == null ? null : hex.formatHex(d.end()), d.groupId().toString(), r.state().index(),
                    r.dataDir().toString(), d.peerIds()));
        }
        return new Checkpoints(database, ranges, Map.of());
    }

    /** The nodes that hold a replica of the group, in node order. */
    private List<NodeDataLayout> holders(UUID groupId) {
        return nodes.stream().filter(n -> Files.isDirectory(n.group(groupId).root())).toList();
    }

    /** The range table of the meta-group replica that is furthest ahead. */
    private List<RangeDescriptor> rangeTable(List<GroupDir> metaReplicas) throws BackupException {
        List<RangeDescriptor> best = null;
        long bestIndex = Long.MIN_VALUE;
        for (int i = 0; i < metaReplicas.size(); i++) {
            GroupDir metaDir = metaReplicas.get(i);
            try (RangeReplay meta = OfflineGroup.rebuild(metaDir, scratch.resolve("meta-" + i),
                    EngineOptions.defaults())) {
                if (meta.last().getIndex() <= bestIndex) {
                    continue;
                }
                List<RangeDescriptor> table = new ArrayList<>();
                for (KeyValue kv : meta.scan(RangeDescriptorCodec.KEY_PREFIX, RangeDescriptorCodec.KEY_PREFIX_END,
                        RANGE_PAGE_MAX)) {
                    table.add(RangeDescriptorCodec.decode(kv.value()));
                }
                best = table;
                bestIndex = meta.last().getIndex();
            } catch (IOException | RuntimeException e) {
                throw BackupException.failed(metaDir.root() + ": cannot read the range table from the meta group: "
                        + e.getMessage());
            }
        }
        if (best.isEmpty()) {
            throw BackupException.failed(given + ": the meta group holds no range table yet");
        }
        return best;
    }

    /** Rebuilds every replica and keeps the one with the highest committed index. */
    private Rebuilt mostAdvanced(List<NodeDataLayout> holders, UUID groupId, Path work, String what)
            throws BackupException {
        Rebuilt best = null;
        for (int i = 0; i < holders.size(); i++) {
            NodeDataLayout n = holders.get(i);
            PointInTimeRestore.Replayed r = rebuild(n.group(groupId), work.resolve(Integer.toString(i)), what);
            if (best == null || r.index() > best.state().index()) {
                best = new Rebuilt(n.dataDir(), r);
            }
        }
        return best;
    }

    private PointInTimeRestore.Replayed rebuild(GroupDir groupDir, Path work, String what) throws BackupException {
        try (RangeReplay r = OfflineGroup.rebuild(groupDir, work.resolve("work"), EngineOptions.defaults())) {
            Path snap = work.resolve("snapshot");
            SnapshotDescriptor d = r.snapshot(snap);
            Map<String, Path> files = new LinkedHashMap<>();
            d.files().forEach(f -> files.put(f.name(), snap.resolve(f.name())));
            files.put(SnapshotDescriptor.FILE_NAME, snap.resolve(SnapshotDescriptor.FILE_NAME));
            return new PointInTimeRestore.Replayed(d.term(), d.index(), files);
        } catch (IOException | RuntimeException e) {
            throw BackupException.failed(what + ": cannot rebuild it from " + groupDir.root() + ": " + e.getMessage());
        }
    }

    @Override
    public RangeFiles files(String backupId, RangeCheckpoint r, Map<String, String> nodeHttp) throws BackupException {
        Rebuilt from = rebuilt.get(r.rangeId());
        PointInTimeRestore.Replayed replayed = from.state();
        List<RemoteFile> files = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> f : replayed.files().entrySet()) {
                files.add(new RemoteFile(f.getKey(), Files.size(f.getValue()), Checksums.sha256Hex(f.getValue())));
            }
            long engineIndex = SnapshotDescriptor.readFrom(replayed.files().get(SnapshotDescriptor.FILE_NAME)
                    .getParent()).engineAppliedIndex();
            return new RangeFiles(baseUrl(), from.dataDir().toString(), replayed.term(), replayed.index(), engineIndex,
                    files);
        } catch (IOException e) {
            throw BackupException.failed("range " + r.rangeId() + ": " + e.getMessage());
        }
    }

    @Override
    public void download(String backupId, long rangeId, RangeFiles from, RemoteFile f, Path target)
            throws BackupException {
        Path source = rebuilt.get(rangeId).state().files().get(f.name());
        try (InputStream in = Files.newInputStream(source);
             OutputStream out = Files.newOutputStream(target, StandardOpenOption.CREATE_NEW)) {
            in.transferTo(out);
        } catch (IOException e) {
            throw BackupException.failed("cannot write " + target + ": " + e.getMessage() + " (is the backup disk "
                    + "full?)");
        }
        try {
            String got = Checksums.sha256Hex(target);
            if (Files.size(target) != f.sizeBytes() || !got.equals(f.sha256())) {
                throw BackupException.failed(f.name() + " of range " + rangeId + " changed while copying");
            }
        } catch (IOException e) {
            throw BackupException.failed("cannot read back " + target + ": " + e.getMessage());
        }
    }

    @Override
    public List<String> release(String backupId, Map<String, String> nodeHttp) {
        List<String> problems = new ArrayList<>();
        try {
            FileOps.deleteRecursively(scratch);
        } catch (IOException e) {
            problems.add("cannot remove scratch dir " + scratch + ": " + e.getMessage());
        }
        locks.forEach(NodeDirLock::close);
        locks.clear();
        return problems;
    }
}
