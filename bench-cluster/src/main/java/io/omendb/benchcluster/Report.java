package io.omendb.benchcluster;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;
import org.knowm.xchart.BitmapEncoder;
import org.knowm.xchart.CategoryChart;
import org.knowm.xchart.CategoryChartBuilder;

/**
 * The human outputs of one run: a Markdown report (a row per measured cell with the warm-up it got and whether
 * that warm-up reached steady state; after several rounds the median of each cell; then OmenDB's ratio to each peer
 * per workload, on the medians and per round) and a PNG with two bar charts, throughput and p99 latency per
 * workload and target (medians). Formatting is pure ({@link #markdown}) so it is
 * unit-tested; the chart is drawn headless with XChart.
 */
final class Report {
    static final String OMENDB = "omendb";

    private Report() {
    }

    /** {@code machineMarkdown}: the header saying where it ran ({@code MachineInfo#markdown}), ending in a blank line. */
    static String markdown(List<Result> results, String command, String machineMarkdown) {
        StringBuilder md = new StringBuilder("# Cluster benchmark report\n\n");
        md.append("Command: `").append(command).append("`\n\n").append(machineMarkdown);
        int rounds = rounds(results);
        md.append(rounds > 1 ? "| round " : "").append("| target | workload | dist | clients | ops/s | p50 ms | p99 ms"
                + " | p99.9 ms | max ms | errors | warm-up s | steady |\n");
        md.append(rounds > 1 ? "|---:" : "").append("|---|---|---|---:|---:|---:|---:|---:|---:|---:|---:|---|\n");
        for (Result r : results) {
            md.append(rounds > 1 ? "| " + r.round() + " " : "").append(String.format(Locale.ROOT,
                    "| %s | %s | %s | %d | %,.0f | %.2f | %.2f | %.2f | %.2f | %d | %.0f | %s |%n",
                    r.target(), r.workload(), r.distribution(), r.clients(), r.opsPerSecond(), r.p50Ms(),
                    r.p99Ms(), r.p999Ms(), r.maxMs(), r.errors(), r.warmupSeconds(), r.steady() ? "yes" : "no"));
        }
        List<Result> medians = medians(results);
        if (rounds > 1) {
            md.append("\nMedian of ").append(rounds).append(" rounds (ops/s and p99 each the median of the rounds'):\n\n");
            md.append("| target | workload | ops/s | p99 ms |\n|---|---|---:|---:|\n");
            for (Result m : medians) {
                md.append(String.format(Locale.ROOT, "| %s | %s | %,.0f | %.2f |%n", m.target(), m.workload(),
                        m.opsPerSecond(), m.p99Ms()));
            }
        }
        List<String> ratios = ratioLines(medians);
        if (!ratios.isEmpty()) {
            md.append("\nOmenDB relative to each peer (throughput ratio; p99 ratio, below 1 is better)")
                    .append(rounds > 1 ? ", medians" : "").append(":\n\n");
            ratios.forEach(line -> md.append("- ").append(line).append('\n'));
            for (int round = 1; rounds > 1 && round <= rounds; round++) {
                int r = round;
                List<String> own = ratioLines(results.stream().filter(x -> x.round() == r).toList());
                own.forEach(line -> md.append("- round ").append(r).append(": ").append(line).append('\n'));
            }
        }
        return md.toString();
    }

    /**
     * One result per (target, workload), in order of first appearance: the median ops/s and, separately, the
     * median p99 of its rounds (the mean of the middle two for an even count); other fields from the cell with the
     * median throughput. Round 0 marks it as a median; a single round comes back unchanged.
     */
    static List<Result> medians(List<Result> results) {
        if (rounds(results) <= 1) {
            return results;
        }
        List<Result> out = new ArrayList<>();
        for (String target : distinct(results, Result::target)) {
            for (String workload : distinct(results, Result::workload)) {
                List<Result> cells = results.stream()
                        .filter(r -> r.target().equals(target) && r.workload().equals(workload))
                        .sorted(Comparator.comparingDouble(Result::opsPerSecond)).toList();
                if (cells.isEmpty()) {
                    continue;
                }
                Result mid = cells.get(cells.size() / 2);
                double ops = median(cells.stream().mapToDouble(Result::opsPerSecond).sorted().toArray());
                double p99 = median(cells.stream().mapToDouble(Result::p99Ms).sorted().toArray());
                out.add(new Result(target, workload, mid.distribution(), mid.clients(), ops, mid.p50Ms(), p99,
                        mid.p999Ms(), mid.maxMs(), mid.operations(), mid.errors(), mid.measuredSeconds(),
                        mid.warmupSeconds(), cells.stream().allMatch(Result::steady), 0));
            }
        }
        return out;
    }

    private static double median(double[] sorted) {
        int n = sorted.length;
        return n % 2 == 1 ? sorted[n / 2] : (sorted[n / 2 - 1] + sorted[n / 2]) / 2;
    }

    private static int rounds(List<Result> results) {
        return results.stream().mapToInt(Result::round).max().orElse(0);
    }

    /**
     * One line per (OmenDB variant, peer, workload): every target named {@code omendb...} ({@code omendb},
     * {@code omendb-leader}) against every other target; the plain {@code omendb} line carries no variant name.
     */
    static List<String> ratioLines(List<Result> results) {
        List<String> lines = new ArrayList<>();
        for (String workload : distinct(results, Result::workload)) {
            for (String variant : distinct(results, Result::target)) {
                Optional<Result> omen = variant.startsWith(OMENDB) ? find(results, variant, workload) : Optional.empty();
                if (omen.isEmpty()) {
                    continue;
                }
                String label = variant.equals(OMENDB) ? "" : variant + " ";
                for (String peer : distinct(results, Result::target)) {
                    if (peer.startsWith(OMENDB)) {
                        continue;
                    }
                    find(results, peer, workload).ifPresent(p -> lines.add(String.format(Locale.ROOT,
                            "%s: %s%.2f× %s ops/s; p99 %.2f×", workload, label,
                            omen.get().opsPerSecond() / Math.max(1e-9, p.opsPerSecond()), peer,
                            omen.get().p99Ms() / Math.max(1e-9, p.p99Ms()))));
                }
            }
        }
        return lines;
    }

    /** Charts the medians over rounds (the results themselves after one round). */
    static void writeChart(List<Result> all, Path png) throws IOException {
        System.setProperty("java.awt.headless", "true");
        List<Result> results = medians(all);
        List<String> workloads = new ArrayList<>(distinct(results, Result::workload));
        CategoryChart throughput = new CategoryChartBuilder().width(640).height(420)
                .title("Throughput (higher is better)").xAxisTitle("workload").yAxisTitle("ops/s").build();
        CategoryChart p99 = new CategoryChartBuilder().width(640).height(420)
                .title("p99 latency (lower is better)").xAxisTitle("workload").yAxisTitle("ms").build();
        for (String target : distinct(results, Result::target)) {
            List<Double> ops = new ArrayList<>();
            List<Double> lat = new ArrayList<>();
            for (String w : workloads) {
                Optional<Result> r = find(results, target, w);
                ops.add(r.map(Result::opsPerSecond).orElse(0.0));
                lat.add(r.map(Result::p99Ms).orElse(0.0));
            }
            throughput.addSeries(target, workloads, ops);
            p99.addSeries(target, workloads, lat);
        }
        Files.createDirectories(png.toAbsolutePath().getParent());
        BitmapEncoder.saveBitmap(List.of(throughput, p99), 1, 2, png.toString(), BitmapEncoder.BitmapFormat.PNG);
    }

    private static Optional<Result> find(List<Result> results, String target, String workload) {
        return results.stream().filter(r -> r.target().equals(target) && r.workload().equals(workload)).findFirst();
    }

    private static Set<String> distinct(List<Result> results, java.util.function.Function<Result, String> field) {
        Set<String> values = new LinkedHashSet<>();
        results.forEach(r -> values.add(field.apply(r)));
        return values;
    }
}
