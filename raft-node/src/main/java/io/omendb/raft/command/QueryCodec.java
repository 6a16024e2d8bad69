package io.omendb.raft.command;

import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;
import io.omendb.storage.EngineStats;
import io.omendb.storage.KeyValue;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * Encoding of {@link Query}s and {@link QueryResult}s, framed with a CRC32C like commands. Kinds are stable wire
 * numbers. A client wraps a query in a {@code ROUTED} frame naming the range id and epoch it routed by
 * ({@link #encode(Route, Query)}); bare queries (older routers, the meta group, admin views) decode with a null route.
 * Stateless and thread-safe.
 */
public final class QueryCodec {
    /** Upper bound on entries in one scan page, checked on both sides. */
    public static final int SCAN_LIMIT_MAX = 1_000_000;

    private static final int GET = 1;
    private static final int SCAN = 2;
    private static final int STATUS = 3;
    private static final int DIGEST = 4;
    private static final int MULTI_GET = 5;
    private static final int FORWARD = 6;
    private static final int ROUTED = 7;
    private static final int DESCRIBE = 8;
    private static final int MEDIAN_KEY = 9;
    private static final int MERGE_SOURCE = 10;
    private static final int SIZE = 11;
    private static final int MERGE_COPIED = 12;
    private static final int HOSTED_REPLICAS = 13;
    private static final int MERGE_RECORDS = 14;

    private static final int RESULT_VALUE = 101;
    private static final int RESULT_SCAN = 102;
    private static final int RESULT_STATUS = 103;
    private static final int RESULT_DIGEST = 104;
    private static final int RESULT_VALUES = 105;
    private static final int RESULT_FORWARDED = 106;
    private static final int RESULT_REFUSED = 107;
    private static final int RESULT_DESCRIBED = 108;
    private static final int RESULT_SIZE = 109;
    private static final int RESULT_HOSTED_REPLICAS = 110;
    /** Upper bound on replicas in one {@link QueryResult.HostedReplicas} answer, checked when decoding. */
    public static final int HOSTED_REPLICAS_MAX = 1_000_000;
    /** Upper bound on keys of one multi-get, checked when decoding. */
    public static final int MULTI_GET_KEYS_MAX = 100_000;

    private QueryCodec() {
    }

    /** A query with the route its sender chose ({@code route == null}: sent without one). */
    public record Routed(Route route, Query query) {
    }

    /** {@code query} routed by {@code route}. */
    public static byte[] encode(Route route, Query query) {
        return new FrameWriter(ROUTED).writeVarLong(route.rangeId()).writeVarLong(route.epoch())
                .writeBytes(encode(query)).finish();
    }

    /** Decodes a routed or a bare query (route null). */
    public static Routed decodeRouted(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        if (r.kind() != ROUTED) {
            return new Routed(null, decode(frame));
        }
        Route route = CommandCodec.readRoute(r);
        byte[] inner = r.readBytes();
        r.expectEnd();
        return new Routed(route, decode(inner));
    }

    public static byte[] encode(Query query) {
        if (query instanceof Query.Get g) {
            return new FrameWriter(GET).writeBytes(g.key()).finish();
        } else if (query instanceof Query.Scan s) {
            return new FrameWriter(SCAN).writeBytes(s.start()).writeNullableBytes(s.end()).writeVarLong(s.limit())
                    .finish();
        } else if (query instanceof Query.MultiGet m) {
            FrameWriter w = new FrameWriter(MULTI_GET).writeVarLong(m.keys().size());
            m.keys().forEach(w::writeBytes);
            return w.finish();
        } else if (query instanceof Query.Status) {
            return new FrameWriter(STATUS).finish();
        } else if (query instanceof Query.Digest) {
            return new FrameWriter(DIGEST).finish();
        } else if (query instanceof Query.Describe) {
            return new FrameWriter(DESCRIBE).finish();
        } else if (query instanceof Query.MedianKey) {
            return new FrameWriter(MEDIAN_KEY).finish();
        } else if (query instanceof Query.Size) {
            return new FrameWriter(SIZE).finish();
        } else if (query instanceof Query.HostedReplicas) {
            return new FrameWriter(HOSTED_REPLICAS).finish();
        } else if (query instanceof Query.MergeSource m) {
            return new FrameWriter(MERGE_SOURCE).writeBytes(m.from()).writeVarLong(m.limit())
                    .writeBoolean(m.digests()).finish();
        } else if (query instanceof Query.MergeRecords m) {
            FrameWriter w = new FrameWriter(MERGE_RECORDS).writeVarLong(m.keys().size());
            m.keys().forEach(w::writeBytes);
            return w.finish();
        } else if (query instanceof Query.MergeCopied m) {
            return new FrameWriter(MERGE_COPIED).writeBytes(m.from()).writeNullableBytes(m.to())
                    .writeVarLong(m.limit()).writeBoolean(m.digests()).finish();
        } else if (query instanceof Query.Forward f) {
            return forward(CommandCodec.encode(f.entry()));
        }
        throw new IllegalArgumentException("unknown query " + query);
    }

    /** A {@link Query.Forward} of an entry already encoded by {@link CommandCodec#encode} (not encoded again). */
    public static byte[] forward(byte[] entryFrame) {
        return new FrameWriter(FORWARD).writeBytes(entryFrame).finish();
    }

    public static Query decode(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        Query q = switch (r.kind()) {
            case GET -> new Query.Get(r.readBytes());
            case SCAN -> new Query.Scan(r.readBytes(), r.readNullableBytes(), Math.max(1, r.readCount(SCAN_LIMIT_MAX)));
            case STATUS -> new Query.Status();
            case DIGEST -> new Query.Digest();
            case MULTI_GET -> readMultiGet(r);
            case FORWARD -> readForward(r);
            case DESCRIBE -> new Query.Describe();
            case MEDIAN_KEY -> new Query.MedianKey();
            case SIZE -> new Query.Size();
            case HOSTED_REPLICAS -> new Query.HostedReplicas();
            case MERGE_SOURCE -> new Query.MergeSource(r.readBytes(), Math.max(1, r.readCount(SCAN_LIMIT_MAX)),
                    !r.atEnd() && r.readBoolean()); // without the flag: a sender from before digests
            case MERGE_RECORDS -> new Query.MergeRecords(readKeys(r));
            case MERGE_COPIED -> new Query.MergeCopied(r.readBytes(), r.readNullableBytes(),
                    Math.max(1, r.readCount(SCAN_LIMIT_MAX)), r.readBoolean());
            default -> throw new CorruptFrameException("unknown query kind " + r.kind());
        };
        r.expectEnd();
        return q;
    }

    public static byte[] encodeResult(QueryResult result) {
        if (result instanceof QueryResult.Value v) {
            return new FrameWriter(RESULT_VALUE).writeNullableBytes(v.value()).writeVarLong(v.appliedIndex()).finish();
        } else if (result instanceof QueryResult.Values v) {
            FrameWriter w = new FrameWriter(RESULT_VALUES).writeVarLong(v.appliedIndex()).writeVarLong(v.values().size());
            v.values().forEach(w::writeNullableBytes);
            return w.finish();
        } else if (result instanceof QueryResult.ScanPage p) {
            FrameWriter w = new FrameWriter(RESULT_SCAN).writeVarLong(p.appliedIndex()).writeVarLong(p.entries().size());
            for (KeyValue kv : p.entries()) {
                w.writeBytes(kv.key()).writeBytes(kv.value());
            }
            return w.finish();
        } else if (result instanceof QueryResult.Status s) {
            return writeStats(new FrameWriter(RESULT_STATUS).writeVarLong(s.appliedIndex()), s.stats()).finish();
        } else if (result instanceof QueryResult.Digest d) {
            return new FrameWriter(RESULT_DIGEST).writeVarLong(d.appliedIndex()).writeBytes(d.sha256()).finish();
        } else if (result instanceof QueryResult.Refused f) {
            FrameWriter w = new FrameWriter(RESULT_REFUSED).writeVarLong(f.appliedIndex());
            return CommandCodec.writeRefusal(w, f.refusal()).finish();
        } else if (result instanceof QueryResult.Described d) {
            FrameWriter w = new FrameWriter(RESULT_DESCRIBED).writeVarLong(d.appliedIndex())
                    .writeBoolean(d.descriptor() != null);
            return (d.descriptor() == null ? w : RangeBounds.write(w, d.descriptor())).finish();
        } else if (result instanceof QueryResult.Size z) {
            return new FrameWriter(RESULT_SIZE).writeVarLong(z.appliedIndex()).writeVarLong(z.dataBytes())
                    .writeDouble(z.opsPerSecond()).finish();
        } else if (result instanceof QueryResult.HostedReplicas h) {
            FrameWriter w = new FrameWriter(RESULT_HOSTED_REPLICAS).writeVarLong(h.appliedIndex())
                    .writeVarLong(h.replicas().size());
            h.replicas().forEach(replica -> writeHostedReplica(w, replica));
            return w.finish();
        } else if (result instanceof QueryResult.Forwarded f) {
            return new FrameWriter(RESULT_FORWARDED).writeVarLong(f.appliedIndex())
                    .writeNullableBytes(f.result() == null ? null : CommandCodec.encodeResult(f.result())).finish();
        }
        throw new IllegalArgumentException("unknown query result " + result);
    }

    public static QueryResult decodeResult(byte[] frame) {
        FrameReader r = new FrameReader(frame);
        QueryResult result = switch (r.kind()) {
            case RESULT_VALUE -> new QueryResult.Value(r.readNullableBytes(), r.readVarLong());
            case RESULT_SCAN -> readScan(r);
            case RESULT_VALUES -> readValues(r);
            case RESULT_STATUS -> {
                long applied = r.readVarLong();
                yield new QueryResult.Status(readStats(r), applied);
            }
            case RESULT_DIGEST -> {
                long applied = r.readVarLong();
                yield new QueryResult.Digest(r.readBytes(), applied);
            }
            case RESULT_REFUSED -> {
                long applied = r.readVarLong();
                yield new QueryResult.Refused(CommandCodec.readRefusal(r), applied);
            }
            case RESULT_DESCRIBED -> {
                long applied = r.readVarLong();
                yield new QueryResult.Described(r.readBoolean() ? RangeBounds.read(r) : null, applied);
            }
            case RESULT_SIZE -> {
                long applied = r.readVarLong();
                yield new QueryResult.Size(r.readVarLong(), r.readDouble(), applied);
            }
            case RESULT_HOSTED_REPLICAS -> readHostedReplicas(r);
            case RESULT_FORWARDED -> {
                long applied = r.readVarLong();
                byte[] outcome = r.readNullableBytes();
                yield new QueryResult.Forwarded(outcome == null ? null : CommandCodec.decodeResult(outcome), applied);
            }
            default -> throw new CorruptFrameException("unknown query result kind " + r.kind());
        };
        r.expectEnd();
        return result;
    }

    private static Query.Forward readForward(FrameReader r) {
        try {
            return new Query.Forward(CommandCodec.decode(r.readBytes()));
        } catch (IllegalArgumentException e) {
            throw new CorruptFrameException("bad forwarded entry: " + e.getMessage());
        }
    }

    private static Query.MultiGet readMultiGet(FrameReader r) {
        return new Query.MultiGet(readKeys(r));
    }

    private static List<byte[]> readKeys(FrameReader r) {
        int n = r.readCount(MULTI_GET_KEYS_MAX);
        List<byte[]> keys = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            keys.add(r.readBytes());
        }
        return keys;
    }

    private static QueryResult.Values readValues(FrameReader r) {
        long applied = r.readVarLong();
        int n = r.readCount(MULTI_GET_KEYS_MAX);
        List<byte[]> values = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            values.add(r.readNullableBytes());
        }
        return new QueryResult.Values(values, applied);
    }

    private static QueryResult.ScanPage readScan(FrameReader r) {
        long applied = r.readVarLong();
        int n = r.readCount(SCAN_LIMIT_MAX);
        List<KeyValue> entries = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            entries.add(new KeyValue(r.readBytes(), r.readBytes()));
        }
        return new QueryResult.ScanPage(entries, applied);
    }

    private static void writeHostedReplica(FrameWriter w, QueryResult.HostedReplica h) {
        w.writeVarLong(h.group().getMostSignificantBits()).writeVarLong(h.group().getLeastSignificantBits())
                .writeBytes(h.role().getBytes(StandardCharsets.UTF_8))
                .writeVarLong(h.appliedIndex()).writeBoolean(h.statsOrNull() != null);
        if (h.statsOrNull() != null) {
            writeStats(w, h.statsOrNull());
        }
        w.writeVarLong(h.dataBytes()).writeDouble(h.opsPerSecond());
    }

    private static QueryResult.HostedReplicas readHostedReplicas(FrameReader r) {
        long applied = r.readVarLong();
        int n = r.readCount(HOSTED_REPLICAS_MAX);
        List<QueryResult.HostedReplica> replicas = new ArrayList<>(Math.min(n, 1024));
        for (int i = 0; i < n; i++) {
            UUID group = new UUID(r.readVarLong(), r.readVarLong());
            String role = new String(r.readBytes(), StandardCharsets.UTF_8);
            long replicaApplied = r.readVarLong();
            EngineStats stats = r.readBoolean() ? readStats(r) : null;
            replicas.add(new QueryResult.HostedReplica(group, role, replicaApplied, stats, r.readVarLong(),
                    r.readDouble()));
        }
        return new QueryResult.HostedReplicas(replicas, applied);
    }

    private static FrameWriter writeStats(FrameWriter w, EngineStats s) {
        return w.writeVarLong(s.segments()).writeVarLong(s.segmentRecords()).writeVarLong(s.memtableEntries())
                .writeVarLong(s.leaves()).writeDouble(s.meanError()).writeVarLong(s.maxError())
                .writeVarLong(s.modelBytes()).writeVarLong(s.diskBytes()).writeDouble(s.bytesPerRecord())
                .writeVarLong(s.appliedIndex()).writeVarLong(s.durableIndex());
    }

    private static EngineStats readStats(FrameReader r) {
        return new EngineStats((int) r.readVarLong(), r.readVarLong(), r.readVarLong(), r.readVarLong(),
                r.readDouble(), r.readVarLong(), r.readVarLong(), r.readVarLong(), r.readDouble(), r.readVarLong(),
                r.readVarLong());
    }
}
