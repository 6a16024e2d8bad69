package io.omendb.raft.client;

import io.omendb.raft.command.Command;
import io.omendb.raft.command.CommandResult;
import io.omendb.raft.command.Query;
import io.omendb.raft.command.QueryResult;
import io.omendb.raft.meta.MergeTombstone;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeDescriptorCodec;
import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.Bytes;
import io.omendb.storage.KeyValue;

import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.concurrent.CompletableFuture;
import java.util.concurrent.CompletionException;

/**
 * Merges a range (the target) with its right neighbour (the source) by copying the source's records through the
 * target's Raft log; the meta group's range table is the one place that decides whether the merge happened.
 *
 * <p><b>Steps</b> (docs/ARCHITECTURE.md, "Range merges"): (1) both ranges' logs must record the descriptors the table
 * has (a range that is still changing shape is refused, CONFLICT); (2) {@link Command.PrepareMerge} freezes the
 * source: its epoch rises above the table's, so every request routed by the table is refused and retried; (3) the
 * source's records are read from its leader ({@link Query.MergeSource}, linearizable, so every write it acknowledged
 * before the freeze is read) and written into the target as {@link Command.MergeData} entries of at most
 * {@link #CHUNK_BYTES_MAX}; (4) one compare-and-set in the meta group replaces both descriptors by the union (a higher
 * epoch) and records a {@link MergeTombstone} for the source — the commit point; (5) {@link Command.CommitMerge}
 * widens the target's descriptor; (6) the boundary's operator mark (a sticky split point) is cleared and the source's
 * replicas are deleted.
 *
 * <p><b>Failure.</b> Any failure before the commit point abandons the merge: the source's table epoch is raised to its
 * frozen epoch ({@link ClusterAdmin#unfreeze}), which both unfreezes it and makes a late commit by this merge fail (its
 * compare-and-set expects the old descriptor). The records already copied stay invisible beyond the target's
 * descriptor and are deleted by the next merge's first chunk. A proposer that dies leaves either a frozen source (each
 * node's reconciler unfreezes it after {@code MergeFollowUp#FROZEN_ABANDON_AFTER_MS}) or a committed merge whose
 * steps 5-6 are not done (each node's reconciler finishes them from the tombstone). Nothing here is lost on a crash:
 * the table's compare-and-set is atomic and every other step is idempotent.
 *
 * <p><b>Cost.</b> Copies the source's bytes once through the target's log (replicated to its peers): merges are for
 * small ranges ({@code [ranges] merge_size_mb}); a source above {@link #SOURCE_BYTES_MAX} is refused while copying.
 * Unlike a zero-copy merge it needs neither the same members for both ranges nor the source's replicas to be caught up
 * on the target's nodes. Thread-safe; holds no thread while it waits.
 */
final class RangeMerger {
    /** Bytes of keys and values one {@link Command.MergeData} entry carries at most (one record may exceed it). */
    static final int CHUNK_BYTES_MAX = 1 << 20;
    /** Records one {@link Query.MergeSource} page reads (its chunks are written concurrently). */
    static final int PAGE_KEYS = 4_096;
    /** Largest source (bytes of keys and values) a merge copies; larger ones are abandoned, INVALID_ARGUMENT. */
    static final long SOURCE_BYTES_MAX = 256L << 20;

    private final ClusterClient client;
    private final ClusterAdmin admin;

    RangeMerger(ClusterClient client, ClusterAdmin admin) {
        this.client = client;
        this.admin = admin;
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
            return admin.recordDescriptorIfAbsent(target.rangeId())
                    .thenCombine(admin.recordDescriptorIfAbsent(source.rangeId()), (t, s) -> {
                        requireSettled(target, t);
                        requireSettled(source, s);
                        return t;
                    })
                    .thenCompose(recordedTarget -> client.write(source, new Command.PrepareMerge(target.rangeId()))
                            .handle((res, failure) -> {
                                if (failure != null) {
                                    throw refusedAsConflict(source, failure);
                                }
                                return res;
                            })
                            .thenCompose(res -> admin.recordedDescriptor(source.rangeId()))
                            .thenCompose(frozen -> commitOrAbandon(target, recordedTarget, source, frozen)))
                    .thenCompose(committed -> finish(committed.merged(), target.end(), source)
                            .handle((index, failure) -> new Results.MergeResult(committed.merged(), source,
                                    committed.records(), committed.bytes(),
                                    (System.nanoTime() - startNanos) / 1_000_000)));
        });
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

    /** What the commit point left: the union as the table records it, and what was copied into it. */
    private record Committed(RangeDescriptor merged, long records, long bytes) {
    }

    /** Copies and commits; on any failure unfreezes the source and fails with what went wrong. */
    private CompletableFuture<Committed> commitOrAbandon(RangeDescriptor target, RangeBounds recordedTarget,
                                                         RangeDescriptor source, RangeBounds frozen) {
        return CompletableFuture.completedFuture(frozen)
                .thenCompose(f -> copyAndCommit(target, recordedTarget, source, f))
                .handle((committed, failure) -> failure == null ? CompletableFuture.completedFuture(committed)
                        : admin.unfreeze(source.rangeId(), frozen == null ? 0 : frozen.epoch())
                                .<Committed>handle((v, e) -> {
                                    throw abandoned(target, source, failure);
                                }))
                .thenCompose(f -> f);
    }

    private CompletableFuture<Committed> copyAndCommit(RangeDescriptor target, RangeBounds recordedTarget,
                                                       RangeDescriptor source, RangeBounds frozen) {
        if (frozen == null || frozen.epoch() <= source.epoch()) {
            throw new ClientException(ErrorCode.CONFLICT, "range " + source.rangeId() + " did not freeze (it records "
                    + frozen + ")");
        }
        Copy copy = new Copy(target, source);
        return copy.from(source.start()).thenCompose(v -> {
            long epoch = Math.max(Math.max(target.epoch(), recordedTarget.epoch()), frozen.epoch()) + 1;
            RangeDescriptor merged = new RangeDescriptor(target.rangeId(), target.start(), source.end(),
                    target.groupId(), target.peerIds(), epoch);
            MergeTombstone tombstone = new MergeTombstone(source.rangeId(), target.rangeId(), source.start(), epoch);
            return client.channels().meta().write(new Command.CompareAndSetAll(List.of(
                    new Command.CompareAndSet(RangeDescriptorCodec.key(target.rangeId()),
                            RangeDescriptorCodec.encode(target), RangeDescriptorCodec.encode(merged)),
                    new Command.CompareAndSet(RangeDescriptorCodec.key(source.rangeId()),
                            RangeDescriptorCodec.encode(source), null),
                    new Command.CompareAndSet(MergeTombstone.key(source.rangeId()), null, tombstone.encode()))))
                    .thenApply(res -> {
                        if (!(res instanceof CommandResult.CasOutcome c) || !c.succeeded()) {
                            throw new ClientException(ErrorCode.CONFLICT, "the range table changed while merging");
                        }
                        synchronized (copy) {
                            return new Committed(merged, copy.records, copy.bytes);
                        }
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

    /**
     * The copy of one source into one target. The first chunk (it clears what an abandoned merge left) is written
     * alone; after it, the chunks of a page are written concurrently while the next page is read: they hold distinct
     * keys, so their order in the target's log does not matter, and the copy costs about one Raft round per page rather
     * than one per chunk plus one per read.
     */
    private final class Copy {
        private final RangeDescriptor target;
        private final RangeDescriptor source;
        long records;
        long bytes;

        Copy(RangeDescriptor target, RangeDescriptor source) {
            this.target = target;
            this.source = source;
        }

        CompletableFuture<Void> from(byte[] start) {
            return read(start).thenCompose(page -> {
                List<List<KeyValue>> chunks = chunks(page);
                return write(chunks.get(0), true).thenCompose(v -> pump(page, chunks.subList(1, chunks.size()),
                        CompletableFuture.completedFuture(null)));
            });
        }

        /**
         * Starts writing {@code chunks} of {@code page} and reads the next page meanwhile; once the next page is read
         * and the writes of the page before this one are done, goes on with the next page. At most two pages' writes
         * are in flight; an empty page ends the copy.
         */
        private CompletableFuture<Void> pump(List<KeyValue> page, List<List<KeyValue>> chunks,
                                             CompletableFuture<Void> previousWrites) {
            CompletableFuture<Void> written = CompletableFuture.allOf(chunks.stream().map(c -> write(c, false))
                    .toArray(CompletableFuture[]::new));
            if (page.isEmpty()) {
                return previousWrites.thenCombine(written, (a, b) -> null);
            }
            return previousWrites.thenCombine(read(Bytes.successor(page.get(page.size() - 1).key())),
                    (v, next) -> next).thenCompose(next -> pump(next, chunks(next), written));
        }

        private CompletableFuture<List<KeyValue>> read(byte[] from) {
            return client.read(source, new Query.MergeSource(from, PAGE_KEYS), ReadOptions.linearizable())
                    .thenApply(res -> ((QueryResult.ScanPage) res).entries());
        }

        /** {@code page} cut into chunks of at most {@link #CHUNK_BYTES_MAX}; one (maybe empty) chunk at least. */
        private List<List<KeyValue>> chunks(List<KeyValue> page) {
            List<List<KeyValue>> out = new ArrayList<>();
            List<KeyValue> chunk = new ArrayList<>();
            long chunkBytes = 0;
            for (KeyValue kv : page) {
                if (!chunk.isEmpty() && chunkBytes + size(kv) > CHUNK_BYTES_MAX) {
                    out.add(chunk);
                    chunk = new ArrayList<>();
                    chunkBytes = 0;
                }
                chunk.add(kv);
                chunkBytes += size(kv);
            }
            out.add(chunk);
            return out;
        }

        private CompletableFuture<?> write(List<KeyValue> chunk, boolean first) {
            if (chunk.isEmpty() && !first) {
                return CompletableFuture.completedFuture(null);
            }
            synchronized (this) {
                records += chunk.size();
                bytes += chunk.stream().mapToLong(Copy::size).sum();
                if (bytes > SOURCE_BYTES_MAX) {
                    return CompletableFuture.failedFuture(new ClientException(ErrorCode.INVALID_ARGUMENT, "range "
                            + source.rangeId() + " holds more than " + SOURCE_BYTES_MAX + " bytes; merges copy the "
                            + "right range and are for small ranges"));
                }
            }
            return client.write(target, new Command.MergeData(source.start(), source.end(), first, chunk));
        }

        private static long size(KeyValue kv) {
            return kv.key().length + kv.value().length;
        }
    }
}
