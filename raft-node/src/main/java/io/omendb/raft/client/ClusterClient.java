package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.MemberRecordCodec;
import io.omendb.raft.meta.MergeTombstone;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeDescriptorCodec;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.security.RaftTls;
import io.omendb.storage.Bytes;
import io.omendb.storage.KeyValue;
import io.omendb.storage.WriteBatch;
import org.apache.ratis.client.RaftClientConfigKeys;
import org.apache.ratis.client.RaftClient;
import org.apache.ratis.conf.RaftProperties;
import org.apache.ratis.protocol.RaftGroup;
import org.apache.ratis.protocol.RaftGroupId;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.protocol.RaftPeerId;
import org.apache.ratis.retry.ExponentialBackoffRetry;
import org.apache.ratis.retry.RetryPolicies;
import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;

import java.time.Duration;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.TimeUnit;
import java.util.function.Function;
import java.util.function.Supplier;

/**
 * The router's way into the cluster: routes each key to its range's Raft group using a cached range table read
 * from the meta group, and turns results and failures into small records and {@link ClientException}s.
 *
 * <p><b>Guarantees.</b> A write's future completes only after the command was committed by a quorum and applied
 * by the leader; its revision is the log index. Linearizable reads see every write acknowledged before they
 * started. Atomicity is per range: a batch must stay within one range, a delete-range spanning ranges is one atomic
 * command per range. Requests a replica refuses as routed by an out-of-date range table are re-routed while the
 * request's {@link Deadline} leaves room for another attempt ({@link Rerouter}). Every future completes (bounded by
 * {@link ClientOptions#retryAttemptsMax()} attempts of {@link ClientOptions#requestTimeoutMs()} each); failures are {@link ClientException}s, possibly wrapped in a
 * {@link java.util.concurrent.CompletionException}.
 *
 * <p><b>Roles.</b> This class validates arguments and turns answers into results; the rest is delegated:
 * {@link RangeRouter} (range-table cache and routing), {@link ChannelPool} (one {@link GroupChannel} per group, each
 * over {@link RatisGroupClients}), {@link ForwardAcceptor} (writes other routers forward to this node) and
 * {@link ClientThreads} (its named, bounded pools and the timer of every delay).
 *
 * <p><b>Threading.</b> Thread-safe. Channels are created lazily and replaced when the range's peers change.
 * Callbacks run on Ratis client threads; blocking admin calls addressed to a group's leader run on a small private
 * executor, those addressed to one node on that node's own bounded lanes ({@link NodeCalls}).
 */
public final class ClusterClient implements AutoCloseable {
    /** Leader-addressed retries: the first sleep, doubling up to {@link #RETRY_SLEEP_MAX} (each jittered 0.5-1.5x). */
    private static final TimeDuration RETRY_SLEEP_BASE = TimeDuration.valueOf(100, TimeUnit.MILLISECONDS);
    private static final TimeDuration RETRY_SLEEP_MAX = TimeDuration.valueOf(2, TimeUnit.SECONDS);
    /** Replica-addressed reads (stale reads, status, digests) fail fast: a dead replica is reported, not waited for. */
    static final int REPLICA_RETRY_ATTEMPTS_MAX = 3;
    static final TimeDuration REPLICA_RETRY_SLEEP = TimeDuration.valueOf(200, TimeUnit.MILLISECONDS);
    /**
     * Calls addressed to one node ({@link NodeCalls}) give up after this many attempts, each at most the request
     * timeout and at most a share of {@link ClientOptions#adminCallTimeoutMs()}, {@link #REPLICA_RETRY_SLEEP} apart:
     * the thread a call to a dead node holds is free again about when its caller gives up.
     */
    static final int NODE_CALL_ATTEMPTS_MAX = 2;
    /**
     * The deadline of requests made without one (admin tools, backup, tests): the router's default
     * {@code max_query_duration_ms}, so they are re-routed as long as an HTTP request would be.
     */
    public static final long REQUEST_DEADLINE_MS_DEFAULT = 5_000;
    private static final int META_SCAN_PAGE = 1000;
    private static final long TABLE_POLL_MS = 200;

    private final OmenConfig.Limits configLimits;
    private final RequestLimits limits;
    private final RangeRouter routing;
    private final ClientThreads threads = new ClientThreads();
    /** Completes with the first range table loaded ({@link #rangeTableLoaded()}); never fails. */
    private final CompletableFuture<RangeTable> firstTable = new CompletableFuture<>();
    private final CoalescingTallies coalescing = CoalescingTallies.create();
    private final MemberDirectory members;
    private final ChannelPool channels;
    private final NodeCalls<RaftClient> nodeCalls;
    private final ForwardAcceptor forwardsOrNull;
    private final ClusterAdmin admin;
    private final Rerouter rerouter;
    private final ClientOptions options;

    private ClusterClient(ClientOptions options) {
        this.options = options;
        this.configLimits = options.limits();
        this.limits = new RequestLimits(configLimits);
        this.routing = new RangeRouter(options.preferredReplica());
        RaftProperties properties = new RaftProperties();
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties,
                TimeDuration.valueOf(options.requestTimeoutMs(), TimeUnit.MILLISECONDS));
        RaftClientConfigKeys.Async.setOutstandingRequestsMax(properties, options.outstandingRequestsMax());
        RetryPolicy retryPolicy = leaderRetryPolicy(options.retryAttemptsMax());
        RatisGroupClients.Settings ratis = new RatisGroupClients.Settings(properties,
                RaftTls.parameters(options.tlsOrNull()), retryPolicy,
                RetryPolicies.retryUpToMaximumCountWithFixedSleep(REPLICA_RETRY_ATTEMPTS_MAX, REPLICA_RETRY_SLEEP),
                threads.reconnects());
        // an in-process attempt of a log entry times out like a Ratis client request
        GroupChannel.Settings channelSettings = new GroupChannel.Settings(options.commandBytesMax(),
                options.groupCommit(), coalescing, options.localServerOrNull(), retryPolicy, options.requestTimeoutMs(),
                threads.lingerTime(), threads.retryTime());
        this.members = new MemberDirectory(options.members());
        this.channels = new ChannelPool(members, ClusterLayout.metaGroupId(options.database()),
                options.metaPeers(), group -> new RatisGroupClients(group, ratis), channelSettings,
                group -> routing.routeOfGroupOrNull(group.getUuid()));
        this.nodeCalls = new NodeCalls<>(nodeClients(options, ratis), threads.retryTime(),
                options.adminCallTimeoutMs());
        this.rerouter = new Rerouter(this::refreshRangeTable, threads.retryTime());
        this.admin = new ClusterAdmin(this);
        this.forwardsOrNull = options.localServerOrNull() == null ? null
                : new ForwardAcceptor(options.localServerOrNull(), channels, routing, rerouter::refreshSoon);
    }

    public static ClusterClient connect(ClientOptions options) {
        return new ClusterClient(options);
    }

    public ClusterAdmin admin() {
        return admin;
    }

    /** What this client was built with (the members and the meta group's peers, for {@link NodeAdmin}). */
    ClientOptions options() {
        return options;
    }

    /**
     * Every cluster member this client knows: the configured ones, then those that registered in the meta group
     * (nodes that joined), as of the last read of the member registry ({@link #refreshMembersAndRangeTable()},
     * {@link #refreshMetaView()}, or a {@link #refreshRangeTable()} that met a peer it did not know).
     */
    public List<OmenConfig.Member> members() {
        return members.all();
    }

    /** Range {@code r}'s Raft group, with its peers' addresses as this client knows them ({@link #members()}). */
    public RaftGroup groupOf(RangeDescriptor r) {
        return channels.groupOf(r);
    }

    /** How much this client's writes and linearizable gets were grouped so far (for metrics). */
    public CoalescingTallies coalescing() {
        return coalescing;
    }

    /** Requests sent again, re-routed, after a replica refused them as routed by an old range table (metrics). */
    public long reroutes() {
        return rerouter.reroutes();
    }

    /** The request limits this client enforces ({@code [limits]}), for callers that shape requests to fit them. */
    public OmenConfig.Limits limits() {
        return configLimits;
    }

    // ---------------------------------------------------------------- range table

    /** The cached range table. Throws NOT_READY before the first successful {@link #refreshRangeTable()}. */
    public RangeTable rangeTable() {
        return routing.rangeTable();
    }

    /**
     * Completes when a range table is first cached (at once if one is): what requests arriving before it wait for,
     * within their own deadline. A copy: completing or cancelling it leaves the client's own untouched.
     */
    public CompletableFuture<RangeTable> rangeTableLoaded() {
        return firstTable.copy();
    }

    /**
     * Reads the range table from the meta group (linearizable) and caches it. The member registry is read too, first,
     * only when the table names a peer this client does not know (a node that joined), so that every peer the table
     * names can be reached once it is installed; otherwise a refresh (every re-route's, during splits and merges) is
     * one meta read. A known member's address never changes in the registry (a joined node's id is refused another
     * address; a configured member's address is its file's), so skipping the read misses nothing a route needs.
     */
    public CompletableFuture<RangeTable> refreshRangeTable() {
        return scanMeta(RangeDescriptorCodec.KEY_PREFIX, new ArrayList<>()).thenCompose(entries -> {
            List<RangeDescriptor> descriptors = entries.stream().map(kv -> RangeDescriptorCodec.decode(kv.value()))
                    .toList();
            if (descriptors.stream().allMatch(d -> d.peerIds().stream().allMatch(members::knows))) {
                return CompletableFuture.completedFuture(install(descriptors));
            }
            return admin.nodes().registeredMembers().thenApply(registered -> {
                members.learn(registered);
                return install(descriptors);
            });
        });
    }

    /**
     * As {@link #refreshRangeTable()}, and always learns the member registry too (one scan of the meta group): for
     * callers that list the members, which must include a node that joined but holds no replica yet.
     */
    public CompletableFuture<RangeTable> refreshMembersAndRangeTable() {
        return refreshMetaView().thenApply(MetaView::table);
    }

    /**
     * Reads the member registry, every merge tombstone and the range table (cached, as {@link #refreshRangeTable}) by
     * one linearizable scan of the meta group, paged like the table's: the registry's and the tombstones' key prefixes
     * sort before the table's, with only merge claims, node states and the range-id counter between them.
     */
    public CompletableFuture<MetaView> refreshMetaView() {
        return scanMeta(MemberRecordCodec.KEY_PREFIX, new ArrayList<>()).thenApply(entries -> {
            List<OmenConfig.Member> registered = new ArrayList<>();
            List<RangeDescriptor> descriptors = new ArrayList<>();
            List<MergeTombstone> tombstones = new ArrayList<>();
            for (KeyValue kv : entries) {
                if (Bytes.startsWith(kv.key(), RangeDescriptorCodec.KEY_PREFIX)) {
                    descriptors.add(RangeDescriptorCodec.decode(kv.value()));
                } else if (Bytes.startsWith(kv.key(), MergeTombstone.KEY_PREFIX)) {
                    tombstones.add(MergeTombstone.decode(kv.value()));
                } else if (Bytes.startsWith(kv.key(), MemberRecordCodec.KEY_PREFIX)) {
                    registered.add(MemberRecordCodec.decode(kv.key(), kv.value()));
                }
            }
            members.learn(registered);
            return new MetaView(install(descriptors), tombstones);
        });
    }

    private RangeTable install(List<RangeDescriptor> descriptors) {
        if (descriptors.isEmpty()) {
            throw new ClientException(ErrorCode.NOT_READY, "the meta group holds no ranges yet");
        }
        RangeTable t = new RangeTable(descriptors);
        routing.install(t);
        firstTable.complete(t);
        return t;
    }

    /** The meta group's entries from {@code from} to the end of the range table's prefix, page by page. */
    private CompletableFuture<List<KeyValue>> scanMeta(byte[] from, List<KeyValue> acc) {
        Query q = new Query.Scan(from, RangeDescriptorCodec.KEY_PREFIX_END, META_SCAN_PAGE);
        return channels.meta().read(q, ReadOptions.linearizable(), null).thenCompose(r -> {
            List<KeyValue> page = ((QueryResult.ScanPage) r).entries();
            acc.addAll(page);
            if (page.size() < META_SCAN_PAGE) {
                return CompletableFuture.completedFuture(acc);
            }
            return scanMeta(Bytes.successor(page.get(page.size() - 1).key()), acc);
        });
    }

    /** Polls the meta group until it holds a range table (a fresh cluster seeds it right after electing). */
    public RangeTable awaitRangeTable(Duration timeout) throws InterruptedException {
        long deadline = System.nanoTime() + timeout.toNanos();
        ClientException last = null;
        while (System.nanoTime() < deadline) {
            try {
                return refreshRangeTable().join();
            } catch (RuntimeException e) {
                last = e.getCause() instanceof ClientException ce ? ce : new ClientException(ErrorCode.UNAVAILABLE,
                        String.valueOf(e), e);
                Thread.sleep(TABLE_POLL_MS);
            }
        }
        throw new ClientException(ErrorCode.NOT_READY, "no range table within " + timeout, last);
    }

    // ---------------------------------------------------------------- writes

    public CompletableFuture<Results.WriteResult> put(byte[] key, byte[] value) {
        return put(key, value, defaultDeadline());
    }

    /** Writes {@code key}; range refusals are re-routed while {@code deadline} leaves time ({@link Rerouter}). */
    public CompletableFuture<Results.WriteResult> put(byte[] key, byte[] value, Deadline deadline) {
        return routed(deadline, () -> {
            limits.checkKey(key);
            limits.checkValue(value);
            RangeDescriptor r = routing.rangeForKey(key);
            return write(r, new Command.Put(key, value)).thenApply(res -> new Results.WriteResult(r.rangeId(),
                    revisionOf(res)));
        });
    }

    public CompletableFuture<Results.DeleteResult> delete(byte[] key) {
        return delete(key, defaultDeadline());
    }

    public CompletableFuture<Results.DeleteResult> delete(byte[] key, Deadline deadline) {
        return routed(deadline, () -> {
            limits.checkKey(key);
            RangeDescriptor r = routing.rangeForKey(key);
            return write(r, new Command.Delete(key)).thenApply(res -> {
                if (res instanceof CommandResult.Deleted d) {
                    return new Results.DeleteResult(r.rangeId(), d.revision(), d.existed());
                }
                throw outcomeUnknown(res);
            });
        });
    }

    /** An atomic batch; every key must fall in one range (else CROSS_RANGE_BATCH). */
    public CompletableFuture<Results.WriteResult> batch(List<WriteBatch.Op> ops) {
        return batch(ops, defaultDeadline());
    }

    public CompletableFuture<Results.WriteResult> batch(List<WriteBatch.Op> ops, Deadline deadline) {
        return routed(deadline, () -> {
            limits.checkBatch(ops);
            RangeDescriptor r = routing.rangeOfBatch(ops);
            return write(r, new Command.Batch(ops)).thenApply(res -> new Results.WriteResult(r.rangeId(),
                    revisionOf(res)));
        });
    }

    /**
     * Sets {@code key} to {@code newValue} (deletes it when null) iff its current value equals {@code expected}
     * ({@code null}: must be absent). Decided at apply time, identically on every replica.
     */
    public CompletableFuture<Results.CasResult> compareAndSet(byte[] key, byte[] expected, byte[] newValue) {
        return compareAndSet(key, expected, newValue, defaultDeadline());
    }

    public CompletableFuture<Results.CasResult> compareAndSet(byte[] key, byte[] expected, byte[] newValue,
                                                             Deadline deadline) {
        return routed(deadline, () -> {
            limits.checkKey(key);
            if (newValue != null) {
                limits.checkValue(newValue);
            }
            RangeDescriptor r = routing.rangeForKey(key);
            return write(r, new Command.CompareAndSet(key, expected, newValue)).thenApply(res -> {
                if (res instanceof CommandResult.CasOutcome c) {
                    return new Results.CasResult(r.rangeId(), c.revision(), c.succeeded(), c.current());
                }
                throw outcomeUnknown(res);
            });
        });
    }

    /** Deletes {@code [start, end)}: one atomic command per range it overlaps, in key order. */
    public CompletableFuture<List<Results.WriteResult>> deleteRange(byte[] start, byte[] end) {
        return routed(defaultDeadline(), () -> {
            limits.checkKey(start);
            limits.checkKey(end);
            if (Bytes.compare(start, end) >= 0) {
                throw new ClientException(ErrorCode.INVALID_ARGUMENT, "delete-range needs start < end");
            }
            List<CompletableFuture<Results.WriteResult>> parts = new ArrayList<>();
            for (RangeDescriptor r : rangeTable().ranges()) {
                byte[] s = max(start, r.start());
                byte[] e = r.end() == null ? end : min(end, r.end());
                if (Bytes.compare(s, e) < 0) {
                    parts.add(write(r, new Command.DeleteRange(s, e)).thenApply(res ->
                            new Results.WriteResult(r.rangeId(), revisionOf(res))));
                }
            }
            return CompletableFuture.allOf(parts.toArray(CompletableFuture[]::new))
                    .thenApply(v -> parts.stream().map(CompletableFuture::join).toList());
        });
    }

    // ---------------------------------------------------------------- reads

    public CompletableFuture<Results.ReadResult> get(byte[] key, ReadOptions readOptions) {
        return get(key, readOptions, defaultDeadline());
    }

    public CompletableFuture<Results.ReadResult> get(byte[] key, ReadOptions readOptions, Deadline deadline) {
        return routed(deadline, () -> {
            limits.checkKey(key);
            RangeDescriptor r = routing.rangeForKey(key);
            return read(r, new Query.Get(key), readOptions).thenApply(res -> {
                QueryResult.Value v = (QueryResult.Value) res;
                return new Results.ReadResult(r.rangeId(), v.value(), v.appliedIndex());
            });
        });
    }

    /**
     * Up to {@code limit} entries of range {@code rangeId} within {@code [start, end)} ({@code end == null}:
     * unbounded), from one consistent state of one replica. Continue with {@link Results.ScanResult#nextStart()}.
     */
    public CompletableFuture<Results.ScanResult> scanRange(long rangeId, byte[] start, byte[] end, int limit,
                                                           ReadOptions readOptions) {
        return routed(defaultDeadline(), () -> scanIn(routing.rangeOrThrow(rangeId), start, end, limit, readOptions));
    }

    /**
     * Up to {@code limit} entries of {@code [start, end)} from the range holding {@code start}, as the table is when
     * the page is read (re-routed after a split or merge); continue with {@link Results.ScanResult#nextStart()}, then
     * from {@link Results.ScanResult#rangeEnd()}.
     */
    public CompletableFuture<Results.ScanResult> scanFrom(byte[] start, byte[] end, int limit, ReadOptions readOptions) {
        return scanFrom(start, end, limit, readOptions, defaultDeadline());
    }

    public CompletableFuture<Results.ScanResult> scanFrom(byte[] start, byte[] end, int limit, ReadOptions readOptions,
                                                          Deadline deadline) {
        return routed(deadline, () -> scanIn(routing.rangeForKey(start), start, end, limit, readOptions));
    }

    private CompletableFuture<Results.ScanResult> scanIn(RangeDescriptor r, byte[] start, byte[] end, int limit,
                                                         ReadOptions readOptions) {
        limits.checkScanLimit(limit);
        byte[] s = max(start == null ? new byte[0] : start, r.start());
        byte[] e = end == null ? r.end() : r.end() == null ? end : min(end, r.end());
        if (e != null && Bytes.compare(s, e) >= 0) {
            return CompletableFuture.completedFuture(new Results.ScanResult(r.rangeId(), List.of(), null, r.end(), -1));
        }
        return read(r, new Query.Scan(s, e, limit), readOptions).thenApply(res -> {
            QueryResult.ScanPage p = (QueryResult.ScanPage) res;
            byte[] next = p.entries().size() < limit ? null
                    : Bytes.successor(p.entries().get(p.entries().size() - 1).key());
            return new Results.ScanResult(r.rangeId(), p.entries(), next, r.end(), p.appliedIndex());
        });
    }

    // ---------------------------------------------------------------- plumbing shared with ClusterAdmin

    CompletableFuture<CommandResult> write(RangeDescriptor r, Command command) {
        return channels.channel(r).write(command);
    }

    CompletableFuture<QueryResult> read(RangeDescriptor r, Query query, ReadOptions readOptions) {
        String replica = routing.replicaFor(r, readOptions);
        return channels.channel(r).read(query, readOptions, replica == null ? null : RaftPeerId.valueOf(replica));
    }

    RangeRouter routing() {
        return routing;
    }

    ChannelPool channels() {
        return channels;
    }

    ClientThreads threads() {
        return threads;
    }

    ExecutorService adminExecutor() {
        return threads.admin();
    }

    /** Blocking calls addressed to one node, each node on its own bounded lanes. */
    NodeCalls<RaftClient> nodeCalls() {
        return nodeCalls;
    }

    /**
     * Makes the Ratis client of one node's calls: a group of that node alone (group management requests name their
     * group themselves), attempts of at most the request timeout and a share of the admin call timeout, and a retry
     * policy that gives up after {@link #NODE_CALL_ATTEMPTS_MAX} attempts.
     */
    private Function<String, RaftClient> nodeClients(ClientOptions options, RatisGroupClients.Settings ratis) {
        long attemptMs = Math.max(1, Math.min(options.requestTimeoutMs(), (options.adminCallTimeoutMs()
                - REPLICA_RETRY_SLEEP.toLong(TimeUnit.MILLISECONDS)) / NODE_CALL_ATTEMPTS_MAX));
        RaftProperties properties = new RaftProperties(ratis.properties());
        RaftClientConfigKeys.Rpc.setRequestTimeout(properties, TimeDuration.valueOf(attemptMs, TimeUnit.MILLISECONDS));
        RatisGroupClients.Settings bounded = new RatisGroupClients.Settings(properties, ratis.parameters(),
                RetryPolicies.retryUpToMaximumCountWithFixedSleep(NODE_CALL_ATTEMPTS_MAX, REPLICA_RETRY_SLEEP),
                ratis.replicaRetryPolicy(), ratis.reconnects());
        return nodeId -> bounded.newClient(RaftGroup.valueOf(RaftGroupId.randomId(), channels.peer(nodeId)),
                bounded.leaderRetryPolicy(), 0);
    }

    /**
     * Retries of leader-addressed requests and of log entries ({@link LeaderPath}): sleeps doubling from 200 ms to
     * 2 s, each scaled by a random 0.5–1.5, for {@code attemptsMax} attempts in all.
     */
    static RetryPolicy leaderRetryPolicy(int attemptsMax) {
        return ExponentialBackoffRetry.newBuilder().setBaseSleepTime(RETRY_SLEEP_BASE)
                .setMaxSleepTime(RETRY_SLEEP_MAX).setMaxAttempts(attemptsMax).build();
    }

    private static long revisionOf(CommandResult res) {
        return res.revision();
    }

    private static ClientException outcomeUnknown(CommandResult res) {
        return new ClientException(ErrorCode.OUTCOME_UNKNOWN, "the write at revision " + res.revision()
                + " was answered from a log replay; read the key to learn its outcome");
    }

    /**
     * Runs {@code body} as {@link #call} does, again (routed afresh) after a replica refused it as routed by an
     * out-of-date table, while {@code deadline} leaves time for another attempt ({@link Rerouter}).
     */
    private <T> CompletableFuture<T> routed(Deadline deadline, Supplier<CompletableFuture<T>> body) {
        return rerouter.run(() -> call(body), deadline);
    }

    /**
     * A deadline {@code timeoutMs} from now on this client's clock: what a caller with a deadline of its own (the
     * router's {@code max_query_duration_ms}) passes, so that range refusals are answered before it passes.
     */
    public Deadline deadlineIn(long timeoutMs) {
        return Deadline.in(threads.retryTime(), timeoutMs);
    }

    private Deadline defaultDeadline() {
        return deadlineIn(REQUEST_DEADLINE_MS_DEFAULT);
    }

    /** Runs {@code body}, turning argument errors thrown before anything is sent into a failed future. */
    private static <T> CompletableFuture<T> call(Supplier<CompletableFuture<T>> body) {
        try {
            return body.get();
        } catch (ClientException e) {
            return CompletableFuture.failedFuture(e);
        }
    }


    private static byte[] max(byte[] a, byte[] b) {
        return Bytes.compare(a, b) >= 0 ? a : b;
    }

    private static byte[] min(byte[] a, byte[] b) {
        return Bytes.compare(a, b) <= 0 ? a : b;
    }

    @Override
    public void close() {
        if (forwardsOrNull != null) {
            forwardsOrNull.close();
        }
        threads.close();
        nodeCalls.close();
        channels.close();
    }
}
