package io.omendb.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardOpenOption;
import java.nio.file.attribute.BasicFileAttributes;
import java.util.HashMap;
import java.util.Map;

/**
 * Segments an engine has in memory (verified when they were read or written) whose files another engine directory
 * holds as hard links: what {@link StorageEngine#splitOff} hands to the engine that will open the right half, so that
 * {@link StorageEngine#open(Path, EngineOptions, MaintenancePool, KeyRange, LoadedSegments)} shares their keys, small
 * values and models instead of reading and verifying every block of the files again (the right half of a 1-GiB range
 * shares up to 1 GiB of files; reading them cost seconds per replica).
 *
 * <p><b>Guarantee.</b> A segment is reused only for a file that is the same file it was loaded from — same file key
 * (device and inode: a hard link or a rename of it) and same size — so it holds the bytes the columns were loaded
 * from (segment files are immutable); anything else is read from disk as usual. The reopened segment opens its own
 * channel on its own path, so neither engine's close or compaction closes a channel the other reads through. Large
 * values are still read (and their block verified) from the file when asked for.
 *
 * <p>Immutable and thread-safe. It keeps the segments' columns reachable; drop it once the right half is open.
 */
public final class LoadedSegments {
    /** No segment: every file is read. */
    public static final LoadedSegments NONE = new LoadedSegments(Map.of());

    private record Loaded(Segment whole, Object fileKey) {
    }

    private final Map<Long, Loaded> byId;

    private LoadedSegments(Map<Long, Loaded> byId) {
        this.byId = byId;
    }

    /**
     * Whole segments loaded in memory, each with its link in the other directory; a link that turns out to be a copy
     * (or whose file cannot be looked at) is left out: that file is read when opened.
     */
    static LoadedSegments of(Map<Segment, Path> linked) {
        Map<Long, Loaded> byId = new HashMap<>();
        for (Map.Entry<Segment, Path> e : linked.entrySet()) {
            Segment whole = e.getKey();
            try {
                Object fileKey = fileKey(e.getValue());
                if (fileKey != null && fileKey.equals(fileKey(whole.file))) {
                    byId.put(whole.id, new Loaded(whole, fileKey));
                }
            } catch (IOException unreadable) {
                // not reused: the file is read and verified when the other engine opens it
            }
        }
        return new LoadedSegments(Map.copyOf(byId));
    }

    /** How many segments can be reused. */
    public int size() {
        return byId.size();
    }

    /**
     * Segment {@code id} as stored in {@code file}, sharing the loaded columns, or null when none was loaded for that
     * id or {@code file} is not the file it was loaded from (then the caller reads it).
     */
    Segment reopen(long id, Path file) throws IOException {
        Loaded l = byId.get(id);
        if (l == null || !l.fileKey.equals(fileKey(file)) || Files.size(file) != l.whole.fileBytes) {
            return null;
        }
        FileChannel ch = l.whole.hasValuesOnDisk() ? FileChannel.open(file, StandardOpenOption.READ) : null;
        return l.whole.reopenedAt(file, ch);
    }

    private static Object fileKey(Path file) throws IOException {
        return Files.readAttributes(file, BasicFileAttributes.class).fileKey();
    }
}
