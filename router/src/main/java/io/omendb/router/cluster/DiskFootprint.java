package io.omendb.router.cluster;

import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.router.backend.StorageFootprint;

import java.io.IOException;
import java.io.UncheckedIOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;
import java.util.function.LongSupplier;
import java.util.function.Supplier;
import java.util.stream.Stream;

/**
 * On-disk sizes of the nodes running in this process, for {@code omendb_wal_size_bytes} and
 * {@code omendb_index_size_bytes}. WAL: the Ratis log segments ({@link GroupDir#logDir}). Index: the engines' live
 * files ({@link GroupDir#engineDir}: segments with their learned models), which is what the learned index occupies
 * on disk.
 *
 * <p>Scrapes must stay cheap, so a walk of the data directories is cached for {@link #CACHE_NANOS}; a scrape
 * within that window returns the previous numbers. Thread-safe (synchronized; walks are a few hundred files).
 */
public final class DiskFootprint implements Supplier<StorageFootprint> {
    static final long CACHE_NANOS = 5_000_000_000L;

    private final List<Path> dataDirs;
    private final LongSupplier nanoClock;
    private StorageFootprint cached = new StorageFootprint(0, 0);
    private long cachedAtNanos;
    private boolean sampled;

    public DiskFootprint(List<Path> dataDirs, LongSupplier nanoClock) {
        this.dataDirs = List.copyOf(dataDirs);
        this.nanoClock = nanoClock;
    }

    /** The data dirs of the nodes running in this process. */
    public List<Path> dataDirs() {
        return dataDirs;
    }

    /** No local disks (a router-only process). */
    public static Supplier<StorageFootprint> none() {
        return () -> new StorageFootprint(0, 0);
    }

    @Override
    public synchronized StorageFootprint get() {
        long now = nanoClock.getAsLong();
        if (!sampled || now - cachedAtNanos >= CACHE_NANOS) {
            long wal = 0;
            long index = 0;
            for (Path dir : dataDirs) {
                for (GroupDir g : groupsOf(dir)) {
                    wal += bytesUnder(g.logDir());
                    index += bytesUnder(g.engineDir());
                }
            }
            cached = new StorageFootprint(wal, index);
            cachedAtNanos = now;
            sampled = true;
        }
        return cached;
    }

    private static List<GroupDir> groupsOf(Path dataDir) {
        try {
            return NodeDataLayout.of(dataDir).groups();
        } catch (IOException e) {
            throw new UncheckedIOException(e);
        }
    }

    private static long bytesUnder(Path dir) {
        if (!Files.isDirectory(dir)) {
            return 0;
        }
        try (Stream<Path> files = Files.walk(dir)) {
            return files.mapToLong(DiskFootprint::sizeOrZero).sum();
        } catch (IOException | UncheckedIOException e) {
            return 0; // files come and go during flushes and compactions; the next scrape counts again
        }
    }

    private static long sizeOrZero(Path p) {
        try {
            return Files.isRegularFile(p) ? Files.size(p) : 0;
        } catch (IOException e) {
            return 0;
        }
    }
}
