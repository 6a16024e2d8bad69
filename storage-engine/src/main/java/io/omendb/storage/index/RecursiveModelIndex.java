package io.omendb.storage.index;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * A recursive model index (RMI) over one sorted array of unsigned 64-bit keys.
 *
 * <p><b>Role now.</b> {@code model_type = "linear"} builds it (one leaf); {@code "recursive"} builds
 * {@link RadixLinearIndex} instead, which reaches a lookup in fewer dependent cache misses on skewed keys (see
 * its note and docs/ARCHITECTURE.md). Segments written before that hold this tree (codec tag 1), so it stays
 * readable, and {@link #buildRecursive} stays as that format's writer, which the compatibility tests use.
 *
 * <p><b>Shape.</b> A root linear model routes a key to one of about {@code n / leafSize} children; a child is
 * a leaf linear model that predicts the key's position, or — where a leaf could not meet the error bound — an
 * inner node that routes again. Each leaf stores its measured max error {@code e}; a lookup predicts
 * {@code p} and binary-searches only {@code [p - e, p + e + 1]}, clipped to the leaf's own positions.
 *
 * <p><b>Guarantee.</b> With {@code maxError} set (model_type {@code recursive}) every leaf's error is at most
 * {@code maxError}: a leaf that measures worse is replaced by an inner node over the same keys, recursively.
 * There is no "fall back to a full binary search" path: a lookup touches one root-to-leaf path and one window.
 * Correctness for keys that are not in the array follows from monotonicity: every model's prediction is a
 * non-decreasing function of the key, so a key between two trained keys predicts between their predictions,
 * and the stored error also covers "the position right after the trained key" (see {@link #leafError}).
 *
 * <p><b>Skew.</b> A router fits its line on the key or, when that spreads keys better, on log(1 + key - base)
 * (SOSD's "loglinear" RMI layer), which tames lognormal-like skew. A linear router cannot always split a skewed range (one far outlier squeezes every other key
 * into one child). When the largest child would keep more than 15/16 of its parent's keys, the node instead
 * routes by explicit separator keys at quantiles (a search over at most {@code fanout} separators), which
 * always makes progress. A run of equal keys becomes a zero-error single-key node. These are what keep the
 * bound on the clustered and adversarial distributions that broke the original OmenDB's two-level RMI.
 *
 * <p><b>Layout.</b> Nodes live in one flat {@code long[]}, eight slots per node, so a lookup step reads one
 * contiguous record (doubles stored as raw bits). Immutable after construction; any number of readers.
 */
public final class RecursiveModelIndex implements KeyIndex {
    private static final int STRIDE = 8;
    private static final int LEAF = 0;
    private static final int LINEAR_INNER = 1;
    private static final int SEPARATOR_INNER = 2;
    private static final int SINGLE = 3;
    private static final int LOG_INNER = 4;
    // slot offsets inside a node
    private static final int TYPE = 0;
    private static final int BASE = 1;
    private static final int SLOPE = 2; // separator nodes: start of their separators in seps[]
    private static final int INTERCEPT = 3;
    private static final int LO = 4;
    private static final int HI = 5;
    private static final int ERR_OR_CHILDREN = 6;
    private static final int CHILD_COUNT = 7;

    private static final int DEPTH_MAX_LINEAR = 12;
    /** A range up to this many times the target leaf size is first tried as one leaf (fewer levels to walk). */
    private static final int LEAF_TRY_FACTOR = 4;
    private static final int SEPARATOR_FANOUT_MAX = 64;

    private final long[] keys;
    private final long[] nodes;
    private final long[] seps;

    private RecursiveModelIndex(long[] keys, long[] nodes, long[] seps) {
        this.keys = keys;
        this.nodes = nodes;
        this.seps = seps;
    }

    /** A bounded-error RMI: every leaf's error is at most {@code maxError} positions. */
    public static RecursiveModelIndex buildRecursive(long[] keys, int maxError) {
        if (maxError < 1) {
            throw new IllegalArgumentException("maxError must be >= 1, got " + maxError);
        }
        Builder b = new Builder(keys, maxError, Math.max(16, Math.min(1 << 16, maxError * 8)));
        b.buildRoot();
        return b.finish();
    }

    /** A single linear model over every key; its error is measured, not bounded. */
    public static RecursiveModelIndex buildLinear(long[] keys) {
        Builder b = new Builder(keys, Integer.MAX_VALUE, Integer.MAX_VALUE);
        int root = b.alloc(1);
        b.buildLeafUnbounded(root, 0, keys.length);
        return b.finish();
    }

    @Override
    public int lowerBound(long key) {
        final long[] nd = nodes;
        int off = 0;
        while (true) {
            int type = (int) nd[off + TYPE];
            int lo = (int) nd[off + LO];
            int hi = (int) nd[off + HI];
            switch (type) {
                case LEAF -> {
                    int err = (int) nd[off + ERR_OR_CHILDREN];
                    long p = predict(nd, off, key, lo, hi);
                    int a = (int) Math.max(lo, p - err);
                    int b = (int) Math.min(hi, p + err + 1);
                    return Windows.lowerBound(keys, a, b, key);
                }
                case SINGLE -> {
                    return Long.compareUnsigned(key, nd[off + BASE]) <= 0 ? lo : hi;
                }
                case LINEAR_INNER, LOG_INNER -> {
                    int count = (int) nd[off + CHILD_COUNT];
                    long c = predict(nd, off, key, 0, count - 1);
                    off = (int) ((nd[off + ERR_OR_CHILDREN] + c) * STRIDE);
                }
                default -> {
                    int count = (int) nd[off + CHILD_COUNT];
                    int from = (int) nd[off + SLOPE];
                    int c = upperBound(seps, from, from + count - 1, key) - from;
                    off = (int) ((nd[off + ERR_OR_CHILDREN] + c) * STRIDE);
                }
            }
        }
    }

    private static long predict(long[] nd, int off, long key, long min, long max) {
        double x = delta(key, nd[off + BASE]);
        if (nd[off + TYPE] == LOG_INNER) {
            x = Math.log1p(x);
        }
        double y = Double.longBitsToDouble(nd[off + INTERCEPT]) + Double.longBitsToDouble(nd[off + SLOPE]) * x;
        long p = (long) Math.floor(y);
        return p < min ? min : (p > max ? max : p);
    }

    /** Unsigned distance from {@code base} to {@code key} as a double; 0 for keys at or below the base. */
    private static double delta(long key, long base) {
        return Long.compareUnsigned(key, base) <= 0 ? 0.0 : Windows.delta(key, base);
    }

    /** Number of separators in {@code seps[from, to)} that are {@code <= key}, plus {@code from}. */
    private static int upperBound(long[] seps, int from, int to, long key) {
        int lo = from;
        int hi = to;
        while (lo < hi) {
            int mid = (lo + hi) >>> 1;
            if (Long.compareUnsigned(seps[mid], key) <= 0) {
                lo = mid + 1;
            } else {
                hi = mid;
            }
        }
        return lo;
    }

    @Override
    public IndexStats stats() {
        long leaves = 0;
        long inner = 0;
        long errSum = 0;
        long errMax = 0;
        for (int off = 0; off < nodes.length; off += STRIDE) {
            int type = (int) nodes[off + TYPE];
            if (type == LEAF || type == SINGLE) {
                leaves++;
                long e = type == LEAF ? nodes[off + ERR_OR_CHILDREN] : 0;
                errSum += e;
                errMax = Math.max(errMax, e);
            } else {
                inner++;
            }
        }
        return new IndexStats(leaves, inner, depth(0), leaves == 0 ? 0 : (double) errSum / leaves, errMax,
                (long) (nodes.length + seps.length) * Long.BYTES);
    }

    private int depth(int node) {
        int off = node * STRIDE;
        int type = (int) nodes[off + TYPE];
        if (type == LEAF || type == SINGLE) {
            return 1;
        }
        int first = (int) nodes[off + ERR_OR_CHILDREN];
        int count = (int) nodes[off + CHILD_COUNT];
        int d = 0;
        for (int c = 0; c < count; c++) {
            d = Math.max(d, depth(first + c));
        }
        return d + 1;
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
        out.writeInt(nodes.length / STRIDE);
        for (long v : nodes) {
            out.writeLong(v);
        }
        out.writeInt(seps.length);
        for (long v : seps) {
            out.writeLong(v);
        }
    }

    static RecursiveModelIndex read(DataInput in, long[] keys) throws IOException {
        int nodeCount = in.readInt();
        if (nodeCount < 1 || nodeCount > (keys.length + 1) * 4 + 16) {
            throw new IOException("implausible model node count " + nodeCount + " for " + keys.length + " keys");
        }
        long[] nodes = new long[nodeCount * STRIDE];
        for (int i = 0; i < nodes.length; i++) {
            nodes[i] = in.readLong();
        }
        int sepCount = in.readInt();
        if (sepCount < 0 || sepCount > keys.length + 16) {
            throw new IOException("implausible separator count " + sepCount);
        }
        long[] seps = new long[sepCount];
        for (int i = 0; i < sepCount; i++) {
            seps[i] = in.readLong();
        }
        RecursiveModelIndex index = new RecursiveModelIndex(keys, nodes, seps);
        index.checkStructure();
        return index;
    }

    /** Rejects a model whose nodes point outside the key array or the node array (a corrupt index block). */
    private void checkStructure() throws IOException {
        int nodeCount = nodes.length / STRIDE;
        for (int off = 0; off < nodes.length; off += STRIDE) {
            long type = nodes[off + TYPE];
            long lo = nodes[off + LO];
            long hi = nodes[off + HI];
            if (type < LEAF || type > LOG_INNER || lo < 0 || hi < lo || hi > keys.length) {
                throw new IOException("model node " + off / STRIDE + " is malformed");
            }
            if (type == LINEAR_INNER || type == SEPARATOR_INNER || type == LOG_INNER) {
                long first = nodes[off + ERR_OR_CHILDREN];
                long count = nodes[off + CHILD_COUNT];
                if (first <= off / STRIDE || count < 1 || first + count > nodeCount) {
                    throw new IOException("model node " + off / STRIDE + " has bad children");
                }
                if (type == SEPARATOR_INNER && (nodes[off + SLOPE] < 0 || nodes[off + SLOPE] + count - 1 > seps.length)) {
                    throw new IOException("model node " + off / STRIDE + " has bad separators");
                }
            }
        }
    }

    /** Builds nodes breadth-first into growable arrays; children of a node get consecutive ids. */
    private static final class Builder {
        private final long[] keys;
        private final int maxError;
        private final int leafSize;
        private long[] nodes = new long[STRIDE * 64];
        private int nodeCount;
        private long[] seps = new long[16];
        private int sepCount;

        Builder(long[] keys, int maxError, int leafSize) {
            this.keys = keys;
            this.maxError = maxError;
            this.leafSize = leafSize;
        }

        RecursiveModelIndex finish() {
            return new RecursiveModelIndex(keys, Arrays.copyOf(nodes, nodeCount * STRIDE), Arrays.copyOf(seps, sepCount));
        }

        int alloc(int count) {
            int first = nodeCount;
            nodeCount += count;
            if (nodeCount * STRIDE > nodes.length) {
                nodes = Arrays.copyOf(nodes, Math.max(nodes.length * 2, nodeCount * STRIDE));
            }
            return first;
        }

        void buildRoot() {
            int root = alloc(1);
            build(root, 0, keys.length, 0);
        }

        private void build(int node, int lo, int hi, int depth) {
            if (hi - lo <= 1 || keys[lo] == keys[hi - 1]) {
                writeSingle(node, lo, hi);
                return;
            }
            if (hi - lo <= LEAF_TRY_FACTOR * leafSize) {
                Fit fit = Fit.leastSquares(keys, lo, hi, false, true);
                long err = leafError(keys, lo, hi, fit);
                if (err <= maxError) {
                    writeLeaf(node, lo, hi, fit, err);
                    return;
                }
            }
            int fanout = (int) Math.min(1 << 22, Math.max(2, ((long) hi - lo + leafSize - 1) / leafSize));
            if (depth < DEPTH_MAX_LINEAR && tryLinearInner(node, lo, hi, fanout, depth)) {
                return;
            }
            buildSeparatorInner(node, lo, hi, Math.min(fanout, SEPARATOR_FANOUT_MAX), depth);
        }

        void buildLeafUnbounded(int node, int lo, int hi) {
            if (hi - lo <= 1 || keys[lo] == keys[hi - 1]) {
                writeSingle(node, lo, hi);
                return;
            }
            Fit fit = Fit.leastSquares(keys, lo, hi, false, true);
            writeLeaf(node, lo, hi, fit, leafError(keys, lo, hi, fit));
        }

        /**
         * Routes with a linear model on the key, or on log(1 + key - base) when that spreads the keys better
         * (the "loglinear" root of SOSD's RMIs: it tames lognormal-like skew). Fails when no router leaves the
         * largest child under 15/16 of the keys.
         */
        private boolean tryLinearInner(int node, int lo, int hi, int fanout, int depth) {
            int[] linear = new int[fanout + 1];
            Fit linearFit = Fit.leastSquares(keys, lo, hi, false, false).scaledToChildren(lo, hi, fanout);
            int linearLargest = route(linearFit, lo, hi, fanout, linear);
            int[] log = new int[fanout + 1];
            Fit logFit = Fit.leastSquares(keys, lo, hi, true, false).scaledToChildren(lo, hi, fanout);
            int logLargest = route(logFit, lo, hi, fanout, log);
            boolean useLog = logLargest < linearLargest;
            int largest = useLog ? logLargest : linearLargest;
            if ((long) largest * 16 > (long) (hi - lo) * 15) {
                return false;
            }
            Fit fit = useLog ? logFit : linearFit;
            int[] starts = useLog ? log : linear;
            int first = alloc(fanout);
            writeNode(node, useLog ? LOG_INNER : LINEAR_INNER, fit.base, fit.slope, fit.intercept, lo, hi, first, fanout);
            for (int c = 0; c < fanout; c++) {
                build(first + c, starts[c], starts[c + 1], depth + 1);
            }
            return true;
        }

        /** Fills {@code starts} with each child's first position under {@code fit}; returns the largest child. */
        private int route(Fit fit, int lo, int hi, int fanout, int[] starts) {
            int child = 0;
            starts[0] = lo;
            for (int i = lo; i < hi; i++) {
                long c = fit.route(keys[i], fanout);
                while (child < c) {
                    starts[++child] = i;
                }
            }
            while (child < fanout) {
                starts[++child] = hi;
            }
            int largest = 0;
            for (int c = 0; c < fanout; c++) {
                largest = Math.max(largest, starts[c + 1] - starts[c]);
            }
            return largest;
        }

        private void buildSeparatorInner(int node, int lo, int hi, int fanout, int depth) {
            int[] starts = new int[fanout + 1];
            int count = 0;
            starts[0] = lo;
            for (int c = 1; c < fanout; c++) {
                int cut = Math.max((int) (lo + (long) (hi - lo) * c / fanout), starts[count] + 1);
                if (cut >= hi) {
                    break;
                }
                int forward = cut;
                while (forward < hi && keys[forward] == keys[forward - 1]) {
                    forward++; // never split a run of equal keys: cut at its end...
                }
                int backward = cut;
                while (backward > starts[count] && keys[backward] == keys[backward - 1]) {
                    backward--; // ...or, when the run reaches the end of the range, at its start
                }
                cut = forward < hi ? forward : backward;
                if (cut > starts[count] && cut < hi) {
                    starts[++count] = cut;
                }
            }
            starts[++count] = hi;
            int first = alloc(count);
            int sepStart = sepCount;
            for (int c = 1; c < count; c++) {
                if (sepCount == seps.length) {
                    seps = Arrays.copyOf(seps, seps.length * 2);
                }
                seps[sepCount++] = keys[starts[c]];
            }
            writeNode(node, SEPARATOR_INNER, keys[lo], 0, 0, lo, hi, first, count);
            nodes[node * STRIDE + SLOPE] = sepStart; // separator nodes keep their separators' offset here
            for (int c = 0; c < count; c++) {
                build(first + c, starts[c], starts[c + 1], depth + 1);
            }
        }

        private void writeLeaf(int node, int lo, int hi, Fit fit, long err) {
            writeNode(node, LEAF, fit.base, fit.slope, fit.intercept, lo, hi, err, 0);
        }

        private void writeSingle(int node, int lo, int hi) {
            writeNode(node, SINGLE, lo < hi ? keys[lo] : 0, 0, 0, lo, hi, 0, 0);
        }

        private void writeNode(int node, int type, long base, double slope, double intercept, int lo, int hi,
                               long slot6, long slot7) {
            int off = node * STRIDE;
            nodes[off + TYPE] = type;
            nodes[off + BASE] = base;
            nodes[off + SLOPE] = Double.doubleToRawLongBits(slope);
            nodes[off + INTERCEPT] = Double.doubleToRawLongBits(intercept);
            nodes[off + LO] = lo;
            nodes[off + HI] = hi;
            nodes[off + ERR_OR_CHILDREN] = slot6;
            nodes[off + CHILD_COUNT] = slot7;
        }
    }

    /**
     * The error a leaf must store so that a window {@code [p - e, p + e + 1]} around the prediction {@code p}
     * contains the lower bound of <em>every</em> key, trained or not: for each distinct key {@code k} with first
     * position {@code f} and next distinct key at {@code g}, both {@code |p(k) - f|} and {@code g - 1 - p(k)}.
     */
    static long leafError(long[] keys, int lo, int hi, Fit fit) {
        long err = 0;
        int i = lo;
        while (i < hi) {
            int next = i + 1;
            while (next < hi && keys[next] == keys[i]) {
                next++;
            }
            long p = fit.position(keys[i], lo, hi);
            err = Math.max(err, Math.max(Math.abs(p - i), next - 1 - p));
            i = next;
        }
        return err;
    }

    /** A linear model {@code position = intercept + slope * (key - base)}, fitted on distinct keys. */
    static final class Fit {
        final long base;
        final double slope;
        final double intercept;
        final boolean log;

        Fit(long base, double slope, double intercept, boolean log) {
            this.base = base;
            this.slope = slope;
            this.intercept = intercept;
            this.log = log;
        }

        private double x(long key) {
            double d = delta(key, base);
            return log ? Math.log1p(d) : d;
        }

        /**
         * Least squares over (key, first position) of each distinct key. A leaf ({@code centred}) then shifts
         * the line to the middle of its residuals, which minimises the max error it must store; a router keeps
         * the plain least-squares line, which an outlier would otherwise drag far from the bulk of the keys.
         */
        static Fit leastSquares(long[] keys, int lo, int hi, boolean log, boolean centred) {
            Fit unit = new Fit(keys[lo], 0, 0, log);
            double sx = 0;
            double sy = 0;
            long m = 0;
            for (int i = lo; i < hi; i++) {
                if (i > lo && keys[i] == keys[i - 1]) {
                    continue;
                }
                sx += unit.x(keys[i]);
                sy += i;
                m++;
            }
            double mx = sx / m;
            double my = sy / m;
            double sxx = 0;
            double sxy = 0;
            for (int i = lo; i < hi; i++) {
                if (i > lo && keys[i] == keys[i - 1]) {
                    continue;
                }
                double dx = unit.x(keys[i]) - mx;
                sxx += dx * dx;
                sxy += dx * (i - my);
            }
            double slope = sxx > 0 ? Math.max(0, sxy / sxx) : 0;
            double intercept = my - slope * mx;
            if (!centred) {
                return new Fit(unit.base, slope, intercept, log);
            }
            double rmin = Double.POSITIVE_INFINITY;
            double rmax = Double.NEGATIVE_INFINITY;
            for (int i = lo; i < hi; i++) {
                if (i > lo && keys[i] == keys[i - 1]) {
                    continue;
                }
                double r = i - (intercept + slope * unit.x(keys[i]));
                rmin = Math.min(rmin, r);
                rmax = Math.max(rmax, r);
            }
            return new Fit(unit.base, slope, intercept + (rmin + rmax) / 2, log);
        }

        /** The same line rescaled to predict a child number in {@code [0, fanout)} of the range {@code [lo, hi)}. */
        Fit scaledToChildren(int lo, int hi, int fanout) {
            double scale = (double) fanout / (hi - lo);
            return new Fit(base, slope * scale, (intercept - lo) * scale, log);
        }

        long route(long key, int fanout) {
            long c = (long) Math.floor(intercept + slope * x(key));
            return c < 0 ? 0 : Math.min(c, fanout - 1);
        }

        long position(long key, int lo, int hi) {
            long p = (long) Math.floor(intercept + slope * x(key));
            return p < lo ? lo : Math.min(p, hi);
        }
    }
}
