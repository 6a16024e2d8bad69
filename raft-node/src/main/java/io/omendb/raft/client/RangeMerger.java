package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.MergeIntent;
import io.omendb.raft.meta.MergeTombstone;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeDescriptorCodec;
import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.Bytes;
import io.omendb.storage.KeyValue;

import java.time.Clock;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;
import java.util.function.Function;
import java.util.function.LongSupplier;

/**
 * Merges a range (the target) with its right neighbour (the source) by copying the source's records through the
 * target's Raft log; the meta group's range table is the one place that decides whether the merge happened.
 *
 * <p><b>Steps</b> (docs/ARCHITECTURE.md, "Range merges"): (1) both ranges' logs must record the descriptors the table
 * has (a range that is still changing shape is refused, CONFLICT), and the merge claims the target in the meta group
 * ({@link MergeIntent}; another merge into it: CONFLICT); (2) <em>pre-copy</em>, while the source still takes
 * writes: its records are read from its leader ({@link Query.MergeSource}) and written into the target as
 * {@link Command.MergeData} entries of at most {@link #CHUNK_BYTES_MAX}, the first of which fences the target to this
 * merge's id (the meta group's log index of its claim, so a merge claimed later has a later id); then unfrozen
 * catch-up passes (step 4's comparison, each writing what changed during the one before)
 * until one writes at most {@link #CONVERGED_BYTES_MAX} or {@link #UNFROZEN_PASSES_MAX} ran; (3)
 * {@link Command.PrepareMerge} freezes the source: its epoch rises above the table's, so every request
 * routed by the table is refused and retried; (4) <em>catch-up</em>, frozen: the digests of the source's records
 * are read (linearizable, so every write it acknowledged before the freeze is read) and compared, page by page, with
 * the digests of what the target holds beyond its descriptor ({@link Query.MergeCopied}); the records whose digests
 * differ are read from the source ({@link Query.MergeRecords}) and written, and the keys the source no longer holds
 * deleted, so the freeze lasts two reads of keys and digests plus the last unfrozen pass's worth of changes rather
 * than the whole copy; (5) one compare-and-set in the meta group replaces both descriptors by
 * the union (a higher epoch), records a {@link MergeTombstone} for the source and removes the claim — the commit
 * point; (6) {@link Command.CommitMerge} widens the target's descriptor; (7) the boundary's operator mark (a sticky
 * split point) is cleared and the source's replicas are deleted.
 *
 * <p><b>Why the copy is exact.</b> After the freeze the source changes no more. The target's copied records change
 * only by this merge's chunks: its fence refuses chunks of any other merge and the first chunk of any merge claimed
 * before it (a late one of an abandoned merge, even one landing after this merge's last chunk), and the
 * claim keeps any other live merge from starting a copy (a merge whose claim expired and was taken over finds its
 * chunks refused, or its commit point failing). So once the catch-up has written every difference, the target holds
 * exactly the frozen source's records.
 *
 * <p><b>Failure.</b> Any failure before the commit point abandons the merge: the claim is released and, once the
 * source was frozen, its table epoch is raised to its frozen epoch ({@link ClusterAdmin#unfreeze}), which both unfreezes
 * it and makes a late commit by this merge fail (its compare-and-set expects the old descriptor). The records already
 * copied stay invisible beyond the target's descriptor and are deleted by the next merge's first chunk. A proposer that
 * dies leaves either a frozen source (each node's reconciler unfreezes it after
 * {@code MergeFollowUp#FROZEN_ABANDON_AFTER_MS}) or a committed merge whose steps 6-7 are not done (each node's
 * reconciler finishes them from the tombstone), and a claim that expires after {@link #CLAIM_LEASE_MS}. Nothing here
 * is lost on a crash: the table's compare-and-set is atomic and every other step is idempotent.
 *
 * <p><b>Cost.</b> Copies the source's bytes once through the target's log (replicated to its peers), plus what
 * changed during the pre-copy: merges are for small ranges ({@code [ranges] merge_size_mb}); a source above
 * {@link #SOURCE_BYTES_MAX} is refused while copying. Unlike a zero-copy merge it needs neither the same members for
 * both ranges nor the source's replicas to be caught up on the target's nodes. Thread-safe; holds no thread while it
 * waits; claim tokens come from the injected supplier, claim expiry from the injected clock.
 */
final class RangeMerger {
    /** Bytes of keys and values one {@link Command.MergeData} entry carries at most (one record may exceed it). */
    static final int CHUNK_BYTES_MAX = 1 << 20;
    /** Records one {@link Query.MergeSource} page reads (its chunks are written concurrently). */
    static final int PAGE_KEYS = 4_096;
    /** Largest source (bytes of keys and values) a merge copies; larger ones are abandoned, INVALID_ARGUMENT. */
    static final long SOURCE_BYTES_MAX = 256L << 20;
    /** How long a merge's claim on its target holds before another merge may take it over (a merge's deadline). */
    static final long CLAIM_LEASE_MS = 120_000;
    /** Unfrozen catch-up passes at most before the freeze (each writes what changed during the one before). */
    static final int UNFROZEN_PASSES_MAX = 4;
    /** An unfrozen pass that wrote at most this many bytes leaves little enough for the frozen one: freeze next. */
    static final long CONVERGED_BYTES_MAX = 256 << 10;

    private final ClusterClient client;
    private final ClusterAdmin admin;
    private final LongSupplier claimTokens;
    private final Clock clock;

    /**
     * @param claimTokens a new token per merge attempt, which makes its claim's value its own (random: the tokens of
     *                    two attempts must differ, or a merge could commit on a claim another took over)
     */
    RangeMerger(ClusterClient client, ClusterAdmin admin, LongSupplier claimTokens, Clock clock) {
        this.client = client;
        this.admin = admin;
        this.claimTokens = claimTokens;
        this.clock = clock;
    }

    CompletableFuture<Results.MergeResult> merge(long rangeId) {
        long startNanos = System.nanoTime();
        return client.refreshRangeTable().thenCompose(table -> {
            RangeDescriptor target = table.byId(rangeId).orElseThrow(() ->
                    new ClientException(ErrorCode.NOT_FOUND, "no range with id " + rangeId));
            if (target.end() == null) {
                throw new ClientException(ErrorCode.INVALID_ARGUMENT, "range " + rangeId + " is the last range: it has "
                        + "no right neighbour to merge with (merge its left neighbour instead)");
            }
            RangeDescriptor source = table.rangeForKey(target.end());
            MergeIntent claim = new MergeIntent(claimTokens.getAsLong(), clock.millis() + CLAIM_LEASE_MS);
            return admin.recordDescriptorIfAbsent(target.rangeId())
                    .thenCombine(admin.recordDescriptorIfAbsent(source.rangeId()), (t, s) -> {
                        requireSettled(target, t);
                        requireSettled(source, s);
                        return t;
                    })
                    .thenCompose(recordedTarget -> claim(target, claim)
                            .thenApply(claimIndex -> new Copy(target, source, Command.MergeData.idOfClaim(claimIndex)))
                            .thenCompose(copy -> preCopyAndFreeze(target, source, claim, copy).thenApply(v -> copy))
                            .thenCompose(copy -> {
                                long frozenNanos = System.nanoTime();
                                return admin.recordedDescriptor(source.rangeId()).thenCompose(frozen ->
                                        commitOrAbandon(target, recordedTarget, source, frozen, claim, copy))
                                        .thenApply(merged -> new Committed(merged,
                                                (System.nanoTime() - frozenNanos) / 1_000_000, copy));
                            }))
                    .thenCompose(committed -> finish(committed.merged(), target.end(), source)
                            .handle((index, failure) -> {
                                synchronized (committed.copy()) {
                                    return new Results.MergeResult(committed.merged(), source,
                                            committed.copy().records, committed.copy().bytes,
                                            (System.nanoTime() - startNanos) / 1_000_000, committed.frozenMs());
                                }
                            }));
        });
    }

    /**
     * Unfrozen catch-up passes, each writing what changed during the one before, until one writes at most
     * {@link #CONVERGED_BYTES_MAX} or {@link #UNFROZEN_PASSES_MAX} ran: the frozen pass then has only the last one's
     * changes to write (a pass compares digests, so it costs the changes, not the range).
     */
    private CompletableFuture<Void> converge(Copy copy, int pass) {
        long before = copy.bytesWritten();
        return copy.catchUp().thenCompose(v -> copy.bytesWritten() - before <= CONVERGED_BYTES_MAX
                || pass >= UNFROZEN_PASSES_MAX ? CompletableFuture.completedFuture(null) : converge(copy, pass + 1));
    }

    /**
     * The pre-copy and the unfrozen catch-up passes, then the freeze; on a failure the claim is released (nothing was
     * frozen or committed).
     */
    private CompletableFuture<Void> preCopyAndFreeze(RangeDescriptor target, RangeDescriptor source,
                                                     MergeIntent claim, Copy copy) {
        CompletableFuture<Void> frozen = copy.preCopy()
                .thenCompose(v -> converge(copy, 1))
                .thenCompose(w -> client.write(source, new Command.PrepareMerge(target.rangeId())))
                .handle((res, failure) -> {
                    if (failure != null) {
                        throw refusedAsConflict(source, failure);
                    }
                    return null;
                });
        return frozen.handle((v, failure) -> failure == null ? CompletableFuture.<Void>completedFuture(null)
                        : release(target, claim).<Void>thenApply(r -> {
                            throw abandoned(target, source, failure);
                        }))
                .thenCompose(Function.identity());
    }

    /** The union as the table records it, how long the source was frozen until then, and what was copied. */
    private record Committed(RangeDescriptor merged, long frozenMs, Copy copy) {
    }

    /**
     * Takes the claim on {@code target} for this merge: absent, or expired by this node's clock; else CONFLICT.
     * Completes with the meta group's log index of the claim, which orders this merge after every merge claimed
     * before it ({@link Command.MergeData#idOfClaim}).
     */
    private CompletableFuture<Long> claim(RangeDescriptor target, MergeIntent claim) {
        byte[] key = MergeIntent.key(target.rangeId());
        return client.channels().meta().read(new Query.Get(key), ReadOptions.linearizable(), null).thenCompose(res -> {
            byte[] held = ((QueryResult.Value) res).value();
            if (held != null && MergeIntent.decode(held).expiresAtMs() > clock.millis()) {
                throw new ClientException(ErrorCode.CONFLICT, "range " + target.rangeId() + " is the target of "
                        + "another merge in progress (claim " + MergeIntent.decode(held).token() + "); retry once "
                        + "it finished");
            }
            return client.channels().meta().write(new Command.CompareAndSet(key, held, claim.encode()))
                    .thenApply(w -> {
                        if (!(w instanceof CommandResult.CasOutcome c) || !c.succeeded()) {
                            throw new ClientException(ErrorCode.CONFLICT, "range " + target.rangeId() + " became "
                                    + "the target of another merge; retry once it finished");
                        }
                        return c.revision();
                    });
        });
    }

    /** Gives the claim back (if this merge still holds it); never fails: an unreleased claim expires. */
    private CompletableFuture<Void> release(RangeDescriptor target, MergeIntent claim) {
        return client.channels().meta().write(new Command.CompareAndSet(MergeIntent.key(target.rangeId()),
                claim.encode(), null)).handle((res, e) -> null);
    }

    private static ClientException abandoned(RangeDescriptor target, RangeDescriptor source, Throwable failure) {
        Throwable cause = Failures.unwrap(failure);
        if (cause instanceof ClientException c && c.code() != ErrorCode.UNAVAILABLE) {
            return new ClientException(c.code(), "merge of range " + source.rangeId() + " into range "
                    + target.rangeId() + " abandoned, nothing changed: " + c.getMessage(), c);
        }
        return new ClientException(ErrorCode.CONFLICT, "merge of range " + source.rangeId() + " into range "
                + target.rangeId() + " abandoned, nothing changed: " + cause, cause);
    }

    /** A refused freeze (the right range changed since the table was read) as CONFLICT; other failures as they are. */
    private static RuntimeException refusedAsConflict(RangeDescriptor source, Throwable failure) {
        Throwable cause = Failures.unwrap(failure);
        if (cause instanceof ClientException c && c.code() == ErrorCode.RANGE_MOVED) {
            return new ClientException(ErrorCode.CONFLICT, "range " + source.rangeId() + " changed before it could be "
                    + "frozen for the merge (" + c.getMessage() + "); nothing changed, retry", c);
        }
        return cause instanceof RuntimeException r ? r : new CompletionException(cause);
    }

    /** A range whose log records exactly the table's bounds, at no higher epoch: not in the middle of a change. */
    private static void requireSettled(RangeDescriptor table, RangeBounds recorded) {
        if (recorded == null || !Arrays.equals(recorded.start(), table.start())
                || !Arrays.equals(recorded.end(), table.end()) || recorded.epoch() > table.epoch()) {
            throw new ClientException(ErrorCode.CONFLICT, "range " + table.rangeId() + " is changing shape (its log "
                    + "records " + recorded + ", the table " + table.bounds() + "); retry once it settled");
        }
    }

    /** Catches up and commits; on any failure releases the claim, unfreezes the source and fails with the reason. */
    private CompletableFuture<RangeDescriptor> commitOrAbandon(RangeDescriptor target, RangeBounds recordedTarget,
                                                               RangeDescriptor source, RangeBounds frozen,
                                                               MergeIntent claim, Copy copy) {
        return CompletableFuture.completedFuture(frozen)
                .thenCompose(f -> catchUpAndCommit(target, recordedTarget, source, f, claim, copy))
                .handle((merged, failure) -> failure == null ? CompletableFuture.completedFuture(merged)
                        : release(target, claim)
                                .thenCompose(v -> admin.unfreeze(source.rangeId(), frozen == null ? 0 : frozen.epoch()))
                                .<RangeDescriptor>handle((v, e) -> {
                                    throw abandoned(target, source, failure);
                                }))
                .thenCompose(f -> f);
    }

    private CompletableFuture<RangeDescriptor> catchUpAndCommit(RangeDescriptor target, RangeBounds recordedTarget,
                                                                RangeDescriptor source, RangeBounds frozen,
                                                                MergeIntent claim, Copy copy) {
        if (frozen == null || frozen.epoch() <= source.epoch()) {
            throw new ClientException(ErrorCode.CONFLICT, "range " + source.rangeId() + " did not freeze (it records "
                    + frozen + ")");
        }
        return copy.catchUp().thenCompose(v -> {
            long epoch = Math.max(Math.max(target.epoch(), recordedTarget.epoch()), frozen.epoch()) + 1;
            RangeDescriptor merged = new RangeDescriptor(target.rangeId(), target.start(), source.end(),
                    target.groupId(), target.peerIds(), epoch);
            MergeTombstone tombstone = new MergeTombstone(source.rangeId(), target.rangeId(), source.start(), epoch);
            return client.channels().meta().write(new Command.CompareAndSetAll(List.of(
                    new Command.CompareAndSet(RangeDescriptorCodec.key(target.rangeId()),
                            RangeDescriptorCodec.encode(target), RangeDescriptorCodec.encode(merged)),
                    new Command.CompareAndSet(RangeDescriptorCodec.key(source.rangeId()),
                            RangeDescriptorCodec.encode(source), null),
                    new Command.CompareAndSet(MergeTombstone.key(source.rangeId()), null, tombstone.encode()),
                    new Command.CompareAndSet(MergeIntent.key(target.rangeId()), claim.encode(), null))))
                    .thenApply(res -> {
                        if (!(res instanceof CommandResult.CasOutcome c) || !c.succeeded()) {
                            throw new ClientException(ErrorCode.CONFLICT, "the range table (or the merge's claim on "
                                    + "range " + target.rangeId() + ") changed while merging");
                        }
                        return merged;
                    });
        });
    }

    /**
     * Steps after the commit point, each idempotent (a node's reconciler redoes them when this proposer dies): the
     * target's log widens its descriptor, the source's replicas are deleted (started, not waited for: closing a Raft
     * group takes a while and the union serves already). Completes with the entry's index.
     */
    CompletableFuture<Long> finish(RangeDescriptor merged, byte[] sourceStart, RangeDescriptor source) {
        return client.refreshRangeTable()
                .thenCompose(t -> client.write(merged, new Command.CommitMerge(merged.bounds(), sourceStart)))
                .thenCompose(res -> client.channels().meta().write(new Command.Delete(
                                RangeDescriptorCodec.stickySplitKey(sourceStart)))
                        .thenApply(v -> {
                            deleteReplicas(source); // not waited for: the union serves already (a peer that misses
                            return res.revision();  // it deletes its replica in its reconciling pass)
                        }));
    }

    /** Deletes the source's replica on each of its peers; a peer that does not answer is left to its reconciler. */
    CompletableFuture<Void> deleteReplicas(RangeDescriptor source) {
        List<CompletableFuture<Void>> deletes = new ArrayList<>();
        for (String peer : source.peerIds()) {
            deletes.add(admin.deleteReplica(source, peer).<Void>thenApply(reply -> null).exceptionally(t -> null));
        }
        return CompletableFuture.allOf(deletes.toArray(CompletableFuture[]::new));
    }

    /** One {@link Command.MergeData} entry's worth: records to write, keys to delete. */
    private record Chunk(List<KeyValue> puts, List<byte[]> deletes) {
        boolean isEmpty() {
            return puts.isEmpty() && deletes.isEmpty();
        }
    }

    /**
     * One step of a pass over the source: the chunks to write, and where the next step reads from ({@code last}: this
     * step read the end of the source).
     */
    private record Step(List<Chunk> chunks, byte[] next, boolean last) {
    }

    /**
     * The copy of one source into one target, in two passes over the source. The pre-copy's first chunk (it clears what
     * an abandoned merge left and fences the target to this merge) is written alone; after it, the chunks of a step are
     * written concurrently while the next step is read: they hold distinct keys, so their order in the target's log
     * does not matter, and a pass costs about one Raft round per page rather than one per chunk plus one per read.
     */
    private final class Copy {
        private final RangeDescriptor target;
        private final RangeDescriptor source;
        private final long mergeId;
        long records;
        long bytes;

        Copy(RangeDescriptor target, RangeDescriptor source, long mergeId) {
            this.target = target;
            this.source = source;
            this.mergeId = mergeId;
        }

        synchronized long bytesWritten() {
            return bytes;
        }

        /** Pass 1, while the source takes writes: every record it holds (values, not digests). */
        CompletableFuture<Void> preCopy() {
            return preCopyStep(source.start()).thenCompose(step -> write(step.chunks().get(0), true)
                    .thenCompose(v -> pump(this::preCopyStep, new Step(step.chunks().subList(1, step.chunks().size()),
                            step.next(), step.last()), CompletableFuture.completedFuture(null))));
        }

        /** Pass 2, the source frozen: what differs between its records and the target's copy of them. */
        CompletableFuture<Void> catchUp() {
            return catchUpStep(source.start()).thenCompose(step -> pump(this::catchUpStep, step,
                    CompletableFuture.completedFuture(null)));
        }

        /**
         * Starts writing {@code step}'s chunks and reads the next step meanwhile; once it is read and the writes of the
         * step before are done, goes on with it. At most two steps' writes are in flight.
         */
        private CompletableFuture<Void> pump(Function<byte[], CompletableFuture<Step>> read, Step step,
                                             CompletableFuture<Void> previousWrites) {
            CompletableFuture<Void> written = CompletableFuture.allOf(step.chunks().stream().map(c -> write(c, false))
                    .toArray(CompletableFuture[]::new));
            if (step.last()) {
                return previousWrites.thenCombine(written, (a, b) -> null);
            }
            return previousWrites.thenCombine(read.apply(step.next()), (v, next) -> next)
                    .thenCompose(next -> pump(read, next, written));
        }

        private CompletableFuture<Step> preCopyStep(byte[] from) {
            return sourcePage(from, false).thenApply(page -> new Step(chunks(page, List.of()), nextOf(page),
                    page.isEmpty()));
        }

        /**
         * The digests of the source's page from {@code from} and of the target's copy of the same keys ({@code [from,
         * the key after the page's last)}, or up to the source's end after its last page), compared; then the values
         * of the records that differ, read from the source: what the step writes.
         */
        private CompletableFuture<Step> catchUpStep(byte[] from) {
            return sourcePage(from, true).thenCompose(page -> copied(from, page.isEmpty() ? source.end()
                    : nextOf(page), new ArrayList<>()).thenCompose(copied -> {
                        Diff d = diff(page, copied);
                        List<byte[]> deletes = new ArrayList<>(d.deleted());
                        return values(d.changed(), 0, new ArrayList<>(), deletes).thenApply(records -> new Step(
                                chunks(records, deletes), nextOf(page), page.isEmpty()));
                    }));
        }

        private CompletableFuture<List<KeyValue>> sourcePage(byte[] from, boolean digests) {
            return client.read(source, new Query.MergeSource(from, PAGE_KEYS, digests), ReadOptions.linearizable())
                    .thenApply(res -> ((QueryResult.ScanPage) res).entries());
        }

        /**
         * The source's records of {@code keys} from the {@code from}-th on, added to {@code into}: each answer covers
         * a prefix of the keys asked (about 4 MiB of values); a key the source does not hold goes to {@code gone}.
         */
        private CompletableFuture<List<KeyValue>> values(List<byte[]> keys, int from, List<KeyValue> into,
                                                         List<byte[]> gone) {
            if (from == keys.size()) {
                return CompletableFuture.completedFuture(into);
            }
            List<byte[]> asked = keys.subList(from, keys.size());
            return client.read(source, new Query.MergeRecords(asked), ReadOptions.linearizable()).thenCompose(res -> {
                List<byte[]> values = ((QueryResult.Values) res).values();
                for (int i = 0; i < values.size(); i++) {
                    if (values.get(i) != null) {
                        into.add(new KeyValue(asked.get(i), values.get(i)));
                    } else {
                        gone.add(asked.get(i));
                    }
                }
                if (values.isEmpty()) {
                    throw new ClientException(ErrorCode.UNAVAILABLE, "range " + source.rangeId() + " answered no "
                            + "record of the " + asked.size() + " asked");
                }
                return values(keys, from + values.size(), into, gone);
            });
        }

        /** Every record (or digest) the target holds beyond its descriptor in {@code [from, to)}, added to {@code into}. */
        private CompletableFuture<List<KeyValue>> copied(byte[] from, byte[] to, List<KeyValue> into) {
            return client.read(target, new Query.MergeCopied(from, to, PAGE_KEYS, true), ReadOptions.linearizable())
                    .thenCompose(res -> {
                        List<KeyValue> page = ((QueryResult.ScanPage) res).entries();
                        if (page.isEmpty()) {
                            return CompletableFuture.completedFuture(into);
                        }
                        into.addAll(page);
                        return copied(nextOf(page), to, into);
                    });
        }

        private static byte[] nextOf(List<KeyValue> page) {
            return page.isEmpty() ? null : Bytes.successor(page.get(page.size() - 1).key());
        }

        /** What makes a copy equal to its source: the keys whose records to (re)write, the keys to delete. */
        private record Diff(List<byte[]> changed, List<byte[]> deleted) {
        }

        /** The keys whose digests differ between {@code source} and {@code copied} (both sorted by key). */
        private static Diff diff(List<KeyValue> source, List<KeyValue> copied) {
            List<byte[]> puts = new ArrayList<>();
            List<byte[]> deletes = new ArrayList<>();
            int i = 0;
            int j = 0;
            while (i < source.size() || j < copied.size()) {
                int cmp = i == source.size() ? 1 : j == copied.size() ? -1
                        : Bytes.compare(source.get(i).key(), copied.get(j).key());
                if (cmp < 0) {
                    puts.add(source.get(i++).key());
                } else if (cmp > 0) {
                    deletes.add(copied.get(j++).key());
                } else {
                    if (!Arrays.equals(source.get(i).value(), copied.get(j).value())) {
                        puts.add(source.get(i).key());
                    }
                    i++;
                    j++;
                }
            }
            return new Diff(puts, deletes);
        }

        /** {@code puts} and {@code deletes} cut into chunks of at most {@link #CHUNK_BYTES_MAX}; one (maybe empty) at least. */
        private static List<Chunk> chunks(List<KeyValue> puts, List<byte[]> deletes) {
            List<Chunk> out = new ArrayList<>();
            List<KeyValue> chunkPuts = new ArrayList<>();
            List<byte[]> chunkDeletes = new ArrayList<>();
            long chunkBytes = 0;
            for (int n = 0; n < puts.size() + deletes.size(); n++) {
                long size = n < puts.size() ? size(puts.get(n)) : deletes.get(n - puts.size()).length;
                if (chunkBytes > 0 && chunkBytes + size > CHUNK_BYTES_MAX) {
                    out.add(new Chunk(chunkPuts, chunkDeletes));
                    chunkPuts = new ArrayList<>();
                    chunkDeletes = new ArrayList<>();
                    chunkBytes = 0;
                }
                if (n < puts.size()) {
                    chunkPuts.add(puts.get(n));
                } else {
                    chunkDeletes.add(deletes.get(n - puts.size()));
                }
                chunkBytes += size;
            }
            out.add(new Chunk(chunkPuts, chunkDeletes));
            return out;
        }

        private CompletableFuture<?> write(Chunk chunk, boolean first) {
            if (chunk.isEmpty() && !first) {
                return CompletableFuture.completedFuture(null);
            }
            synchronized (this) {
                records += chunk.puts().size() + chunk.deletes().size();
                bytes += chunk.puts().stream().mapToLong(Copy::size).sum()
                        + chunk.deletes().stream().mapToLong(k -> k.length).sum();
                if (bytes > SOURCE_BYTES_MAX) {
                    return CompletableFuture.failedFuture(new ClientException(ErrorCode.INVALID_ARGUMENT, "range "
                            + source.rangeId() + " holds more than " + SOURCE_BYTES_MAX + " bytes; merges copy the "
                            + "right range and are for small ranges"));
                }
            }
            return client.write(target, new Command.MergeData(source.start(), source.end(), first, mergeId,
                    chunk.puts(), chunk.deletes()));
        }

        private static long size(KeyValue kv) {
            return kv.key().length + kv.value().length;
        }
    }
}
