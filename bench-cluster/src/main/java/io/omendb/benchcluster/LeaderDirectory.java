package io.omendb.benchcluster;

import java.nio.charset.StandardCharsets;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * What a range-aware OmenDB client knows: which node leads each range, so a key's requests go straight to the
 * router whose node holds the range's leader (no hop from another node's router, and every write of a range is
 * grouped by one router). Learned from {@code GET /admin/ranges}, whose ranges come in key order and name their
 * leader by node id ({@code "leader":"n2"}, or {@code null} during an election).
 *
 * <p>The range boundaries are the split points the benchmark configured (it creates no ranges later). Until a
 * listing with one entry per range was read, or for a range without a known leader, {@link #nodeFor} answers -1
 * and the caller uses any node: a stale entry costs a hop, never a wrong answer, because every node's router
 * forwards to the current leader. Thread-safe: the leaders array is replaced whole.
 */
final class LeaderDirectory {
    private static final Pattern LEADER = Pattern.compile("\"leader\":(null|\"n([0-9]+)\")");

    private final byte[][] rangeStarts;
    private final int nodes;
    private volatile int[] leaders;

    /** @param splitPoints the configured split points, ascending; {@code nodes}: members n1..n{nodes} */
    LeaderDirectory(List<String> splitPoints, int nodes) {
        rangeStarts = new byte[splitPoints.size()][];
        for (int i = 0; i < splitPoints.size(); i++) {
            rangeStarts[i] = splitPoints.get(i).getBytes(StandardCharsets.US_ASCII);
        }
        this.nodes = nodes;
        int[] unknown = new int[splitPoints.size() + 1];
        Arrays.fill(unknown, -1);
        leaders = unknown;
    }

    /**
     * Takes the leaders from an {@code /admin/ranges} body; returns false (and keeps what it knew) when the listing
     * does not have one entry per configured range.
     */
    boolean update(String adminRangesJson) {
        List<Integer> found = new ArrayList<>();
        Matcher m = LEADER.matcher(adminRangesJson);
        while (m.find()) {
            int node = m.group(2) == null ? -1 : Integer.parseInt(m.group(2)) - 1;
            found.add(node >= 0 && node < nodes ? node : -1);
        }
        if (found.size() != rangeStarts.length + 1) {
            return false;
        }
        leaders = found.stream().mapToInt(Integer::intValue).toArray();
        return true;
    }

    /** Index (0-based) of the node leading {@code key}'s range, or -1 when not known. */
    int nodeFor(byte[] key) {
        int lo = 0;
        int hi = rangeStarts.length;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Arrays.compareUnsigned(rangeStarts[mid], key) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return leaders[lo];
    }

    /** The leaders in range order, e.g. {@code "n1 n3 n2 n2"} ({@code "?"} for a range without a known leader). */
    String describe() {
        StringBuilder out = new StringBuilder();
        for (int leader : leaders) {
            out.append(out.length() == 0 ? "" : " ").append(leader < 0 ? "?" : "n" + (leader + 1));
        }
        return out.toString();
    }
}
