package io.omendb.router.backend;

import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.concurrent.CompletableFuture;

/**
 * What the {@code /admin/backup/*} endpoints need: cluster-wide backup checkpoints and read access to the ones kept
 * on this process's nodes. JDK types only, like {@link KvBackend}.
 *
 * <p>Every method returns without blocking; file work runs on the implementation's own threads. Unknown ids, ranges
 * or files complete with {@code Optional.empty()}; a bad backup id fails with {@link IllegalArgumentException}.
 */
public interface BackupCheckpointStore {
    /** Hard upper bound on one {@link #readChunk} answer. */
    int CHUNK_BYTES_MAX = 4 << 20;

    record RangeCheckpoint(long rangeId, byte[] start, byte[] endOrNull, String groupId, long index,
                           String leaderOrNull, List<String> peers) {
    }

    /** {@code nodeHttpAddresses}: every member's {@code http_address} (empty when not configured). */
    record Checkpoints(String database, List<RangeCheckpoint> ranges, Map<String, String> nodeHttpAddresses) {
    }

    record CheckpointFile(String name, long sizeBytes, String sha256) {
    }

    /** A checkpoint found in a local data dir: where, the Raft term/index of its entry, the engine index, files. */
    record LocalCheckpoint(String location, long term, long index, long engineIndex, List<CheckpointFile> files) {
    }

    /** Checkpoints every range through its Raft log (each replica hard-links its engine at that log index). */
    CompletableFuture<Checkpoints> checkpointAll(String backupId);

    CompletableFuture<Optional<LocalCheckpoint>> localCheckpoint(String backupId, long rangeId);

    /** Up to {@code lengthMax} bytes of a listed file from {@code offset} (empty array at the end). */
    CompletableFuture<Optional<byte[]>> readChunk(String backupId, long rangeId, String fileName, long offset,
                                                  int lengthMax);

    /** Deletes this process's checkpoints of {@code backupId}; completes with how many range checkpoints went. */
    CompletableFuture<Integer> release(String backupId);
}
