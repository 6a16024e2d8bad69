package io.omendb.storage;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.NoSuchFileException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;

/**
 * File-level steps shared by checkpoint, split and merge: linking segment files between engine directories,
 * removing an engine directory so that it stops being an engine first, and finishing (or undoing) a split or merge
 * that a crash interrupted. Stateless; the caller holds the engine's locks.
 */
final class EngineDirs {
    private EngineDirs() {
    }

    /**
     * Removes an engine directory: its manifest first (fsynced away, so a crash part-way leaves a directory that is
     * no longer an engine, never an engine missing segments), then every other file, then the directory.
     */
    static void deleteEngineDir(Path d, boolean fsync) throws IOException {
        if (!Files.isDirectory(d)) {
            return;
        }
        if (Files.deleteIfExists(d.resolve(Manifest.FILE)) && fsync) {
            FileOps.fsync(d);
        }
        try (DirectoryStream<Path> files = Files.newDirectoryStream(d)) {
            for (Path f : files) {
                if (Files.isDirectory(f)) {
                    throw new IOException("engine directory " + d + " holds a directory " + f + "; not removing it");
                }
                Files.delete(f);
            }
        }
        try {
            Files.delete(d);
        } catch (NoSuchFileException e) {
            // removed already
        }
        if (fsync && d.getParent() != null) {
            FileOps.fsync(d.getParent());
        }
    }

    /**
     * Finishes the split or merge {@code m} records as pending, writing the resolved manifest, and returns it.
     * <ul>
     *   <li>A split is committed exactly when its right directory holds a manifest (written after every link):
     *       then this engine keeps the left half at the split's index. Otherwise the right directory's leftovers
     *       are removed and this engine is unchanged (the Raft layer re-applies the split). A right directory with a
     *       manifest is never removed here, even if its range has changed since.</li>
     *   <li>A merge recorded here was committed (the pending mark is written with the merged manifest): the
     *       merged-in directory is removed if it still exists.</li>
     * </ul>
     */
    static Manifest finishPending(Path dir, Manifest m, boolean fsync) throws IOException {
        Manifest resolved;
        if (m.pending() instanceof Manifest.SplitIntent split) {
            Path right = Path.of(split.rightDir());
            if (Manifest.exists(right)) {
                KeyRange rightRange = Manifest.readOrEmpty(right, KeyRange.ALL).range();
                if (!Arrays.equals(rightRange.start(), split.splitKey())) {
                    // the right engine only ever changes its end (a later split or merge of its own): never delete it
                    throw new CorruptDataException(dir.resolve(Manifest.FILE), "pending split at "
                            + Bytes.hex(split.splitKey()) + " but " + right + " owns " + rightRange);
                }
                KeyRange left = m.range().leftOf(split.splitKey());
                resolved = new Manifest(split.index(), m.nextSegmentId(), left, clip(m.segments(), left), null);
            } else {
                deleteEngineDir(right, fsync);
                resolved = m.withPending(null);
            }
        } else if (m.pending() instanceof Manifest.AbsorbedDir absorbed) {
            deleteEngineDir(Path.of(absorbed.dir()), fsync);
            resolved = m.withPending(null);
        } else {
            return m;
        }
        resolved.writeAtomically(dir, fsync);
        return resolved;
    }

    /** The entries that share keys with {@code range}, each narrowed to them. */
    private static List<Manifest.Entry> clip(List<Manifest.Entry> entries, KeyRange range) {
        List<Manifest.Entry> out = new ArrayList<>(entries.size());
        for (Manifest.Entry e : entries) {
            KeyRange r = e.range().intersect(range);
            if (r != null) {
                out.add(new Manifest.Entry(e.id(), r));
            }
        }
        return out;
    }
}
