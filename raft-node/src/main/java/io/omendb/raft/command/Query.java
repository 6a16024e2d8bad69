package io.omendb.raft.command;

import java.util.List;
import java.util.Objects;

/** A read served by {@code StateMachine.query} on one replica, never written to the log. Encoded by {@link QueryCodec}. */
public sealed interface Query {
    record Get(byte[] key) implements Query {
        public Get {
            Objects.requireNonNull(key, "key");
        }
    }

    /**
     * Several point reads answered from one state of the replica: the router folds concurrent linearizable gets of
     * one range into one of these, so one ReadIndex round and one RPC serve them all.
     */
    record MultiGet(List<byte[]> keys) implements Query {
        public MultiGet {
            keys = List.copyOf(keys);
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("a multi-get needs at least one key");
            }
        }
    }

    /** Live entries in {@code [start, end)} ({@code end == null}: unbounded), at most {@code limit} of them. */
    record Scan(byte[] start, byte[] end, int limit) implements Query {
        public Scan {
            Objects.requireNonNull(start, "start");
            if (limit < 1) {
                throw new IllegalArgumentException("limit must be >= 1, got " + limit);
            }
        }
    }

    /** Engine statistics of this replica. */
    record Status() implements Query {
    }

    /**
     * The key that splits the replica's stored bytes in two equal halves, estimated from the engine's learned models
     * without reading a record ({@code StorageEngine#estimateMedianKey}); answered as a {@link QueryResult.Value}
     * (null: fewer than two keys stored). What {@code admin split} without a key splits at.
     */
    record MedianKey() implements Query {
    }

    /**
     * Up to {@code limit} records (and about 4 MiB) of the replica's own range from {@code from} on, answered as a
     * {@link QueryResult.ScanPage} whatever epoch the request was routed by (empty: no record left): how a merge copies
     * the records of its source, which refuses every request routed by the range table once it is frozen
     * ({@link Command.PrepareMerge}). With {@code digests}, each value is replaced by its {@link ValueDigester digest}: how
     * a merge's frozen pass finds what changed without reading every value again.
     */
    record MergeSource(byte[] from, int limit, boolean digests) implements Query {
        public MergeSource {
            java.util.Objects.requireNonNull(from, "from");
        }
    }

    /**
     * The values of {@code keys} in the replica's own range, whatever epoch the request was routed by, answered as
     * {@link QueryResult.Values} in key order (null: absent, or outside the range), for a prefix of the keys when
     * they hold more than about 4 MiB (the caller asks again for the rest): a merge's frozen pass reads the records
     * whose digests changed.
     */
    record MergeRecords(List<byte[]> keys) implements Query {
        public MergeRecords {
            keys = List.copyOf(keys);
            if (keys.isEmpty()) {
                throw new IllegalArgumentException("merge records needs at least one key");
            }
        }
    }

    /**
     * What a merge compares instead of a value: the first {@value #DIGEST_BYTES} bytes of its SHA-256 (two different
     * values share one with a chance of about 2^-128, which a lost update must not rest on any more than on a disk's
     * checksum). One SHA-256 instance serves every value of a page rather than a provider lookup and a new instance per
     * record. Not thread-safe: one per page, on the thread that reads it.
     */
    final class ValueDigester {
        public static final int DIGEST_BYTES = 16;
        private final java.security.MessageDigest sha;

        public ValueDigester() {
            try {
                sha = java.security.MessageDigest.getInstance("SHA-256");
            } catch (java.security.NoSuchAlgorithmException e) {
                throw new IllegalStateException("every Java runtime has SHA-256", e);
            }
        }

        /** {@code value}'s digest ({@code digest} resets the instance, so the next value starts afresh). */
        public byte[] digestOf(byte[] value) {
            return java.util.Arrays.copyOf(sha.digest(value), DIGEST_BYTES);
        }
    }

    /**
     * Up to {@code limit} records (and about 4 MiB) that an unfinished merge copied into this replica (a merge's
     * target): those its engine holds beyond its descriptor's end, in {@code [from, to)} ({@code to} null: unbounded),
     * answered as a {@link QueryResult.ScanPage} (empty: none left), with digests instead of values like
     * {@link MergeSource}. A merge's frozen pass compares them with the frozen source's and writes only the
     * differences.
     */
    record MergeCopied(byte[] from, byte[] to, int limit, boolean digests) implements Query {
        public MergeCopied {
            java.util.Objects.requireNonNull(from, "from");
        }
    }

    /**
     * What automatic merges decide by, answered as a {@link QueryResult.Size}: the replica's stored bytes of keys and
     * values and the keyed requests per second it served over its last load window.
     */
    record Size() implements Query {
    }

    /**
     * The status of every range replica the answering node hosts, answered as a {@link QueryResult.HostedReplicas}
     * whichever of its groups it was sent to: one call per node, not one per replica, for the views that list every
     * range ({@code GET /admin/ranges}).
     */
    record HostedReplicas() implements Query {
    }

    /** The range descriptor this replica has recorded ({@link Command.SetDescriptor}), if any. */
    record Describe() implements Query {
    }

    /** SHA-256 over this replica's live contents, to compare replicas. */
    record Digest() implements Query {
    }

    /**
     * Single-key writes another router forwards to the node whose replica leads the range (leader-side group
     * commit): that node's router proposes them together with its own and everyone else's, so one Raft entry carries
     * the writes of every router. {@code entry} is a {@link Command.Put}, {@link Command.Delete},
     * {@link Command.CompareAndSet} or a {@link Command.Group} of them. Never answered from a replica's data: the
     * state machine hands it to its node's router ({@link ForwardedWrites}).
     */
    record Forward(Command entry) implements Query {
        public Forward {
            Objects.requireNonNull(entry, "entry");
            if (!(entry instanceof Command.Group) && Command.singleKeyOf(entry) == null) {
                throw new IllegalArgumentException("only puts, deletes, compare-and-sets and groups of them are "
                        + "forwarded, not " + entry);
            }
        }
    }
}
