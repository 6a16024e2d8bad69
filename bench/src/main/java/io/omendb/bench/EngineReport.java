package io.omendb.bench;

import java.util.ArrayList;
import java.util.LinkedHashSet;
import java.util.List;
import java.util.Locale;
import java.util.Optional;
import java.util.Set;

/**
 * The engine bench's Markdown report: the command and the machine header, then per distribution a table with a
 * row per measured op and a column per implementation (in the order they ran), then OmenDB's speed relative to
 * every other implementation for each timed op. Pure formatting, unit-tested; an empty cell means that
 * implementation did not measure that op.
 */
final class EngineReport {
    /** Ops whose value is a size, not ns per operation. */
    private static final Set<String> SIZE_OPS = Set.of("bytes_per_record", "resident_bytes", "block_cache_bytes");
    private static final String OMENDB = "omendb";

    /** One measurement: ns per op for timed ops, else the size ({@link #SIZE_OPS}). */
    record Row(String dist, String op, String impl, double value) {
    }

    private EngineReport() {
    }

    static String markdown(List<Row> rows, String command, String machineMarkdown) {
        StringBuilder md = new StringBuilder("# Engine benchmark report\n\n");
        md.append("Command: `").append(command).append("`\n\n").append(machineMarkdown);
        md.append("ns per operation (lower is better) unless the op says bytes.\n");
        for (String dist : distinct(rows, Row::dist)) {
            List<Row> own = rows.stream().filter(r -> r.dist().equals(dist)).toList();
            List<String> impls = new ArrayList<>(distinct(own, Row::impl));
            md.append("\n## ").append(dist).append("\n\n| op |");
            impls.forEach(i -> md.append(' ').append(i).append(" |"));
            md.append("\n|---|").append("---:|".repeat(impls.size())).append('\n');
            for (String op : distinct(own, Row::op)) {
                md.append("| ").append(op).append(" |");
                for (String impl : impls) {
                    md.append(' ').append(find(own, op, impl).map(r -> format(r)).orElse("")).append(" |");
                }
                md.append('\n');
            }
            List<String> ratios = ratioLines(own);
            if (!ratios.isEmpty()) {
                md.append("\nOmenDB ops/s relative to each peer:\n\n");
                ratios.forEach(line -> md.append("- ").append(line).append('\n'));
            }
        }
        return md.toString();
    }

    /** "get: 6.40× rocksdb" for every timed op OmenDB measured and every other implementation that measured it too. */
    static List<String> ratioLines(List<Row> rows) {
        List<String> lines = new ArrayList<>();
        for (String op : distinct(rows, Row::op)) {
            Optional<Row> omen = find(rows, op, OMENDB);
            if (SIZE_OPS.contains(op) || omen.isEmpty()) {
                continue;
            }
            for (String peer : distinct(rows, Row::impl)) {
                if (!peer.equals(OMENDB)) {
                    find(rows, op, peer).ifPresent(p -> lines.add(String.format(Locale.ROOT, "%s: %.2f× %s", op,
                            p.value() / Math.max(1e-9, omen.get().value()), peer)));
                }
            }
        }
        return lines;
    }

    private static String format(Row r) {
        if (!r.op().equals("bytes_per_record") && SIZE_OPS.contains(r.op())) {
            return String.format(Locale.ROOT, "%.1f MiB", r.value() / (1 << 20));
        }
        return String.format(Locale.ROOT, SIZE_OPS.contains(r.op()) ? "%.2f B" : "%,.0f", r.value());
    }

    private static Optional<Row> find(List<Row> rows, String op, String impl) {
        return rows.stream().filter(r -> r.op().equals(op) && r.impl().equals(impl)).findFirst();
    }

    private static Set<String> distinct(List<Row> rows, java.util.function.Function<Row, String> field) {
        Set<String> values = new LinkedHashSet<>();
        rows.forEach(r -> values.add(field.apply(r)));
        return values;
    }
}
