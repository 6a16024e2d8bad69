package io.omendb.chaos.workload;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.node.ArrayNode;
import com.fasterxml.jackson.databind.node.ObjectNode;
import io.omendb.chaos.cluster.ChaosCluster;
import io.omendb.chaos.cluster.NodeProcess;
import io.omendb.chaos.report.ContentDigest;

import java.io.IOException;
import java.util.ArrayList;
import java.util.List;
import java.util.Map;
import java.util.SplittableRandom;
import java.util.concurrent.ConcurrentHashMap;
import java.util.concurrent.ExecutionException;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;

/**
 * Bulk data ({@code --preload-bytes}): {@code totalBytes} of large, incompressible values spread evenly over the
 * ranges, so a wiped node has gigabytes to catch up on. Keys are {@link KeySpace#bulkKey}; each value is a pure
 * function of (seed, range, index), so nothing is kept in memory: the workload never touches these keys, they are
 * not in the history, and every replica's bulk interval is checked against {@link #expectedDigest} by streaming
 * scans ({@link KvClient#digestInto}). Loaded through {@code POST /v1/batch}, one writer per range, batches of
 * {@link #BATCH_VALUES} values (about 1.5 MiB, under the one-Raft-entry limit of ~2.25 MiB). Thread-safe (the
 * expected digests are computed once, on first use).
 */
public final class BulkData {
    /** One value: large enough that 1 GiB is 16 384 values (minutes to load), far below the 1 MiB value limit. */
    public static final int VALUE_BYTES = 64 * 1024;
    /** Values per {@code /v1/batch}: 1.5 MiB of values per Raft entry. */
    public static final int BATCH_VALUES = 24;
    /** Values per scan page when reading bulk intervals: 1.5 MiB answers. */
    public static final int SCAN_PAGE = BATCH_VALUES;
    private static final ObjectMapper JSON = new ObjectMapper();
    private static final char[] ALPHABET =
            "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_".toCharArray();

    /** A sub-interval of a scan: outside every bulk interval ({@code bulkRange} -1) or inside that of a range. */
    public record Piece(String start, String end, int bulkRange) {
        public boolean bulk() {
            return bulkRange >= 0;
        }
    }

    private final KeySpace keys;
    private final long seed;
    private final int valuesPerRange;
    private final Map<Integer, String> expected = new ConcurrentHashMap<>();

    public BulkData(KeySpace keys, long totalBytes, long seed) {
        if (totalBytes < 0) {
            throw new IllegalArgumentException("bulk bytes must be >= 0, got " + totalBytes);
        }
        this.keys = keys;
        this.seed = seed;
        this.valuesPerRange = (int) Math.ceil(totalBytes / (double) VALUE_BYTES / keys.ranges());
    }

    public int valuesPerRange() {
        return valuesPerRange;
    }

    public long totalBytes() {
        return (long) valuesPerRange * keys.ranges() * VALUE_BYTES;
    }

    /** {@code VALUE_BYTES} characters of a seeded base64 alphabet: incompressible, unique per key. */
    public String value(int range, int i) {
        SplittableRandom r = new SplittableRandom(seed * 1_000_003L + range * 4_194_301L + i);
        String prefix = "bulk-" + range + "-" + i + "-";
        char[] out = new char[VALUE_BYTES];
        prefix.getChars(0, prefix.length(), out, 0);
        for (int c = prefix.length(); c < out.length; c++) {
            out[c] = ALPHABET[r.nextInt(ALPHABET.length)];
        }
        return new String(out);
    }

    /** The digest every replica's {@code [bulkStart(range), bulkEnd(range))} must have (computed once). */
    public String expectedDigest(int range) {
        return expected.computeIfAbsent(range, r -> {
            ContentDigest d = new ContentDigest();
            for (int i = 0; i < valuesPerRange; i++) {
                d.add(keys.bulkKey(r, i), value(r, i));
            }
            return d.result();
        });
    }

    /**
     * {@code [start, end)} ({@code end} empty: unbounded) cut at the bulk intervals, in key order, so a scan can
     * read small keys in large pages and bulk keys in small ones (or leave them out).
     */
    public List<Piece> split(String start, String end) {
        List<Piece> out = new ArrayList<>();
        String at = start;
        for (int r = 0; r < keys.ranges(); r++) {
            String bulkStart = keys.bulkStart(r);
            String bulkEnd = keys.bulkEnd(r);
            if (!end.isEmpty() && bulkStart.compareTo(end) >= 0) {
                break;
            }
            if (bulkEnd.compareTo(at) <= 0) {
                continue;
            }
            String from = bulkStart.compareTo(at) > 0 ? bulkStart : at;
            if (at.compareTo(from) < 0) {
                out.add(new Piece(at, from, -1));
            }
            String to = end.isEmpty() || bulkEnd.compareTo(end) < 0 ? bulkEnd : end;
            out.add(new Piece(from, to, r));
            at = to;
        }
        if (end.isEmpty() || at.compareTo(end) < 0) {
            out.add(new Piece(at, end, -1));
        }
        return out;
    }

    /** Writes every bulk value, one thread per range, each range's batches through a different node. */
    public void load(ChaosCluster cluster) throws IOException, InterruptedException {
        if (valuesPerRange == 0) {
            return;
        }
        ExecutorService pool = Executors.newFixedThreadPool(keys.ranges());
        try {
            List<Future<Void>> done = new ArrayList<>();
            for (int r = 0; r < keys.ranges(); r++) {
                int range = r;
                NodeProcess node = cluster.nodes().get(r % cluster.nodes().size());
                done.add(pool.submit(() -> {
                    loadRange(cluster, node, range);
                    return null;
                }));
            }
            for (Future<Void> f : done) {
                f.get();
            }
        } catch (ExecutionException e) {
            throw new IOException("bulk load failed: " + e.getCause().getMessage(), e.getCause());
        } finally {
            pool.shutdownNow();
        }
    }

    private void loadRange(ChaosCluster cluster, NodeProcess node, int range) throws IOException, InterruptedException {
        for (int from = 0; from < valuesPerRange; from += BATCH_VALUES) {
            ArrayNode ops = JSON.createArrayNode();
            for (int i = from; i < Math.min(valuesPerRange, from + BATCH_VALUES); i++) {
                ops.addObject().put("op", "put").put("key", keys.bulkKey(range, i)).put("value", value(range, i));
            }
            ObjectNode body = JSON.createObjectNode();
            body.set("ops", ops);
            KvClient.postIdempotentBatch(cluster, node, body.toString());
        }
    }

}
