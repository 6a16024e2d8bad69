package io.omendb.backup;

import java.nio.file.Path;
import java.util.List;
import java.util.Map;

/**
 * Where a backup's range checkpoints come from: a running cluster ({@link ClusterSource}, through its admin HTTP
 * API) or a stopped node's data directory ({@link DataDirSource}). {@link BackupTaker} drives either the same way:
 * checkpoint every range, list and copy each range's files (checked against size and SHA-256), release.
 */
interface BackupSource {
    /** One range's checkpoint as the cluster reported it. */
    record RangeCheckpoint(long rangeId, String startHex, String endHex, String groupId, long index, String leader,
                           List<String> peers) {
    }

    record Checkpoints(String database, List<RangeCheckpoint> ranges, Map<String, String> nodeHttp) {
    }

    record RemoteFile(String name, long sizeBytes, String sha256) {
    }

    record RangeFiles(String baseUrl, String node, long term, long index, long engineIndex, List<RemoteFile> files) {
    }

    /** Where the backup is taken from, for messages. */
    String baseUrl();

    /** Checkpoints every range under {@code backupId}. */
    Checkpoints checkpoint(String backupId) throws BackupException;

    /** The checkpoint files of one range. */
    RangeFiles files(String backupId, RangeCheckpoint r, Map<String, String> nodeHttp) throws BackupException;

    /** Copies one file into {@code target}, checking its size and SHA-256 against the listing. */
    void download(String backupId, long rangeId, RangeFiles from, RemoteFile f, Path target) throws BackupException;

    /** Drops what {@link #checkpoint} pinned; returns problems instead of throwing (called on every outcome). */
    List<String> release(String backupId, Map<String, String> nodeHttp);
}
