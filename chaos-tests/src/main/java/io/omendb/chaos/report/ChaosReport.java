package io.omendb.chaos.report;

import com.fasterxml.jackson.databind.ObjectMapper;
import com.fasterxml.jackson.databind.SerializationFeature;
import io.omendb.chaos.ChaosOptions;
import io.omendb.linearizability.FinalStateCheck;
import io.omendb.linearizability.LinearizabilityChecker;
import io.omendb.chaos.cluster.ChaosNetwork;
import io.omendb.linearizability.Op;
import io.omendb.chaos.nemesis.FaultRecord;
import io.omendb.chaos.nemesis.FaultType;
import io.omendb.chaos.workload.Timeline;

import java.io.IOException;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.EnumMap;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;

/**
 * The outcome of a run, as data ({@code chaos-report.json}), as a Markdown summary ({@code chaos-report.md}) and as
 * a plot ({@code chaos-timeline.png}). {@link #violations()} is the number that must be 0: non-linearizable or
 * inconclusive keys, lost acknowledged writes, phantoms, unconverged replicas and faults not recovered from within
 * the bound.
 */
public record ChaosReport(String profile, long seed, String network, String networkFallbackReason, int nodes,
                          int ranges, int clients, double workloadSeconds, Map<String, Long> operations,
                          List<FaultRecord> faults, Map<String, Percentiles> rtoMs, List<Long> catchUpMs,
                          long leaderChanges, int keysChecked, List<String> linearizabilityViolations,
                          int lostAcknowledgedWrites, List<String> lostWrites, List<String> phantoms,
                          Convergence convergence, int finalKeys, long bulkBytes, double bulkLoadSeconds,
                          List<String> bulkMismatches, List<Timeline.Second> timeline, long violations) {
    /** Replica digests per range id and node id, and whether they all agreed. */
    public record Convergence(boolean converged, long waitedMs, Map<Long, Map<String, String>> digests) {
    }

    public record Percentiles(int count, long p50, long p99, long max) {
        static Percentiles of(List<Long> values) {
            List<Long> sorted = values.stream().sorted().toList();
            if (sorted.isEmpty()) {
                return new Percentiles(0, -1, -1, -1);
            }
            return new Percentiles(sorted.size(), rank(sorted, 0.50), rank(sorted, 0.99), sorted.get(sorted.size() - 1));
        }

        /** Nearest-rank percentile. */
        private static long rank(List<Long> sorted, double q) {
            return sorted.get(Math.max(0, (int) Math.ceil(q * sorted.size()) - 1));
        }
    }

    private static final int LISTED_MAX = 50;

    public static ChaosReport build(ChaosOptions o, ChaosNetwork network, List<Op> ops, Timeline timeline,
                                    List<FaultRecord> faults, long leaderChanges, double workloadSeconds,
                                    int keysChecked, List<LinearizabilityChecker.Result> nonLinearizable,
                                    List<FinalStateCheck.Problem> lost, List<FinalStateCheck.Problem> phantoms,
                                    Convergence convergence, int finalKeys, long bulkBytes,
                                    double bulkLoadSeconds, List<String> bulkMismatches) {
        Map<String, Long> operations = new LinkedHashMap<>();
        for (Op.Type t : Op.Type.values()) {
            for (Op.Outcome out : Op.Outcome.values()) {
                operations.put(t + "_" + out, ops.stream().filter(op -> op.type() == t && op.outcome() == out).count());
            }
        }
        Map<FaultType, List<Long>> byType = new EnumMap<>(FaultType.class);
        List<Long> all = new ArrayList<>();
        List<Long> catchUp = new ArrayList<>();
        long unrecovered = 0;
        for (FaultRecord f : faults) {
            if (f.rtoMs() < 0 || (f.type() == FaultType.WIPE_RESTART && f.catchUpMs() < 0)) {
                unrecovered++;
            }
            if (f.rtoMs() >= 0) {
                byType.computeIfAbsent(f.type(), k -> new ArrayList<>()).add(f.rtoMs());
                all.add(f.rtoMs());
            }
            if (f.type() == FaultType.WIPE_RESTART) {
                catchUp.add(f.catchUpMs());
            }
        }
        Map<String, Percentiles> rto = new LinkedHashMap<>();
        rto.put("all", Percentiles.of(all));
        byType.forEach((t, v) -> rto.put(t.name(), Percentiles.of(v)));
        List<String> lin = nonLinearizable.stream().limit(LISTED_MAX).map(r -> r.key() + ": " + r.verdict() + " ("
                + r.ops() + " ops, " + r.exploredStates() + " states) around " + r.witness()).toList();
        long violations = nonLinearizable.size() + lost.size() + phantoms.size() + (convergence.converged() ? 0 : 1)
                + unrecovered + bulkMismatches.size();
        return new ChaosReport(o.profile(), o.seed(), network.mode().name(), network.fallbackReason(), o.nodes(),
                o.ranges(), o.clients(), workloadSeconds, operations, faults, rto, catchUp, leaderChanges, keysChecked,
                lin, lost.size(), lost.stream().limit(LISTED_MAX).map(Object::toString).toList(),
                phantoms.stream().limit(LISTED_MAX).map(Object::toString).toList(), convergence, finalKeys,
                bulkBytes, bulkLoadSeconds, List.copyOf(bulkMismatches), timeline.seconds(), violations);
    }

    public long acknowledgedWrites() {
        return operations.get("PUT_OK") + operations.get("DELETE_OK") + operations.get("CAS_OK");
    }

    /** Writes chaos-report.json, chaos-report.md and chaos-timeline.png into {@code dir}. */
    public void write(Path dir, String command) throws IOException {
        Files.createDirectories(dir);
        new ObjectMapper().enable(SerializationFeature.INDENT_OUTPUT).writeValue(dir.resolve("chaos-report.json").toFile(), this);
        Files.writeString(dir.resolve("chaos-report.md"), markdown(command));
        TimelinePlot.write(this, dir.resolve("chaos-timeline.png"));
    }

    /** How many faults of each type ran, every type listed (0: never injected). */
    public Map<FaultType, Integer> faultCounts() {
        Map<FaultType, Integer> counts = new EnumMap<>(FaultType.class);
        for (FaultType t : FaultType.values()) {
            counts.put(t, 0);
        }
        faults.forEach(f -> counts.merge(f.type(), 1, Integer::sum));
        return counts;
    }

    public String markdown(String command) {
        StringBuilder b = new StringBuilder();
        b.append("# Chaos run: ").append(profile).append(" profile — ").append(violations == 0 ? "PASSED" : "FAILED")
                .append(" (").append(violations).append(" violations)\n\n");
        b.append("Command: `").append(command).append("`  \n");
        b.append("Seed ").append(seed).append(", ").append(nodes).append(" node processes, ").append(ranges)
                .append(" ranges, ").append(clients).append(" clients, workload ")
                .append(String.format("%.0f", workloadSeconds)).append(" s, network: ").append(network)
                .append(networkFallbackReason == null ? "" : " (fallback: " + networkFallbackReason + ")").append("\n\n");
        b.append("| check | result |\n|---|---|\n");
        b.append("| operations recorded | ").append(operations.values().stream().mapToLong(Long::longValue).sum())
                .append(" (acknowledged writes ").append(acknowledgedWrites()).append(", unknown outcome ")
                .append(operations.entrySet().stream().filter(e -> e.getKey().endsWith("UNKNOWN"))
                        .mapToLong(Map.Entry::getValue).sum()).append(") |\n");
        b.append("| keys checked for linearizability | ").append(keysChecked).append(", violations ")
                .append(linearizabilityViolations.size()).append(" |\n");
        b.append("| lost acknowledged writes (RPO) | ").append(lostAcknowledgedWrites).append(" |\n");
        b.append("| phantom keys/values | ").append(phantoms.size()).append(" |\n");
        b.append("| replicas identical after healing | ").append(convergence.converged()).append(" (after ")
                .append(convergence.waitedMs()).append(" ms) |\n");
        b.append("| leader changes observed | ").append(leaderChanges).append(" |\n");
        b.append("| keys in the final scan | ").append(finalKeys).append(" |\n");
        if (bulkBytes > 0) {
            b.append("| bulk data (--preload-bytes) | ").append(bulkBytes >> 20).append(" MiB loaded in ")
                    .append(String.format("%.1f", bulkLoadSeconds)).append(" s; ranges whose bulk digest differs from")
                    .append(" what was written: ").append(bulkMismatches.size()).append(" |\n");
        }
        b.append('\n');
        b.append("Faults injected per type\n\n| type | count |\n|---|---|\n");
        faultCounts().forEach((t, n) -> b.append("| ").append(t).append(" | ").append(n).append(" |\n"));
        b.append('\n');
        b.append("RTO (ms: fault injected → every range acknowledged a new write)\n\n| faults | n | p50 | p99 | max |\n|---|---|---|---|---|\n");
        rtoMs.forEach((k, p) -> b.append("| ").append(k).append(" | ").append(p.count()).append(" | ").append(p.p50())
                .append(" | ").append(p.p99()).append(" | ").append(p.max()).append(" |\n"));
        b.append("\nFaults\n\n| # | type | targets | at (s) | healed (s) | RTO (ms) | catch-up (ms) | snapshot installs | note |\n|---|---|---|---|---|---|---|---|---|\n");
        for (int i = 0; i < faults.size(); i++) {
            FaultRecord f = faults.get(i);
            b.append("| ").append(i + 1).append(" | ").append(f.type()).append(" | ").append(String.join(" ", f.targets()))
                    .append(" | ").append(String.format("%.1f", f.startS())).append(" | ")
                    .append(String.format("%.1f", f.healS())).append(" | ").append(f.rtoMs()).append(" | ")
                    .append(f.type() == FaultType.WIPE_RESTART ? String.valueOf(f.catchUpMs()) : "").append(" | ")
                    .append(f.type() == FaultType.WIPE_RESTART ? String.valueOf(f.snapshotInstalls()) : "")
                    .append(" | ").append(f.detail()).append(" |\n");
        }
        if (violations > 0) {
            b.append("\nViolations\n\n");
            linearizabilityViolations.forEach(v -> b.append("- ").append(v).append('\n'));
            lostWrites.forEach(v -> b.append("- ").append(v).append('\n'));
            phantoms.forEach(v -> b.append("- ").append(v).append('\n'));
            bulkMismatches.forEach(v -> b.append("- ").append(v).append('\n'));
            if (!convergence.converged()) {
                b.append("- replicas differ: ").append(convergence.digests()).append('\n');
            }
        }
        b.append("\nPlot: chaos-timeline.png\n");
        return b.toString();
    }
}
