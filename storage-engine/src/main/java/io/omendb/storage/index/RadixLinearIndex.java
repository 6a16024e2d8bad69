package io.omendb.storage.index;

import java.io.DataInput;
import java.io.DataOutput;
import java.io.IOException;
import java.util.Arrays;

/**
 * A two-level learned index over one sorted array of unsigned 64-bit keys: a radix table routes a key to a
 * short run of piecewise-linear leaves; the leaf predicts the key's position and a window of {@code ±error}
 * around the prediction is searched.
 *
 * <p><b>Why this shape.</b> A lookup is bound by dependent cache misses, not arithmetic. The radix table (four
 * bytes a bucket, a few hundred KiB) and the leaves (32 bytes each, one leaf per hundreds to thousands of keys) are small
 * enough to stay in the CPU caches at 10M keys, so a lookup pays about one miss into the keys for its window —
 * against the five or more routing levels of a recursive model on skewed keys. At 100M keys the leaves outgrow
 * the caches and a lookup pays the limit the field aims at: one miss for the leaf, one for the window.
 *
 * <p><b>Guarantee.</b> Every leaf's recorded error {@code e} is at most {@code maxError}, and for every key
 * {@code k} that routes to the leaf, present in the array or not, the lower bound of {@code k} lies in the
 * window {@code [p - e, p + e + 1]} around the leaf's prediction {@code p}. So {@link #lowerBound} is exact
 * with no fallback search. It holds because (1) a leaf's prediction is a non-decreasing function of the key
 * (slope ≥ 0, monotone rounding), (2) the leaf's error is measured with the very function lookups use, over each
 * distinct key's first position and the position right before the next distinct key (see
 * {@link #measureError}), and (3) a key routes to the last leaf whose first key is at or below it, so a key
 * between two trained keys is judged by the leaf that holds both or by the one holding the lower key, whose
 * error covers the position after its last key and whose prediction is clamped to that position. A run of equal keys longer than the window allows gets two
 * zero-error constant leaves (the run, and the gap after it).
 *
 * <p><b>Leaves.</b> Built greedily left to right with a shrinking cone (the FITing-tree construction): a leaf
 * grows while some line through its first point keeps every key within {@code maxError} (with a quarter
 * position of slack for rounding); the chosen slope is then re-centred to minimise the recorded error.
 *
 * <p><b>Root.</b> A radix table on {@code t(key)}, where {@code t} is either {@code key - min} (uniform-like
 * keys) or the bits of the double {@code key - min} — exponent then mantissa, a monotone piecewise-linear
 * log2 that spreads lognormal-like skew over the table. The build tries both transforms and several table
 * sizes and keeps the one with the fewest expected search steps among the leaves a bucket can hold (ties to
 * the smaller table). The search among those leaves is branch-free (the leaves are cached, so a mispredicted
 * branch would cost more than the loads); the window search is a plain binary search, which measured faster
 * than a branch-free one or a linear count over the window (its speculated loads overlap the window's misses).
 *
 * <p><b>Alphabet.</b> Keys that use few values per byte (decimal or hex digits) are first mapped through their
 * {@link ByteAlphabet}, and root and leaves work on the images (the window is still searched on the keys: the
 * map is monotone, so a lower bound of the image is a lower bound of the key). The build keeps the map only when
 * it cuts the leaves by a quarter or more, and only for segments whose keys take at least eight times the map's
 * 16 KiB.
 *
 * <p><b>Layout.</b> Leaves live in one flat {@code long[]}, four slots each: first key (sign-flipped so a
 * signed compare orders it unsigned), slope and intercept (raw double bits), end position and error. The radix
 * table is derived from the leaves and rebuilt on read, so the stored form is the leaves, three routing numbers
 * and, when used, the alphabet's byte sets.
 * Immutable after construction; any number of readers.
 */
public final class RadixLinearIndex implements KeyIndex {
    private static final int STRIDE = 4;
    private static final int FIRST = 0;
    private static final int SLOPE = 1;
    private static final int INTERCEPT = 2;
    /** Slot holding {@code end << 32 | error}: the leaf's end position (exclusive) and its recorded error. */
    private static final int END_ERR = 3;

    /** {@code t(key) = key - min}. */
    static final int TRANSFORM_LINEAR = 0;
    /** {@code t(key) = bits(double(key - min)) - bits(smallest non-zero distance)}. */
    static final int TRANSFORM_LOG = 1;

    private static final int BUCKET_BITS_MIN = 4;
    private static final int BUCKET_BITS_MAX = 20;
    /** Table sizes tried above the one closest to the leaf count. */
    private static final int BUCKET_BITS_EXTRA = 3;
    /** Slack kept on each side of a leaf's corridor so double rounding never breaks the recorded error. */
    private static final double ROUNDING_SLACK = 0.25;

    private final long[] keys;
    /** Applied to a key before the root and the leaves see it; {@code null} for none. */
    private final ByteAlphabet alphabet;
    private final long[] leaves;
    private final int leafCount;
    private final long min;
    private final int transform;
    private final long logBase;
    private final int shift;
    private final int bucketBits;
    /** {@code starts[b]}: the leaf holding bucket {@code b}'s smallest key; {@code starts[buckets]}: the last leaf. */
    private final int[] starts;

    private RadixLinearIndex(long[] keys, ByteAlphabet alphabet, long[] leaves, int transform, long logBase,
                             int shift, int bucketBits) {
        this.keys = keys;
        this.alphabet = alphabet;
        this.leaves = leaves;
        this.leafCount = leaves.length / STRIDE;
        this.min = leafCount == 0 ? 0 : leaves[FIRST] ^ Long.MIN_VALUE;
        this.transform = transform;
        this.logBase = logBase;
        this.shift = shift;
        this.bucketBits = bucketBits;
        this.starts = buildStarts();
    }

    /** A bounded-error index: every leaf's error is at most {@code maxError} positions. */
    public static RadixLinearIndex build(long[] keys, int maxError) {
        if (maxError < 1) {
            throw new IllegalArgumentException("maxError must be >= 1, got " + maxError);
        }
        long[] leaves = new LeafBuilder(keys, maxError).build();
        // the alphabet's table must not cost more than an eighth of the keys' own memory (small segments skip it)
        boolean alphabetFits = (long) keys.length * Long.BYTES >= 8L * ByteAlphabet.TABLE_BYTES;
        ByteAlphabet alphabet = alphabetFits ? ByteAlphabet.of(keys) : null;
        if (alphabet != null) {
            long[] images = alphabet.applyAll(keys);
            long[] imageLeaves = new LeafBuilder(images, maxError).build();
            if ((long) imageLeaves.length * 4 < (long) leaves.length * 3) {
                return Router.choose(images, imageLeaves).index(keys, alphabet, imageLeaves);
            }
        }
        return Router.choose(keys, leaves).index(keys, null, leaves);
    }

    @Override
    public int lowerBound(long key) {
        final long[] lv = leaves;
        long m = alphabet == null ? key : alphabet.apply(key);
        long flipped = m ^ Long.MIN_VALUE;
        int b = bucket(m);
        int lo = starts[b];
        int n = starts[b + 1] - lo + 1;
        while (n > 1) { // branch-free: the last leaf in [lo, lo + n) whose first key is <= key (or lo)
            int half = n >>> 1;
            lo = lv[(lo + half) * STRIDE + FIRST] <= flipped ? lo + half : lo;
            n -= half;
        }
        int off = lo * STRIDE;
        long p = predict(lv, off, m);
        int err = (int) lv[off + END_ERR];
        int from = (int) Math.max(0, p - err);
        int to = (int) Math.min(keys.length, p + err + 1);
        return Windows.lowerBound(keys, from, to, key);
    }

    private int bucket(long key) {
        long u = Long.compareUnsigned(key, min) <= 0 ? 0 : key - min;
        long t;
        if (transform == TRANSFORM_LINEAR) {
            t = u >>> shift;
        } else {
            long bits = Double.doubleToRawLongBits(Windows.delta(u, 0)) - logBase;
            t = bits < 0 ? 0 : bits >>> shift;
        }
        long last = (1L << bucketBits) - 1;
        return (int) (t > last || t < 0 ? last : t);
    }

    /**
     * Position predicted by the leaf at {@code off}, clamped to {@code [0, end]}; non-decreasing in the key. The
     * clamp at the leaf's end is what keeps a key past the leaf's last key (in the gap before the next leaf's
     * first key) within the window: its answer is {@code end}.
     */
    private static long predict(long[] lv, int off, long key) {
        long first = lv[off + FIRST] ^ Long.MIN_VALUE;
        double x = Long.compareUnsigned(key, first) <= 0 ? 0.0 : Windows.delta(key, first);
        double y = Double.longBitsToDouble(lv[off + INTERCEPT]) + Double.longBitsToDouble(lv[off + SLOPE]) * x;
        long p = (long) y; // truncation equals floor for y >= 0, and anything below 0 is clamped to 0
        return p < 0 ? 0 : Math.min(p, lv[off + END_ERR] >>> 32);
    }

    private int[] buildStarts() {
        int buckets = 1 << bucketBits;
        int[] s = new int[buckets + 1];
        int leaf = 0;
        for (int b = 0; b < buckets; b++) {
            // leaf = first leaf whose bucket is >= b; bucket b's smallest key lies in the leaf before it
            while (leaf < leafCount && bucket(leaves[leaf * STRIDE + FIRST] ^ Long.MIN_VALUE) < b) {
                leaf++;
            }
            s[b] = Math.max(0, leaf - 1);
        }
        s[buckets] = Math.max(0, leafCount - 1);
        return s;
    }

    @Override
    public IndexStats stats() {
        long errSum = 0;
        long errMax = 0;
        for (int off = 0; off < leaves.length; off += STRIDE) {
            errSum += (int) leaves[off + END_ERR];
            errMax = Math.max(errMax, (int) leaves[off + END_ERR]);
        }
        return new IndexStats(leafCount, 1, 2, leafCount == 0 ? 0 : (double) errSum / leafCount, errMax,
                (long) leaves.length * Long.BYTES + (long) starts.length * Integer.BYTES
                        + (alphabet == null ? 0 : ByteAlphabet.TABLE_BYTES));
    }

    @Override
    public void writeTo(DataOutput out) throws IOException {
        out.writeByte(transform);
        out.writeLong(logBase);
        out.writeByte(shift);
        out.writeByte(bucketBits);
        out.writeBoolean(alphabet != null);
        if (alphabet != null) {
            alphabet.writeTo(out);
        }
        out.writeInt(leafCount);
        for (long v : leaves) {
            out.writeLong(v);
        }
    }

    /** Reads what {@link #writeTo} wrote; rejects a model that could route or search outside its rules. */
    static RadixLinearIndex read(DataInput in, long[] keys) throws IOException {
        int transform = in.readByte();
        long logBase = in.readLong();
        int shift = in.readByte();
        int bucketBits = in.readByte();
        ByteAlphabet alphabet = in.readBoolean() ? ByteAlphabet.read(in) : null;
        int leafCount = in.readInt();
        if (transform != TRANSFORM_LINEAR && transform != TRANSFORM_LOG || shift < 1 || shift > 63
                || bucketBits < 0 || bucketBits > BUCKET_BITS_MAX) {
            throw new IOException("bad radix router (transform " + transform + ", shift " + shift + ", bits "
                    + bucketBits + ")");
        }
        if (leafCount < 1 || leafCount > 2L * keys.length + 1) {
            throw new IOException("implausible leaf count " + leafCount + " for " + keys.length + " keys");
        }
        long[] leaves = new long[leafCount * STRIDE];
        for (int i = 0; i < leaves.length; i++) {
            leaves[i] = in.readLong();
        }
        for (int off = 0; off < leaves.length; off += STRIDE) {
            double slope = Double.longBitsToDouble(leaves[off + SLOPE]);
            double intercept = Double.longBitsToDouble(leaves[off + INTERCEPT]);
            boolean ordered = off == 0 || leaves[off - STRIDE + FIRST] < leaves[off + FIRST];
            long end = leaves[off + END_ERR] >>> 32;
            int err = (int) leaves[off + END_ERR];
            if (!ordered || !(slope >= 0) || Double.isInfinite(slope) || !Double.isFinite(intercept)
                    || end > keys.length || err < 0 || err > keys.length) {
                throw new IOException("model leaf " + off / STRIDE + " is malformed");
            }
        }
        return new RadixLinearIndex(keys, alphabet, leaves, transform, logBase, shift, bucketBits);
    }

    /**
     * The error a leaf must record so that the window {@code [p - e, p + e + 1]} around the prediction
     * {@code p} holds the lower bound of every key it answers: for each distinct key with first position
     * {@code f} and next distinct key at {@code g}, both {@code p - f} and {@code g - 1 - p}.
     */
    static long measureError(long[] keys, int lo, int hi, long[] lv, int off) {
        long err = 0;
        int i = lo;
        while (i < hi) {
            int next = i + 1;
            while (next < hi && keys[next] == keys[i]) {
                next++;
            }
            long p = predict(lv, off, keys[i]);
            err = Math.max(err, Math.max(p - i, next - 1 - p));
            i = next;
        }
        return err;
    }

    /** Cuts the keys into leaves, left to right, each as long as its error bound allows. */
    private static final class LeafBuilder {
        private final long[] keys;
        private final int maxError;
        private long[] out = new long[STRIDE * 64];
        private int count;

        LeafBuilder(long[] keys, int maxError) {
            this.keys = keys;
            this.maxError = maxError;
        }

        long[] build() {
            if (keys.length == 0) {
                emit(0, 0, 0, 0, 0);
                return finish();
            }
            int i = 0;
            while (i < keys.length) {
                int runEnd = runEnd(i);
                if (runEnd - i > 2L * maxError + 1) {
                    i = emitLongRun(i, runEnd);
                } else {
                    i = emitLine(i);
                }
            }
            return finish();
        }

        private long[] finish() {
            return Arrays.copyOf(out, count * STRIDE);
        }

        private int runEnd(int i) {
            int next = i + 1;
            while (next < keys.length && keys[next] == keys[i]) {
                next++;
            }
            return next;
        }

        /** A run of equal keys too long for one window: a leaf for the key, one for the gap after it. */
        private int emitLongRun(int f, int g) {
            long k = keys[f];
            emit(k, 0, f, g, 0);
            if (k != -1L && (g == keys.length || keys[g] != k + 1)) {
                emit(k + 1, 0, g, g, 0);
            }
            return g;
        }

        /**
         * Grows one leaf from {@code start} with a shrinking cone through its first point, re-centres it, and
         * returns where the next leaf starts. Each distinct key (first position {@code f}, next distinct at
         * {@code g}) needs a prediction {@code y} with {@code floor(y)} in {@code [g - 1 - maxError, f + maxError]}.
         */
        private int emitLine(int start) {
            long base = keys[start];
            int g0 = runEnd(start);
            double origin = Math.max(start, g0 - 1 - maxError + ROUNDING_SLACK);
            double slopeLo = 0;
            double slopeHi = Double.POSITIVE_INFINITY;
            int end = g0;
            while (end < keys.length) {
                int g = runEnd(end);
                if (g - end > 2L * maxError + 1) {
                    break; // a long run gets leaves of its own
                }
                double x = Windows.delta(keys[end], base);
                double lo = Math.max(slopeLo, (g - 1 - maxError + ROUNDING_SLACK - origin) / x);
                double hi = Math.min(slopeHi, (end + maxError + 1 - ROUNDING_SLACK - origin) / x);
                if (lo > hi) {
                    break;
                }
                slopeLo = lo;
                slopeHi = hi;
                end = g;
            }
            double slope = Double.isInfinite(slopeHi) ? 0 : (slopeLo + slopeHi) / 2;
            int off = emit(base, slope, origin, end, 0);
            centre(start, end, off);
            return end;
        }

        /**
         * Shifts the leaf's intercept to the middle of the corridor its keys allow, which minimises its error,
         * and records the error measured with the lookup's own arithmetic. Falls back to the cone's origin in
         * the unlikely case that rounding makes the centred line worse.
         */
        private void centre(int start, int end, int off) {
            double slope = Double.longBitsToDouble(out[off + SLOPE]);
            long base = keys[start];
            double need = Double.NEGATIVE_INFINITY; // max over keys of (g - 1 - slope * x)
            double allow = Double.POSITIVE_INFINITY; // min over keys of (f - slope * x)
            int i = start;
            while (i < end) {
                int g = runEnd(i);
                double sx = slope * Windows.delta(keys[i], base);
                need = Math.max(need, g - 1 - sx);
                allow = Math.min(allow, i - sx);
                i = g;
            }
            long coneIntercept = out[off + INTERCEPT];
            long coneErr = measureError(keys, start, end, out, off);
            out[off + INTERCEPT] = Double.doubleToRawLongBits((need + allow) / 2 + 0.5);
            long err = measureError(keys, start, end, out, off);
            if (err > coneErr) {
                out[off + INTERCEPT] = coneIntercept;
                err = coneErr;
            }
            if (err > maxError) {
                throw new IllegalStateException("leaf error " + err + " above " + maxError);
            }
            out[off + END_ERR] = (long) end << 32 | err;
        }

        private int emit(long firstKey, double slope, double intercept, int end, int err) {
            if ((count + 1) * STRIDE > out.length) {
                out = Arrays.copyOf(out, out.length * 2);
            }
            int off = count * STRIDE;
            out[off + FIRST] = firstKey ^ Long.MIN_VALUE;
            out[off + SLOPE] = Double.doubleToRawLongBits(slope);
            out[off + INTERCEPT] = Double.doubleToRawLongBits(intercept);
            out[off + END_ERR] = (long) end << 32 | err;
            count++;
            return off;
        }
    }

    /** One candidate radix table: a transform, a shift, and the table size. */
    private record Router(int transform, long logBase, int shift, int bucketBits) {
        RadixLinearIndex index(long[] keys, ByteAlphabet alphabet, long[] leaves) {
            return new RadixLinearIndex(keys, alphabet, leaves, transform, logBase, shift, bucketBits);
        }

        /**
         * Tries both transforms at table sizes from about the leaf count up to {@code 2^BUCKET_BITS_EXTRA}
         * times it, and keeps the one whose lookups search the fewest leaves (expected steps over the keys).
         */
        static Router choose(long[] keys, long[] leaves) {
            int leafCount = leaves.length / STRIDE;
            if (keys.length == 0 || keys[0] == keys[keys.length - 1]) {
                return new Router(TRANSFORM_LINEAR, 0, 1, 0);
            }
            long span = keys[keys.length - 1] - keys[0];
            int bitsLow = Math.min(BUCKET_BITS_MAX, Math.max(BUCKET_BITS_MIN, 64 - Long.numberOfLeadingZeros(leafCount)));
            Router best = null;
            double bestSteps = Double.POSITIVE_INFINITY;
            for (int bits = bitsLow; bits <= Math.min(BUCKET_BITS_MAX, bitsLow + BUCKET_BITS_EXTRA); bits++) {
                for (Router r : new Router[]{linear(span, bits), log(keys, span, bits)}) {
                    double steps = r.index(keys, null, leaves).expectedSteps(keys);
                    if (steps < bestSteps - 0.05) {
                        best = r;
                        bestSteps = steps;
                    }
                }
            }
            return best;
        }

        private static Router linear(long span, int bits) {
            int spanBits = 64 - Long.numberOfLeadingZeros(span);
            return new Router(TRANSFORM_LINEAR, 0, Math.max(1, spanBits - bits), bits);
        }

        /** Exponent and mantissa bits of the distances, from the smallest non-zero one up to the span. */
        private static Router log(long[] keys, long span, int bits) {
            long smallest = span;
            for (int i = 1; i < keys.length; i++) {
                if (keys[i] != keys[0]) {
                    smallest = keys[i] - keys[0];
                    break;
                }
            }
            long low = Double.doubleToRawLongBits(Windows.delta(smallest, 0));
            long high = Double.doubleToRawLongBits(Windows.delta(span, 0));
            int rangeBits = 64 - Long.numberOfLeadingZeros(high - low);
            return new Router(TRANSFORM_LOG, low, Math.max(1, rangeBits - bits), bits);
        }
    }

    /** Mean number of branch-free search steps among leaves per lookup of a model key (sampled). */
    private double expectedSteps(long[] modelKeys) {
        int stride = Math.max(1, modelKeys.length / 1_000_000);
        long steps = 0;
        long samples = 0;
        for (int i = 0; i < modelKeys.length; i += stride) {
            int b = bucket(modelKeys[i]);
            steps += 32 - Integer.numberOfLeadingZeros(starts[b + 1] - starts[b]);
            samples++;
        }
        return (double) steps / samples + (double) starts.length * Integer.BYTES / (1 << 22);
    }
}
