package io.omendb.raft.command;

import io.omendb.raft.range.RangeBounds;
import io.omendb.storage.EngineStats;
import io.omendb.storage.KeyValue;

import java.util.ArrayList;
import java.util.Collections;
import java.util.List;
import java.util.Objects;
import java.util.UUID;

/** Answers to {@link Query}s. {@code appliedIndex} is the replica's applied Raft index when it answered. */
public sealed interface QueryResult {
    long appliedIndex();

    /** {@code value == null}: the key is absent. */
    record Value(byte[] value, long appliedIndex) implements QueryResult {
    }

    /** Answers of a {@link Query.MultiGet}, in key order of the query; a null element: that key is absent. */
    record Values(List<byte[]> values, long appliedIndex) implements QueryResult {
        public Values {
            values = Collections.unmodifiableList(new ArrayList<>(values));
        }
    }

    record ScanPage(List<KeyValue> entries, long appliedIndex) implements QueryResult {
        public ScanPage {
            entries = List.copyOf(entries);
        }
    }

    record Status(EngineStats stats, long appliedIndex) implements QueryResult {
    }

    record Digest(byte[] sha256, long appliedIndex) implements QueryResult {
    }

    /**
     * The replica refused the read: a key or interval outside its range, or routed by a stale epoch, checked against
     * the descriptor the replica has when it answers. The sender refreshes its range table and reads again.
     */
    record Refused(RangeRefusal refusal, long appliedIndex) implements QueryResult {
        public Refused {
            Objects.requireNonNull(refusal, "refusal");
        }
    }

    /** The answer to {@link Query.Size}. */
    record Size(long dataBytes, double opsPerSecond, long appliedIndex) implements QueryResult {
    }

    /**
     * One range replica in a {@link HostedReplicas} answer.
     *
     * @param group        the replica's Raft group id
     * @param role         its Raft role there ({@code LEADER}, {@code FOLLOWER}, {@code CANDIDATE}, ...)
     * @param appliedIndex its applied index
     * @param statsOrNull  its engine's statistics, null while the engine is not open (installing a snapshot)
     * @param dataBytes    bytes of keys and values it stores (as {@link Size})
     * @param opsPerSecond keyed requests per second over its last load window (as {@link Size})
     */
    record HostedReplica(UUID group, String role, long appliedIndex, EngineStats statsOrNull, long dataBytes,
                         double opsPerSecond) {
        public HostedReplica {
            Objects.requireNonNull(group, "group");
            Objects.requireNonNull(role, "role");
        }
    }

    /** The answer to {@link Query.HostedReplicas}: every range replica of the answering node. */
    record HostedReplicas(List<HostedReplica> replicas, long appliedIndex) implements QueryResult {
        public HostedReplicas {
            replicas = List.copyOf(replicas);
        }
    }

    /** The answer to {@link Query.Describe}: {@code descriptor == null} when the replica has recorded none. */
    record Described(RangeBounds descriptor, long appliedIndex) implements QueryResult {
    }

    /**
     * The answer to a {@link Query.Forward}: the entry's outcome exactly as a direct proposal would have answered it,
     * or {@code result == null} when the node did not take the writes (no router runs there): then nothing was
     * proposed and the sender proposes them itself.
     */
    record Forwarded(CommandResult result, long appliedIndex) implements QueryResult {
    }
}
