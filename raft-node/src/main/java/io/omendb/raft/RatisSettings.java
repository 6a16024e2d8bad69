package io.omendb.raft;

import io.omendb.config.OmenConfig;
import org.apache.ratis.RaftConfigKeys;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.grpc.GrpcConfigKeys;
import org.apache.ratis.server.RaftServerConfigKeys;
import org.apache.ratis.util.SizeInBytes;
import org.apache.ratis.util.TimeDuration;

import java.nio.file.Path;
import java.util.List;
import java.util.concurrent.TimeUnit;

/**
 * Translates {@link OmenConfig} into Ratis server properties. The reasoning behind each choice is in
 * {@code docs/ARCHITECTURE.md} ("Ratis settings"); in short: election timeouts of seconds, not Ratis' 150-300 ms,
 * because nodes share two cores with other JVMs and GC/compile pauses must not cause elections; small per-group
 * buffers and caches because a node hosts hundreds of groups; ReadIndex reads; snapshots by log size with purge.
 */
final class RatisSettings {
    /** Preallocation of a new log segment file; Ratis' 4 MB default times hundreds of groups is wasteful. */
    static final SizeInBytes LOG_PREALLOCATED_SIZE = SizeInBytes.valueOf("256KB");
    /** Closed log segments kept in memory per group (Ratis default 6 and 200 MB). */
    static final int LOG_SEGMENT_CACHE_NUM_MAX = 2;
    static final SizeInBytes LOG_SEGMENT_CACHE_SIZE_MAX = SizeInBytes.valueOf("8MB");
    /**
     * Threads of each group's server executor ({@code RaftServerImpl.serverExecutor}), which completes every
     * appendEntries a follower receives (heartbeats included) and runs server-side admin requests. Ratis' default is an
     * unbounded cached pool per group, so a burst of appends or a slow disk grew one thread per concurrent append per
     * range. With Ratis' "cached" pool and a size, the pool is a single thread on an unbounded queue that ends after
     * 60 s idle ({@code ConcurrentUtils.newCachedThreadPool(int, ThreadFactory)}): a group's completions run in order,
     * as its log worker completes them anyway (docs/ARCHITECTURE.md, "What a range costs").
     */
    static final int SERVER_THREADS_PER_GROUP_MAX = 1;
    /**
     * Bytes of snapshot file per install-snapshot request. Ratis reads each chunk into a heap array before
     * {@link MappedSnapshotRequests} re-points it at the file; at Ratis' 16 MB default, that array times the requests
     * in flight ({@code request.element-limit}, 8) is 128 MiB of transient heap per follower being caught up.
     */
    static final SizeInBytes SNAPSHOT_CHUNK_SIZE_MAX = SizeInBytes.valueOf("1MB");

    /** A group's first election waits the election timeout divided by this (see {@link #server}). */
    static final int FIRST_ELECTION_DIVISOR = 4;

    private RatisSettings() {
    }

    static RaftProperties server(OmenConfig config, Path raftDir, Path removedGroupsDir, String host, int port) {
        RaftProperties p = new RaftProperties();
        RaftServerConfigKeys.setStorageDir(p, List.of(raftDir.toFile()));
        RaftServerConfigKeys.setRemovedGroupsDir(p, removedGroupsDir.toFile());
        GrpcConfigKeys.Server.setHost(p, host);
        GrpcConfigKeys.Server.setPort(p, port);

        OmenConfig.Performance perf = config.performance();
        RaftServerConfigKeys.Read.setOption(p, RaftServerConfigKeys.Read.Option.LINEARIZABLE);
        RaftServerConfigKeys.Read.setLeaderLeaseEnabled(p, perf.leaderLeaseEnabled());
        RaftServerConfigKeys.Rpc.setTimeoutMin(p, ms(perf.electionTimeoutMinMs()));
        RaftServerConfigKeys.Rpc.setTimeoutMax(p, ms(perf.electionTimeoutMaxMs()));
        RaftServerConfigKeys.Rpc.setRequestTimeout(p, ms(perf.raftRequestTimeoutMs()));
        // A group's first election after it started (a new range from a split, or any group at node start) waits a
        // quarter of the election timeout: the right half of a split has no leader until then, and its clients wait.
        // Safe against disruption: with pre-vote (Ratis' default) a node that campaigns early while a leader exists
        // gets no votes and does not raise the term.
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMin(p, ms(perf.electionTimeoutMinMs() / FIRST_ELECTION_DIVISOR));
        RaftServerConfigKeys.Rpc.setFirstElectionTimeoutMax(p, ms(perf.electionTimeoutMaxMs() / FIRST_ELECTION_DIVISOR));

        int writeBufferBytes = perf.raftWriteBufferKb() * 1024;
        RaftServerConfigKeys.Log.setWriteBufferSize(p, SizeInBytes.valueOf(writeBufferBytes));
        RaftServerConfigKeys.Log.Appender.setBufferByteLimit(p,
                SizeInBytes.valueOf(perf.commandBytesMax() + OmenConfig.Performance.ENTRY_OVERHEAD_BYTES));
        RaftServerConfigKeys.Log.setPreallocatedSize(p, LOG_PREALLOCATED_SIZE);
        RaftServerConfigKeys.Log.setSegmentCacheNumMax(p, LOG_SEGMENT_CACHE_NUM_MAX);
        RaftServerConfigKeys.Log.setSegmentCacheSizeMax(p, LOG_SEGMENT_CACHE_SIZE_MAX);
        RaftServerConfigKeys.Log.Appender.setSnapshotChunkSizeMax(p, SNAPSHOT_CHUNK_SIZE_MAX);
        RaftConfigKeys.Rpc.setType(p, new OmenRpcType());
        RaftServerConfigKeys.ThreadPool.setServerCached(p, true);
        RaftServerConfigKeys.ThreadPool.setServerSize(p, SERVER_THREADS_PER_GROUP_MAX);
        // No Ratis metadata entries: Ratis appends one after every commit (a log entry, a replication round and an
        // fsync on each replica, plus one more round to propagate its own commit), which cost about a quarter of the
        // nodes' CPU per write (docs/BENCHMARKS.md item 9). The committed index they recorded for offline replay of a
        // stopped node's log is stamped into every command entry instead (CommandCodec, RangeStateMachine).
        RaftServerConfigKeys.Log.setLogMetadataEnabled(p, false);

        OmenConfig.Wal wal = config.wal();
        RaftServerConfigKeys.Log.setSegmentSizeMax(p, SizeInBytes.valueOf(wal.segmentSizeMb() + "MB"));
        RaftServerConfigKeys.Log.setUnsafeFlushEnabled(p, !wal.syncOnWrite());
        // A follower appends each appendEntries request on its request thread (Ratis' direct path) instead of
        // chaining it behind the previous request's future: in Ratis 3.3.0 that chain is never reset, so one refused
        // append failed every later append of the replica until the node restarted (docs/CHAOS.md bug 7).
        RaftServerConfigKeys.Log.setAppendEntriesComposeEnabled(p, false);
        RaftServerConfigKeys.Log.setPurgeGap(p, wal.purgeGapEntries());
        RaftServerConfigKeys.Log.setPurgeUptoSnapshotIndex(p, wal.purgeUptoSnapshot());
        RaftServerConfigKeys.Snapshot.setAutoTriggerEnabled(p, true);
        RaftServerConfigKeys.Snapshot.setAutoTriggerThreshold(p, wal.snapshotThresholdEntries());
        RaftServerConfigKeys.Snapshot.setRetentionFileNum(p, wal.snapshotRetentionCount());
        return p;
    }

    private static TimeDuration ms(long v) {
        return TimeDuration.valueOf(v, TimeUnit.MILLISECONDS);
    }
}
