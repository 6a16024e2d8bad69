package io.omendb.storage;

/**
 * Tuning of one engine instance. Every limit carries its unit in its name.
 *
 * @param maxError                 {@code [index] max_error}: bound, in positions, on every leaf model's error
 * @param retrainThreshold         {@code [index] retrain_threshold}: buffered writes (memtable entries) that
 *                                 trigger a flush into a new segment with a freshly trained model
 * @param modelType                {@code [index] model_type}
 * @param compressionEnabled       {@code [storage] enable_compression}: zstd-compress data blocks
 * @param fsyncEnabled             fsync segment files and the manifest (off only in throw-away tests/benchmarks)
 * @param compactionFanIn          segments of one size tier merged together once this many exist
 * @param immutableMemtablesMax    frozen memtables waiting for flush before the writer flushes the oldest itself
 * @param blockBytesTarget         uncompressed size of one data block on disk
 * @param segmentBytesMax          largest segment (keys + values) a flush or compaction writes before starting
 *                                 another; also the most bytes one background compaction merges
 * @param valueBytesInlineMax      values up to this many bytes are kept in the heap with their segment; larger
 *                                 ones stay in the segment file and are read from it when asked for
 */
public record EngineOptions(
        int maxError,
        int retrainThreshold,
        ModelType modelType,
        boolean compressionEnabled,
        boolean fsyncEnabled,
        int compactionFanIn,
        int immutableMemtablesMax,
        int blockBytesTarget,
        long segmentBytesMax,
        int valueBytesInlineMax) {

    public static final int MAX_ERROR_DEFAULT = 32;
    public static final int RETRAIN_THRESHOLD_DEFAULT = 200_000;
    /**
     * Values up to this many bytes live in the heap with their segment, larger ones in the segment file (one block read
     * per get). 128, not the 1,024 it was: a segment keeps every small value resident, so a node's heap had to hold its
     * whole data set of 1 KiB values, and a compaction's copy besides: a 2 GiB node writing 1 KiB values into one range
     * died of OutOfMemoryError in compaction at ~1.2 GB on all three replicas at once, and the range stopped
     * (docs/BENCHMARKS.md, "One hot range split by load"). At 128 a resident record costs at most about its key, 128
     * bytes and its offsets; a value on disk costs its key and a 24-byte location. The cluster benchmark's 100-byte
     * values stay resident.
     */
    public static final int VALUE_BYTES_INLINE_MAX_DEFAULT = 128;
    /**
     * Uncompressed bytes of one data block. 4 KiB, not the 64 KiB it was: a get of a value kept in the file reads and
     * checksums its whole block, which at 64 KiB cost 18.5 us per 1 KiB value (docs/STORAGE-ENGINE.md "Heap sizing").
     */
    public static final int BLOCK_BYTES_TARGET_DEFAULT = 4 * 1024;

    public EngineOptions {
        require(maxError >= 1 && maxError <= 1 << 20, "max_error must be in [1, 1048576], got " + maxError);
        require(retrainThreshold >= 1, "retrain_threshold must be >= 1, got " + retrainThreshold);
        require(modelType != null, "model_type must be set");
        require(compactionFanIn >= 2, "compactionFanIn must be >= 2, got " + compactionFanIn);
        require(immutableMemtablesMax >= 1, "immutableMemtablesMax must be >= 1, got " + immutableMemtablesMax);
        require(blockBytesTarget >= 512, "blockBytesTarget must be >= 512, got " + blockBytesTarget);
        require(segmentBytesMax >= 1 << 16 && segmentBytesMax <= 1L << 30,
                "segmentBytesMax must be in [64 KiB, 1 GiB], got " + segmentBytesMax);
        require(valueBytesInlineMax >= 0, "valueBytesInlineMax must be >= 0, got " + valueBytesInlineMax);
    }

    public static EngineOptions defaults() {
        return new EngineOptions(MAX_ERROR_DEFAULT, RETRAIN_THRESHOLD_DEFAULT, ModelType.RECURSIVE, false, true,
                4, 2, BLOCK_BYTES_TARGET_DEFAULT, 1L << 30, VALUE_BYTES_INLINE_MAX_DEFAULT);
    }

    public EngineOptions withMaxError(int v) {
        return new EngineOptions(v, retrainThreshold, modelType, compressionEnabled, fsyncEnabled, compactionFanIn,
                immutableMemtablesMax, blockBytesTarget, segmentBytesMax, valueBytesInlineMax);
    }

    public EngineOptions withRetrainThreshold(int v) {
        return new EngineOptions(maxError, v, modelType, compressionEnabled, fsyncEnabled, compactionFanIn,
                immutableMemtablesMax, blockBytesTarget, segmentBytesMax, valueBytesInlineMax);
    }

    public EngineOptions withModelType(ModelType v) {
        return new EngineOptions(maxError, retrainThreshold, v, compressionEnabled, fsyncEnabled, compactionFanIn,
                immutableMemtablesMax, blockBytesTarget, segmentBytesMax, valueBytesInlineMax);
    }

    public EngineOptions withCompression(boolean v) {
        return new EngineOptions(maxError, retrainThreshold, modelType, v, fsyncEnabled, compactionFanIn,
                immutableMemtablesMax, blockBytesTarget, segmentBytesMax, valueBytesInlineMax);
    }

    public EngineOptions withFsync(boolean v) {
        return new EngineOptions(maxError, retrainThreshold, modelType, compressionEnabled, v, compactionFanIn,
                immutableMemtablesMax, blockBytesTarget, segmentBytesMax, valueBytesInlineMax);
    }

    public EngineOptions withCompactionFanIn(int v) {
        return new EngineOptions(maxError, retrainThreshold, modelType, compressionEnabled, fsyncEnabled, v,
                immutableMemtablesMax, blockBytesTarget, segmentBytesMax, valueBytesInlineMax);
    }

    public EngineOptions withSegmentBytesMax(long v) {
        return new EngineOptions(maxError, retrainThreshold, modelType, compressionEnabled, fsyncEnabled,
                compactionFanIn, immutableMemtablesMax, blockBytesTarget, v, valueBytesInlineMax);
    }

    public EngineOptions withValueBytesInlineMax(int v) {
        return new EngineOptions(maxError, retrainThreshold, modelType, compressionEnabled, fsyncEnabled,
                compactionFanIn, immutableMemtablesMax, blockBytesTarget, segmentBytesMax, v);
    }

    private static void require(boolean ok, String message) {
        if (!ok) {
            throw new IllegalArgumentException(message);
        }
    }
}
