package io.omendb.benchcluster;

import java.nio.file.Path;
import java.util.List;
import java.util.Optional;

/**
 * One replicated store under test, driven through its own native client. Every call blocks the calling
 * client thread until the store answers or {@code opTimeoutMs} passes (then it throws), so the load generator
 * is a closed loop: a client sends its next request only after the previous one finished.
 *
 * <p>Lifecycle: {@link #start} launches the cluster as separate processes under {@code workDir} and returns
 * once it serves requests; {@link #close} kills every process it started (also after a failed start). All
 * operations must be safe to call from many threads at once.
 */
interface KvTarget extends AutoCloseable {
    String name();

    void start(Path workDir) throws Exception;

    /** Stores {@code value} under {@code key}; returns after a quorum has it on disk. */
    void put(byte[] key, byte[] value) throws Exception;

    /** Linearizable read; returns whether the key was present. */
    boolean get(byte[] key) throws Exception;

    /** Linearizable read of up to {@code limit} keys in [start, end); returns how many came back. */
    int scan(byte[] start, byte[] end, int limit) throws Exception;

    /** Stores every key with the same value in as few round trips as the store allows (preload only). */
    void putAll(List<byte[]> keys, byte[] value) throws Exception;

    /**
     * Where the cluster's leaders are, when the target knows and it varies from run to run (elections): printed as
     * each workload's measurement starts, since a layout can move throughput more than a code change does.
     */
    default Optional<String> layout() {
        return Optional.empty();
    }

    /** Main process ids of the cluster's members (for profiling); empty when not started. */
    List<Long> pids();

    @Override
    void close();
}
