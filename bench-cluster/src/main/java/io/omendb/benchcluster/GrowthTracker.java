package io.omendb.benchcluster;

import io.omendb.benchcommon.JsonLine;

import java.util.ArrayList;
import java.util.HashSet;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Set;
import java.util.TreeMap;

/**
 * What {@code omendb-bench growth} learns from its samples of {@code GET /admin/ranges}: per sample the range count and
 * the sizes, and per range id not in the first sample the time it first appeared (its split time; ids are never
 * reused, and merges are off in this run, so a new id is a split). The first sample is the layout before the ingest.
 *
 * <p>Pure (no I/O, no clock: the caller passes the elapsed time). Thread-safe: the sampler thread records while the
 * main thread may read; every method is synchronized, and readers get copies.
 */
final class GrowthTracker {
    private static final double MIB = 1024.0 * 1024;

    /**
     * One sample: seconds since the ingest started, bytes of keys and values acknowledged by then, the range count,
     * the sum and the largest of the ranges' {@code data_bytes} (ranges whose leader did not answer left out), and the
     * ingest rate since the previous sample.
     */
    record Sample(double elapsedS, long ingestedBytes, int rangeCount, long totalDataBytes, long maxDataBytes,
                  double ingestMibPerS) {
        JsonLine jsonLine() {
            return new JsonLine().put("bench", "growth").put("t_s", elapsedS).put("ingested_mib", ingestedBytes / MIB)
                    .put("ranges", rangeCount).put("data_mib", totalDataBytes / MIB)
                    .put("max_range_mib", maxDataBytes / MIB).put("ingest_mib_per_s", ingestMibPerS);
        }
    }

    /** Bytes acknowledged at a sampling time, whether {@code /admin/ranges} answered then or not. */
    record Progress(double elapsedS, long ingestedBytes) {
    }

    /** A range that appeared after the first sample: its id and the elapsed second of the first sample holding it. */
    record Split(long id, double firstSeenS) {
    }

    private final List<Sample> samples = new ArrayList<>();
    private final List<Progress> progress = new ArrayList<>();
    private int unanswered;
    private final Set<Long> initialIds = new HashSet<>();
    private final Map<Long, Double> firstSeen = new LinkedHashMap<>();
    private List<RangeRow> latest = List.of();

    /** Records the ranges read at {@code elapsedS} when {@code ingestedBytes} were acknowledged; returns the sample. */
    synchronized Sample record(double elapsedS, long ingestedBytes, List<RangeRow> ranges) {
        boolean first = samples.isEmpty();
        long total = 0;
        long max = 0;
        for (RangeRow r : ranges) {
            if (first) {
                initialIds.add(r.id());
            } else if (!initialIds.contains(r.id())) {
                firstSeen.putIfAbsent(r.id(), elapsedS);
            }
            if (r.dataBytes() >= 0) {
                total += r.dataBytes();
                max = Math.max(max, r.dataBytes());
            }
        }
        double rate = 0;
        if (!first) {
            Sample previous = samples.get(samples.size() - 1);
            double seconds = elapsedS - previous.elapsedS();
            rate = seconds > 0 ? (ingestedBytes - previous.ingestedBytes()) / MIB / seconds : 0;
        }
        Sample s = new Sample(elapsedS, ingestedBytes, ranges.size(), total, max, rate);
        samples.add(s);
        progress.add(new Progress(elapsedS, ingestedBytes));
        latest = List.copyOf(ranges);
        return s;
    }

    /**
     * Records a sampling time at which {@code /admin/ranges} did not answer (a busy cluster times it out): the ingest's
     * progress is kept, the ranges are not known; a split seen at the next answer is dated then.
     */
    synchronized void recordUnanswered(double elapsedS, long ingestedBytes) {
        unanswered++;
        progress.add(new Progress(elapsedS, ingestedBytes));
    }

    synchronized int unanswered() {
        return unanswered;
    }

    /** The longest time between two answered samples, s: the most a split time may lag behind the split. */
    synchronized double longestGapS() {
        double gap = 0;
        for (int i = 1; i < samples.size(); i++) {
            gap = Math.max(gap, samples.get(i).elapsedS() - samples.get(i - 1).elapsedS());
        }
        return gap;
    }

    synchronized List<Progress> progress() {
        return List.copyOf(progress);
    }

    synchronized List<Sample> samples() {
        return List.copyOf(samples);
    }

    /** The ranges that appeared after the first sample, in the order they did. */
    synchronized List<Split> splits() {
        List<Split> splits = new ArrayList<>();
        firstSeen.forEach((id, s) -> splits.add(new Split(id, s)));
        return splits;
    }

    /** The ranges of the last sample, in key order. */
    synchronized List<RangeRow> latest() {
        return latest;
    }

    /** The ranges each node leads in the last sample, by node id (sorted); ranges without a leader left out. */
    synchronized Map<String, Integer> leadersPerNode() {
        Map<String, Integer> leaders = new TreeMap<>();
        latest.stream().filter(r -> r.leader() != null).forEach(r -> leaders.merge(r.leader(), 1, Integer::sum));
        return leaders;
    }

    /** The sorted {@code data_bytes} of the last sample's ranges, those whose leader answered. */
    synchronized long[] latestSizesSorted() {
        return latest.stream().mapToLong(RangeRow::dataBytes).filter(b -> b >= 0).sorted().toArray();
    }

    /** The largest {@code data_bytes} any range had in any sample: how far past the split size a range grew. */
    synchronized long peakRangeBytes() {
        return samples.stream().mapToLong(Sample::maxDataBytes).max().orElse(0);
    }
}
