package io.omendb.backup;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * Checks that a backup can be restored: its manifest checksum, every link of its chain (each parent present,
 * verifying, of the same database), every file it needs (present, right size, right SHA-256), and a trial open of
 * each range's engine whose digest and live-key count must equal those recorded when the backup was taken.
 * Reports every problem it finds, not only the first. Read-only on the backup directory.
 */
final class BackupVerifier {
    private final BackupRepository repo;

    BackupVerifier(BackupRepository repo) {
        this.repo = repo;
    }

    /** Problems found in backup {@code m} (empty: restorable). Throws when the chain itself is broken. */
    List<String> verify(BackupManifest m) throws BackupException {
        repo.chain(m);
        List<String> problems = new ArrayList<>();
        for (BackupManifest.RangeEntry r : m.ranges()) {
            Map<String, Path> files = new LinkedHashMap<>();
            boolean filesOk = true;
            for (BackupManifest.FileEntry f : r.files()) {
                Path p = repo.fileOf(r.rangeId(), f);
                String problem = checkFile(p, f);
                if (problem != null) {
                    problems.add("range " + r.rangeId() + ": " + problem);
                    filesOk = false;
                }
                files.put(f.name(), p);
            }
            if (!filesOk) {
                continue;
            }
            try {
                EngineTrial.Contents c = EngineTrial.open(files, repo.root());
                if (!c.digestHex().equals(r.digest()) || c.liveKeys() != r.liveKeys()) {
                    problems.add("range " + r.rangeId() + ": contents differ from those recorded at backup time ("
                            + c.liveKeys() + " keys, digest " + c.digestHex() + "; recorded " + r.liveKeys()
                            + " keys, " + r.digest() + ")");
                }
            } catch (BackupException e) {
                problems.add("range " + r.rangeId() + ": " + e.getMessage());
            }
        }
        return problems;
    }

    private static String checkFile(Path p, BackupManifest.FileEntry f) {
        try {
            if (!Files.isRegularFile(p)) {
                return "missing file " + p + (f.storedIn().isEmpty() ? "" : " (stored by backup " + f.storedIn() + ")");
            }
            long size = Files.size(p);
            if (size != f.sizeBytes()) {
                return "file " + p + " has " + size + " bytes, expected " + f.sizeBytes();
            }
            String sha = Checksums.sha256Hex(p);
            if (!sha.equals(f.sha256())) {
                return "file " + p + " is damaged: sha256 " + sha + ", expected " + f.sha256();
            }
            return null;
        } catch (IOException e) {
            return "cannot read " + p + ": " + e.getMessage();
        }
    }
}
