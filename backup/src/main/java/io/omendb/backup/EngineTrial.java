package io.omendb.backup;

import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.FileOps;
import io.omendb.storage.KeyValue;
import io.omendb.storage.StorageEngine;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;

/**
 * A trial open of one range of a backup: its files are hard-linked (copied where links are impossible) into a scratch
 * directory, the snapshot descriptor is checked (every file present with its size), the engine is opened (which
 * verifies the manifest and every segment's checksums) and its contents are measured. Segment files are immutable
 * and the engine replaces its manifest by rename, so the backup's own files are never modified through the links.
 */
final class EngineTrial {
    static final int SCAN_PAGE_KEYS = 10_000;

    record Contents(String digestHex, long liveKeys, long engineIndex) {
    }

    private EngineTrial() {
    }

    /** Opens the range made of {@code files} (name to path) in a scratch dir under {@code scratchParent}. */
    static Contents open(Map<String, Path> files, Path scratchParent) throws BackupException {
        Path scratch = null;
        try {
            Files.createDirectories(scratchParent);
            scratch = Files.createTempDirectory(scratchParent, ".trial-");
            for (Map.Entry<String, Path> f : files.entrySet()) {
                FileOps.linkOrCopy(f.getValue(), scratch.resolve(f.getKey()));
            }
            SnapshotDescriptor d = SnapshotDescriptor.readFrom(scratch);
            try (StorageEngine engine = StorageEngine.open(scratch, EngineOptions.defaults())) {
                return new Contents(HexFormat.of().formatHex(engine.digest()), liveKeys(engine),
                        d.engineAppliedIndex());
            }
        } catch (IOException | RuntimeException e) {
            throw BackupException.failed("the engine does not open: " + e.getMessage());
        } finally {
            if (scratch != null) {
                try {
                    FileOps.deleteRecursively(scratch);
                } catch (IOException e) {
                    System.err.println("omendb backup: warning: cannot remove scratch dir " + scratch + ": " + e);
                }
            }
        }
    }

    private static long liveKeys(StorageEngine engine) {
        long n = 0;
        byte[] start = new byte[0];
        while (true) {
            List<KeyValue> page = engine.scan(start, null, SCAN_PAGE_KEYS);
            n += page.size();
            if (page.size() < SCAN_PAGE_KEYS) {
                return n;
            }
            byte[] last = page.get(page.size() - 1).key();
            start = io.omendb.storage.Bytes.successor(last);
        }
    }
}
