package io.omendb.bench;

import org.rocksdb.BlockBasedTableConfig;
import org.rocksdb.BloomFilter;
import org.rocksdb.CompressionType;
import org.rocksdb.DataBlockIndexType;
import org.rocksdb.FlushOptions;
import org.rocksdb.LRUCache;
import org.rocksdb.Options;
import org.rocksdb.ReadOptions;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteOptions;

import java.nio.ByteBuffer;
import java.nio.file.Path;

/**
 * RocksDB (JNI) as the engine bench's peer, in one of two configurations, behind the few operations the bench
 * measures: put (WAL off, as Raft is the WAL), flush, full compaction, point get, a short scan.
 *
 * <ul>
 *   <li>{@link Tuning#DEFAULT} ({@code rocksdb}): default options and a block cache of the given size;
 *       {@code byte[]} keys and values through JNI.</li>
 *   <li>{@link Tuning#POINT_LOOKUP} ({@code rocksdb-tuned}): the strongest point-lookup configuration we know:
 *       {@code optimizeForPointLookup} (memtable whole-key bloom), then a block-based table with a whole-key bloom
 *       filter of {@value #BLOOM_BITS_PER_KEY} bits/key, the data-block hash index
 *       ({@code kDataBlockBinaryAndHash}, util ratio {@value #HASH_UTIL_RATIO}), index and filter blocks in the
 *       block cache with high priority, pinned (L0 and top level), no compression (OmenDB keeps its data
 *       uncompressed in memory too), and direct {@code ByteBuffer}s for keys and values on put, get and scan,
 *       so no {@code byte[]} crosses JNI.</li>
 * </ul>
 * Not thread-safe: one bench thread uses a peer; the buffers of the direct path are reused, so a value returned by
 * {@link #get} is valid only until the next call.
 */
final class RocksPeer implements AutoCloseable {
    static final int BLOOM_BITS_PER_KEY = 10;
    static final double HASH_UTIL_RATIO = 0.75;
    /** Large enough for any key or value the bench writes. */
    private static final int BUFFER_BYTES_MAX = 4096;

    enum Tuning {
        DEFAULT("rocksdb"), POINT_LOOKUP("rocksdb-tuned");

        final String impl;

        Tuning(String impl) {
            this.impl = impl;
        }
    }

    private final Tuning tuning;
    private final LRUCache cache;
    private final BloomFilter filter; // null for DEFAULT
    private final Options options;
    private final RocksDB db;
    private final WriteOptions noWal;
    private final ReadOptions read;
    private final ByteBuffer keyBuf = ByteBuffer.allocateDirect(BUFFER_BYTES_MAX);
    private final ByteBuffer valueBuf = ByteBuffer.allocateDirect(BUFFER_BYTES_MAX);

    private RocksPeer(Tuning tuning, LRUCache cache, BloomFilter filter, Options options, RocksDB db) {
        this.tuning = tuning;
        this.cache = cache;
        this.filter = filter;
        this.options = options;
        this.db = db;
        this.noWal = new WriteOptions().setDisableWAL(true);
        this.read = new ReadOptions();
    }

    /** Opens (creating) a store in the existing directory {@code dir} with a block cache of {@code cacheBytes}. */
    static RocksPeer open(Path dir, Tuning tuning, long cacheBytes) throws RocksDBException {
        RocksDB.loadLibrary();
        LRUCache cache = new LRUCache(cacheBytes);
        Options opts = new Options().setCreateIfMissing(true);
        BlockBasedTableConfig table = new BlockBasedTableConfig().setBlockCache(cache);
        BloomFilter filter = tuning == Tuning.POINT_LOOKUP ? new BloomFilter(BLOOM_BITS_PER_KEY, false) : null;
        if (filter != null) {
            // sets the memtable's whole-key bloom; its table config (and cache) is replaced by ours just below
            opts.optimizeForPointLookup(Math.max(1, cacheBytes >> 20));
            opts.setCompressionType(CompressionType.NO_COMPRESSION);
            table.setFilterPolicy(filter).setWholeKeyFiltering(true)
                    .setDataBlockIndexType(DataBlockIndexType.kDataBlockBinaryAndHash)
                    .setDataBlockHashTableUtilRatio(HASH_UTIL_RATIO)
                    .setCacheIndexAndFilterBlocks(true).setCacheIndexAndFilterBlocksWithHighPriority(true)
                    .setPinL0FilterAndIndexBlocksInCache(true).setPinTopLevelIndexAndFilter(true);
        }
        opts.setTableFormatConfig(table);
        try {
            return new RocksPeer(tuning, cache, filter, opts, RocksDB.open(opts, dir.toString()));
        } catch (RocksDBException | RuntimeException e) {
            opts.close();
            if (filter != null) {
                filter.close();
            }
            cache.close();
            throw e;
        }
    }

    String impl() {
        return tuning.impl;
    }

    void put(byte[] key, byte[] value) throws RocksDBException {
        if (tuning == Tuning.DEFAULT) {
            db.put(noWal, key, value);
            return;
        }
        db.put(noWal, direct(keyBuf, key), direct(valueBuf, value));
    }

    /** Flushes the memtable and waits for it: every record is in an SST file and searchable. */
    void flush() throws RocksDBException {
        try (FlushOptions wait = new FlushOptions().setWaitForFlush(true)) {
            db.flush(wait);
        }
    }

    void compact() throws RocksDBException {
        db.compactRange();
    }

    /** The value of a present key (null when absent); on the direct path a view valid until the next call. */
    ByteBuffer get(byte[] key) throws RocksDBException {
        if (tuning == Tuning.DEFAULT) {
            byte[] v = db.get(key);
            return v == null ? null : ByteBuffer.wrap(v);
        }
        valueBuf.clear();
        int n = db.get(read, direct(keyBuf, key), valueBuf);
        if (n == RocksDB.NOT_FOUND) {
            return null;
        }
        if (n > valueBuf.capacity()) {
            throw new IllegalStateException("value of " + n + " bytes exceeds the bench's buffer");
        }
        return valueBuf;
    }

    /**
     * Visits up to {@code limit} records from {@code from} on, in key order, and returns the sum of each value's
     * first byte plus the count (what the bench consumes, so no visit can be optimised away).
     */
    long scan(RocksIterator it, byte[] from, int limit) {
        long s = 0;
        if (tuning == Tuning.DEFAULT) {
            it.seek(from);
        } else {
            it.seek(direct(keyBuf, from));
        }
        int n = 0;
        for (; n < limit && it.isValid(); n++, it.next()) {
            if (tuning == Tuning.DEFAULT) {
                s += it.value()[0];
            } else {
                valueBuf.clear();
                it.value(valueBuf);
                s += valueBuf.get(0);
            }
        }
        return s + n;
    }

    RocksIterator newIterator() {
        return db.newIterator(read);
    }

    long sstBytes() throws RocksDBException {
        return Long.parseLong(db.getProperty("rocksdb.total-sst-files-size"));
    }

    /**
     * Bytes held in memory: the block cache's usage (data blocks; index and filter blocks too when tuned), the
     * table readers' own memory (index and filter blocks held outside the cache by the default configuration) and
     * the memtables.
     */
    long residentBytes() throws RocksDBException {
        return cache.getUsage() + Long.parseLong(db.getProperty("rocksdb.estimate-table-readers-mem"))
                + Long.parseLong(db.getProperty("rocksdb.cur-size-all-mem-tables"));
    }

    private static ByteBuffer direct(ByteBuffer buf, byte[] bytes) {
        buf.clear();
        buf.put(bytes).flip();
        return buf;
    }

    @Override
    public void close() {
        db.close();
        read.close();
        noWal.close();
        options.close();
        if (filter != null) {
            filter.close();
        }
        cache.close();
    }
}
