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

    /** SHA-256 over this replica's live contents, to compare replicas. */
    record Digest() implements Query {
    }
}
