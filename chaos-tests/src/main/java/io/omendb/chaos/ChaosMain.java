package io.omendb.chaos;

import io.omendb.chaos.nemesis.FaultType;
import io.omendb.chaos.report.ChaosReport;

import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.Locale;

/**
 * {@code bin/omendb-chaos [--duration 30m] [--faults all|TYPE,TYPE...] [--samples N] [--preload-bytes 1g]
 * [--seed N] [--profile long|short] [--out DIR]}: one chaos run against node processes of the packaged jar.
 * {@code --samples N} injects exactly N faults (for percentiles of one fault type, e.g.
 * {@code --faults kill-leader --samples 30}); the duration then bounds nothing unless given too.
 * {@code --preload-bytes} loads that much bulk data (large values) first, e.g. for a wiped node's catch-up with
 * {@code --faults wipe-restart --samples 1 --preload-bytes 1g} ({@code --node-heap 2g} sets -Xmx of each
 * node, 384 MiB by default). Exit 0 when the run found no violation, 1 when it
 * did, 2 on bad arguments. The report goes to {@code chaos-tests/target/} by default.
 */
public final class ChaosMain {
    private ChaosMain() {
    }

    public static void main(String[] args) throws Exception {
        Path root = Path.of(System.getProperty("omendb.root", ".")).toAbsolutePath().normalize();
        long durationMs = 30 * 60_000L;
        boolean durationGiven = false;
        int samples = 0;
        long preloadBytes = 0;
        int nodeHeapMb = ChaosOptions.NODE_HEAP_MB_DEFAULT;
        List<FaultType> faults = ChaosOptions.ALL;
        long seed = System.currentTimeMillis();
        String profile = "long";
        Path out = root.resolve("chaos-tests").resolve("target");
        try {
            for (int i = 0; i < args.length; i++) {
                String value = i + 1 < args.length ? args[i + 1] : null;
                switch (args[i]) {
                    case "--duration" -> {
                        durationMs = parseDuration(require(args[i], value));
                        durationGiven = true;
                    }
                    case "--samples" -> samples = parseSamples(require(args[i], value));
                    case "--preload-bytes" -> preloadBytes = parseBytes(require(args[i], value));
                    case "--node-heap" -> nodeHeapMb = parseNodeHeapMb(require(args[i], value));
                    case "--faults" -> faults = parseFaults(require(args[i], value));
                    case "--seed" -> seed = Long.parseLong(require(args[i], value));
                    case "--profile" -> profile = require(args[i], value);
                    case "--out" -> out = Path.of(require(args[i], value)).toAbsolutePath();
                    default -> throw new IllegalArgumentException("unknown option " + args[i]
                            + "; options: --duration 30m --faults all|TYPE,... --samples N --preload-bytes 1g"
                            + " --node-heap 2g --seed N --profile long|short --out DIR");
                }
                i++;
            }
            if (!profile.equals("long") && !profile.equals("short")) {
                throw new IllegalArgumentException("--profile must be long or short, got " + profile);
            }
            if ((samples > 0 || preloadBytes > 0 || nodeHeapMb != ChaosOptions.NODE_HEAP_MB_DEFAULT)
                    && profile.equals("short")) {
                throw new IllegalArgumentException("--samples, --preload-bytes and --node-heap apply to the long"
                        + " profile only");
            }
        } catch (IllegalArgumentException e) {
            System.err.println("omendb-chaos: " + e.getMessage());
            System.exit(2);
            return;
        }
        ChaosOptions options = profile.equals("short") ? ChaosOptions.shortProfile(root, out, seed)
                : ChaosOptions.longProfile(root, out, seed, samples > 0 && !durationGiven ? ChaosOptions.UNBOUNDED_MS
                : durationMs, samples > 0 ? samples : ChaosOptions.LONG_FAULTS_MAX, faults, preloadBytes, nodeHeapMb);
        ChaosReport report = new ChaosRun(options).execute();
        report.write(out, "bin/omendb-chaos " + String.join(" ", args) + " (seed " + seed + ")");
        System.out.println(report.markdown("bin/omendb-chaos " + String.join(" ", args)));
        System.exit(report.violations() == 0 ? 0 : 1);
    }

    private static String require(String option, String value) {
        if (value == null) {
            throw new IllegalArgumentException(option + " needs a value");
        }
        return value;
    }

    /** {@code 90s}, {@code 5m}, {@code 1h}. */
    static long parseDuration(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        long unit = t.endsWith("h") ? 3_600_000 : t.endsWith("m") ? 60_000 : t.endsWith("s") ? 1_000 : -1;
        try {
            long n = unit < 0 ? -1 : Long.parseLong(t.substring(0, t.length() - 1));
            if (n < 1) {
                throw new NumberFormatException();
            }
            return n * unit;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--duration must look like 90s, 5m or 1h, got '" + s + "'");
        }
    }

    /** Bulk data bound: what the disks of three local nodes comfortably hold three times over (snapshots). */
    static final long PRELOAD_BYTES_MAX = 64L << 30;

    /** {@code 1g}, {@code 512m}, {@code 100k}, or plain bytes; binary units. */
    static long parseBytes(String s) {
        String t = s.trim().toLowerCase(Locale.ROOT);
        int shift = t.endsWith("g") ? 30 : t.endsWith("m") ? 20 : t.endsWith("k") ? 10 : 0;
        try {
            long n = Long.parseLong(shift == 0 ? t : t.substring(0, t.length() - 1));
            if (n < 1 || n > PRELOAD_BYTES_MAX >> shift) {
                throw new NumberFormatException();
            }
            return n << shift;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--preload-bytes must look like 1g, 512m or 100k (at most 64g), got '"
                    + s + "'");
        }
    }

    /** {@code --node-heap}: 128 MiB to 16 GiB, in the units of {@link #parseBytes}; returns MiB. */
    static int parseNodeHeapMb(String s) {
        long bytes;
        try {
            bytes = parseBytes(s);
        } catch (IllegalArgumentException e) {
            bytes = -1;
        }
        if (bytes < 128L << 20 || bytes > 16L << 30) {
            throw new IllegalArgumentException("--node-heap must be 128m..16g, got '" + s + "'");
        }
        return (int) (bytes >> 20);
    }

    static int parseSamples(String s) {
        try {
            int n = Integer.parseInt(s.trim());
            if (n < 1 || n > ChaosOptions.LONG_FAULTS_MAX) {
                throw new NumberFormatException();
            }
            return n;
        } catch (NumberFormatException e) {
            throw new IllegalArgumentException("--samples must be a number of faults in 1.."
                    + ChaosOptions.LONG_FAULTS_MAX + ", got '" + s + "'");
        }
    }

    static List<FaultType> parseFaults(String s) {
        if (s.equalsIgnoreCase("all")) {
            return ChaosOptions.ALL;
        }
        List<FaultType> out = new ArrayList<>();
        for (String name : s.split(",")) {
            try {
                out.add(FaultType.valueOf(name.trim().toUpperCase(Locale.ROOT).replace('-', '_')));
            } catch (IllegalArgumentException e) {
                throw new IllegalArgumentException("unknown fault '" + name + "'; known: all or "
                        + List.of(FaultType.values()));
            }
        }
        return out;
    }
}
