package io.omendb.chaos.workload;

import java.util.ArrayList;
import java.util.List;

/**
 * The keys of a run. Range r (0-based) holds keys with prefix {@code k<r>}; split points {@code k1 k2 ...} put
 * each prefix in its own range. Workload keys are {@code k<r>/e<epoch>/<i>}: a new epoch of keys starts every
 * {@code epochMs}, which bounds each key's history (and so the checker's search) in long runs. Probe keys
 * ({@code k<r>/probe}), preloaded keys ({@code k<r>/pre/<i>}) and bulk keys ({@code k<r>/bulk/<i>}, large values
 * checked by digest, see {@link BulkData}) live beside them. Immutable.
 */
public record KeySpace(int ranges, int keysPerRange, long epochMs) {
    public List<String> splitPoints() {
        List<String> out = new ArrayList<>();
        for (int r = 1; r < ranges; r++) {
            out.add("k" + r);
        }
        return out;
    }

    public String key(int range, long epoch, int i) {
        return "k" + range + "/e" + epoch + "/" + i;
    }

    /** The scan interval {@code [start, end)} holding exactly the keys of one range and epoch. */
    public String epochStart(int range, long epoch) {
        return "k" + range + "/e" + epoch + "/";
    }

    public String epochEnd(int range, long epoch) {
        return "k" + range + "/e" + epoch + "0"; // '0' follows '/'
    }

    public String probeKey(int range) {
        return "k" + range + "/probe";
    }

    public String preloadKey(int range, int i) {
        return "k" + range + "/pre/" + i;
    }

    /** The interval {@code [preloadStart, preloadEnd)} holds exactly the preloaded keys of one range. */
    public String preloadStart(int range) {
        return "k" + range + "/pre/";
    }

    public String preloadEnd(int range) {
        return "k" + range + "/pre0"; // '0' follows '/'
    }

    /** Zero-padded, so key order is number order. */
    public String bulkKey(int range, int i) {
        return String.format("k%d/bulk/%08d", range, i);
    }

    /** The interval {@code [bulkStart, bulkEnd)} holds exactly the bulk keys of one range. */
    public String bulkStart(int range) {
        return "k" + range + "/bulk/";
    }

    public String bulkEnd(int range) {
        return "k" + range + "/bulk0"; // '0' follows '/'
    }

    public long epoch(long elapsedMs) {
        return elapsedMs / epochMs;
    }
}
