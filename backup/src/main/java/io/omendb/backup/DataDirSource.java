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

/**
 * A <b>stopped</b> node's data directory as a backup source ({@code backup --data-dir DIR}): every range is
 * rebuilt offline from the node's own files ({@link OfflineGroup}: its engine plus its committed Raft log) into a
 * scratch directory, and the backup copies the result like checkpoint files fetched from a cluster.
 *
 * <p><b>Running node refused.</b> The source holds {@link NodeDirLock} (Ratis' own group directory locks) from
 * {@link #checkpoint} to {@link #release}: a running node's data dir is refused, and the node cannot start meanwhile.
 *
 * <p><b>Range table.</b> Read from the node's replica of the meta group, rebuilt the same way, so the backup has
 * the real bounds and group of every range; a node outside the meta group, or one not hosting every range, cannot
 * make a complete backup and is refused. Each range's checkpoint is its last committed entry on this node; a
 * stopped follower may be behind its leader, so such a backup holds what that node had.
 *
 * <p>Nothing in the data directory is written (but Ratis' {@code in_use.lock} files, created if missing).
 * Single-threaded.
 */
final class DataDirSource implements BackupSource {
    /** Range table entries read from the meta group in one page. */
    private static final int RANGE_PAGE_MAX = 10_000;

    private final Path dataDir;
    private final NodeDataLayout node;
    private final String database;
    private final Path scratch;
    private NodeDirLock lock;
    private final Map<Long, PointInTimeRestore.Replayed> rebuilt = new LinkedHashMap<>();

    /** @param scratch an empty directory for the rebuilt ranges (deleted by {@link #release}) */
    DataDirSource(Path dataDir, String database, Path scratch) {
        this.dataDir = dataDir.toAbsolutePath().normalize();
        this.node = NodeDataLayout.of(this.dataDir);
        this.database = database;
        this.scratch = scratch;
    }

    @Override
    public String baseUrl() {
        return dataDir.toString();
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
        lock = NodeDirLock.acquire(node);
        GroupDir metaDir = node.group(ClusterLayout.metaGroupId(database));
        if (!Files.isDirectory(metaDir.root())) {
            throw BackupException.usage(dataDir + " holds no replica of database '" + database + "''s meta group "
                    + "(range table): another database, or a node outside the meta group (the first three members); "
                    + "back up one of those, or use --cluster");
        }
        List<RangeDescriptor> table = rangeTable(metaDir);
        List<RangeCheckpoint> ranges = new ArrayList<>();
        for (RangeDescriptor d : table) {
            GroupDir groupDir = node.group(d.groupId());
            if (!Files.isDirectory(groupDir.root())) {
                throw BackupException.usage(dataDir + " holds no replica of range " + d.rangeId() + " (a backup "
                        + "needs every range): back up a node that replicates every range, or use --cluster");
            }
            PointInTimeRestore.Replayed r = rebuild(groupDir, scratch.resolve("range-" + d.rangeId()),
                    "range " + d.rangeId());
            rebuilt.put(d.rangeId(), r);
            HexFormat hex = HexFormat.of();
            ranges.add(new RangeCheckpoint(d.rangeId(), hex.formatHex(d.start()),
                    d.end() == null ? null : hex.formatHex(d.end()), d.groupId().toString(), r.index(),
                    dataDir.toString(), d.peerIds()));
        }
        return new Checkpoints(database, ranges, Map.of());
    }

    private List<RangeDescriptor> rangeTable(GroupDir metaDir) throws BackupException {
        Path work = scratch.resolve("meta");
        try (RangeReplay meta = OfflineGroup.rebuild(metaDir, work, EngineOptions.defaults())) {
            List<RangeDescriptor> out = new ArrayList<>();
            for (KeyValue kv : meta.scan(RangeDescriptorCodec.KEY_PREFIX, RangeDescriptorCodec.KEY_PREFIX_END,
                    RANGE_PAGE_MAX)) {
                out.add(RangeDescriptorCodec.decode(kv.value()));
            }
            if (out.isEmpty()) {
                throw BackupException.failed(dataDir + ": the meta group holds no range table yet");
            }
            return out;
        } catch (IOException | RuntimeException e) {
            throw BackupException.failed(dataDir + ": cannot read the range table from the meta group: "
                    + e.getMessage());
        }
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
        PointInTimeRestore.Replayed replayed = rebuilt.get(r.rangeId());
        List<RemoteFile> files = new ArrayList<>();
        try {
            for (Map.Entry<String, Path> f : replayed.files().entrySet()) {
                files.add(new RemoteFile(f.getKey(), Files.size(f.getValue()), Checksums.sha256Hex(f.getValue())));
            }
            long engineIndex = SnapshotDescriptor.readFrom(replayed.files().get(SnapshotDescriptor.FILE_NAME)
                    .getParent()).engineAppliedIndex();
            return new RangeFiles(baseUrl(), dataDir.toString(), replayed.term(), replayed.index(), engineIndex,
                    files);
        } catch (IOException e) {
            throw BackupException.failed("range " + r.rangeId() + ": " + e.getMessage());
        }
    }

    @Override
    public void download(String backupId, long rangeId, RangeFiles from, RemoteFile f, Path target)
            throws BackupException {
        Path source = rebuilt.get(rangeId).files().get(f.name());
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
        if (lock != null) {
            lock.close();
        }
        return problems;
    }
}
