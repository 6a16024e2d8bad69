package io.omendb.raft.meta;

import org.rocksdb.NativeLibraryLoader;
import org.rocksdb.RocksDB;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;

/**
 * Loads RocksDB's JNI library from a directory the node owns
 * ({@link io.omendb.raft.storage.NodeDataLayout#nativeLibraryDir}) instead of the JVM's temporary directory.
 *
 * <p>Why: rocksdbjni extracts its native library (about 15 MB) from its jar the first time RocksDB is used. Left
 * to itself it writes a copy under a new random name into {@code java.io.tmpdir} and deletes it only when the JVM
 * exits normally, so every node process that is killed (OOM killer, {@code kill -9}, a crash, the chaos suite's
 * kills) leaves one more copy behind for good: a day of benchmarks and chaos runs left 132 copies, 2.5 GB, in this
 * machine's {@code /tmp}. Given a directory, rocksdbjni writes the copy there under a fixed name, replacing the
 * previous one, so a data directory holds at most one copy whatever happened to its node before.
 *
 * <p>Guarantee: the first call in a JVM loads the library (later calls, and any later RocksDB use, find it loaded;
 * a JVM loads a native library once). If the directory cannot hold an executable library (a {@code noexec}
 * mount), it falls back to rocksdbjni's own temporary-file loading with a warning, so the node still starts.
 * The copy is written before RocksDB takes its lock on the node metadata directory, so a second process started on a running
 * node's data directory replaces the copy (a new file: the running node keeps the one it mapped) and then fails on
 * that lock; two processes starting on one directory at the same instant could race on the copy, and one of them
 * would fail to load it (an operator error either way; no stored data is touched).
 */
final class RocksDbNativeLibrary {
    private static final Logger LOG = LoggerFactory.getLogger(RocksDbNativeLibrary.class);
    private static boolean loaded;

    private RocksDbNativeLibrary() {
    }

    /** Loads the library into {@code dir} (created if missing) unless this JVM already loaded it. */
    static synchronized void loadFrom(Path dir) throws IOException {
        if (loaded) {
            return;
        }
        Files.createDirectories(dir);
        try {
            NativeLibraryLoader.getInstance().loadLibrary(dir.toAbsolutePath().toString());
        } catch (UnsatisfiedLinkError | RuntimeException e) {
            LOG.warn("cannot load RocksDB's native library from {} ({}); extracting it to the JVM's temporary "
                    + "directory instead", dir, e.getMessage());
        }
        RocksDB.loadLibrary();
        loaded = true;
    }
}
