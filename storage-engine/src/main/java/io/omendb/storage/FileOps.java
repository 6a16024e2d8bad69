package io.omendb.storage;

import java.io.IOException;
import java.nio.channels.FileChannel;
import java.nio.file.FileSystemException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.nio.file.StandardOpenOption;
import java.util.Comparator;
import java.util.stream.Stream;

/**
 * The file operations every module needs to be crash-safe, in one place: fsync a file or a directory, hard-link or
 * copy a file, delete a directory tree. It lives in the engine, the lowest module, because the engine needs it too
 * (its manifest rename); the node, the backup tool and the benchmarks use this copy instead of their own.
 *
 * <p>Why directories are fsynced: on Linux a create, rename or delete inside a directory is durable only once the
 * directory itself is fsynced; the callers' write-temp-then-rename protocols rely on it. Stateless and thread-safe.
 */
public final class FileOps {
    private FileOps() {
    }

    /**
     * Makes {@code path} durable: a regular file's contents, or a directory's entries (a rename or create inside
     * it).
     */
    public static void fsync(Path path) throws IOException {
        try (FileChannel ch = FileChannel.open(path, StandardOpenOption.READ)) {
            ch.force(true);
        }
    }

    /** Hard-links {@code source} as {@code target}; copies (and fsyncs) when the file system refuses a link. */
    public static void linkOrCopy(Path source, Path target) throws IOException {
        try {
            Files.createLink(target, source);
        } catch (UnsupportedOperationException | FileSystemException e) {
            Files.copy(source, target, StandardCopyOption.COPY_ATTRIBUTES);
            fsync(target);
        }
    }

    /** Deletes {@code dir} and everything under it (children first); nothing when it does not exist. */
    public static void deleteRecursively(Path dir) throws IOException {
        if (!Files.exists(dir)) {
            return;
        }
        try (Stream<Path> walk = Files.walk(dir)) {
            for (Path p : (Iterable<Path>) walk.sorted(Comparator.reverseOrder())::iterator) {
                Files.delete(p);
            }
        }
    }
}
