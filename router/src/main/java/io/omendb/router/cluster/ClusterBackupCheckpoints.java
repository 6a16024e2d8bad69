package io.omendb.router.cluster;

import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.Results;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.storage.BackupCheckpoints;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.router.backend.BackupCheckpointStore;

import java.io.IOException;
import java.io.InputStream;
import java.io.UncheckedIOException;
import java.nio.ByteBuffer;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.security.MessageDigest;
import java.security.NoSuchAlgorithmException;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;

/**
 * {@link BackupCheckpointStore} over the cluster client and the data dirs of the nodes running in this process
 * (one in {@code node} mode, all of them in {@code local} mode, none for a router-only process).
 *
 * <p>Checkpoints are taken by {@code ClusterAdmin#checkpointForBackup} on every range in parallel; the range's
 * leader is then looked up so the backup tool can fetch from it first. Files are served only if the checkpoint's
 * descriptor verifies and lists them, so a request can never read outside a checkpoint directory. File hashing and
 * reads run on {@link #IO_THREADS} threads of our own, never on the HTTP event loops. Thread-safe.
 */
public final class ClusterBackupCheckpoints implements BackupCheckpointStore, AutoCloseable {
    static final int IO_THREADS = 2;
    private static final int HASH_BUFFER_BYTES = 1 << 20;

    private final ClusterClient client;
    private final String database;
    private final List<Path> localDataDirs;
    private final ExecutorService io = Executors.newFixedThreadPool(IO_THREADS, r -> {
        Thread t = new Thread(r, "omendb-backup-io");
        t.setDaemon(true);
        return t;
    });

    /** The nodes' HTTP addresses are the client's members' ({@link ClusterClient#members()}), joined ones included. */
    public ClusterBackupCheckpoints(ClusterClient client, String database, List<Path> localDataDirs) {
        this.client = client;
        this.database = database;
        this.localDataDirs = List.copyOf(localDataDirs);
    }

    /** Each member's HTTP address as the client knows it after its last range-table refresh. */
    private Map<String, String> nodeHttp() {
        Map<String, String> out = new LinkedHashMap<>();
        client.members().forEach(m -> out.put(m.id(), m.httpAddress()));
        return out;
    }

    @Override
    public CompletableFuture<Checkpoints> checkpointAll(String backupId) {
        return client.refreshRangeTable().thenCompose(table -> {
            List<CompletableFuture<RangeCheckpoint>> all = new ArrayList<>();
            for (RangeDescriptor r : table.ranges()) {
                all.add(client.admin().checkpointForBackup(r.rangeId(), backupId).thenCompose(w ->
                        client.admin().rangeStatus(r.rangeId()).thenApply(Results.RangeStatus::leaderId)
                                .exceptionally(t -> null)
                                .thenApply(leader -> new RangeCheckpoint(r.rangeId(), r.start(), r.end(),
                                        r.groupId().toString(), w.revision(), leader, r.peerIds()))));
            }
            return CompletableFuture.allOf(all.toArray(CompletableFuture[]::new)).thenApply(v -> new Checkpoints(
                    database, all.stream().map(CompletableFuture::join).toList(), Map.copyOf(nodeHttp())));
        }).handle((cps, t) -> {
            if (t != null) {
                throw new java.util.concurrent.CompletionException(ClientFailures.translate(t));
            }
            return cps;
        });
    }

    @Override
    public CompletableFuture<Optional<LocalCheckpoint>> localCheckpoint(String backupId, long rangeId) {
        return CompletableFuture.supplyAsync(() -> find(backupId, rangeId).map(found -> {
            List<CheckpointFile> files = new ArrayList<>();
            for (SnapshotDescriptor.EngineFile f : found.descriptor().files()) {
                files.add(new CheckpointFile(f.name(), f.sizeBytes(), sha256(found.dir().resolve(f.name()))));
            }
            Path descriptor = found.dir().resolve(SnapshotDescriptor.FILE_NAME);
            files.add(new CheckpointFile(SnapshotDescriptor.FILE_NAME, size(descriptor), sha256(descriptor)));
            SnapshotDescriptor d = found.descriptor();
            return new LocalCheckpoint(found.dir().toString(), d.term(), d.index(), d.engineAppliedIndex(), files);
        }), io);
    }

    @Override
    public CompletableFuture<Optional<byte[]>> readChunk(String backupId, long rangeId, String fileName, long offset,
                                                         int lengthMax) {
        return CompletableFuture.supplyAsync(() -> find(backupId, rangeId).flatMap(found -> {
            boolean listed = fileName.equals(SnapshotDescriptor.FILE_NAME)
                    || found.descriptor().files().stream().anyMatch(f -> f.name().equals(fileName));
            return listed ? Optional.of(read(found.dir().resolve(fileName), offset,
                    Math.min(lengthMax, CHUNK_BYTES_MAX))) : Optional.empty();
        }), io);
    }

    @Override
    public CompletableFuture<Integer> release(String backupId) {
        return CompletableFuture.supplyAsync(() -> {
            int n = 0;
            for (Path d : localDataDirs) {
                try {
                    n += BackupCheckpoints.release(NodeDataLayout.of(d), backupId);
                } catch (IOException e) {
                    throw new UncheckedIOException(e);
                }
            }
            return n;
        }, io);
    }

    private record Found(Path dir, SnapshotDescriptor descriptor) {
    }

    private Optional<Found> find(String backupId, long rangeId) {
        RangeTable table = client.rangeTable();
        Optional<RangeDescriptor> range = table.byId(rangeId);
        if (range.isEmpty()) {
            return Optional.empty();
        }
        for (Path d : localDataDirs) {
            Path dir = BackupCheckpoints.dir(NodeDataLayout.of(d).group(range.get().groupId()), backupId);
            if (Files.isDirectory(dir)) {
                try {
                    return Optional.of(new Found(dir, SnapshotDescriptor.readFrom(dir)));
                } catch (IOException e) {
                    // incomplete or damaged on this node: another local node or another node may have it
                }
            }
        }
        return Optional.empty();
    }

    private static byte[] read(Path file, long offset, int lengthMax) {
        try (FileChannel ch = FileChannel.open(file, StandardOpenOption.READ)) {
            long size = ch.size();
            int n = (int) Math.max(0, Math.min(lengthMax, size - offset));
            ByteBuffer buf = ByteBuffer.allocate(n);
            while (buf.hasRemaining() && ch.read(buf, offset + buf.position()) > 0) {
                // keep reading until the chunk is full
            }
            return buf.array();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long size(Path p) {
        try {
            return Files.size(p);
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static String sha256(Path p) {
        try (InputStream in = Files.newInputStream(p)) {
            MessageDigest sha = MessageDigest.getInstance("SHA-256");
            byte[] buf = new byte[HASH_BUFFER_BYTES];
            for (int n; (n = in.read(buf)) > 0; ) {
                sha.update(buf, 0, n);
            }
            return HexFormat.of().formatHex(sha.digest());
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        } catch (NoSuchAlgorithmException e) {
            throw new IllegalStateException(e);
        }
    }

    @Override
    public void close() {
        io.shutdownNow();
    }
}
