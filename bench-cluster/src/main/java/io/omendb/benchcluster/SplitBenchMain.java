package io.omendb.benchcluster;

import io.omendb.benchcommon.JsonLine;
import io.omendb.benchcommon.MachineInfo;

import java.io.ByteArrayOutputStream;
import java.io.IOException;
import java.io.PrintStream;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.StandardCopyOption;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.Callable;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicLong;
import java.util.regex.Matcher;
import java.util.regex.Pattern;
import java.util.stream.Stream;
import picocli.CommandLine;
import picocli.CommandLine.Command;
import picocli.CommandLine.Mixin;
import picocli.CommandLine.Model.CommandSpec;
import picocli.CommandLine.Option;
import picocli.CommandLine.Spec;

/**
 * {@code bin/omendb-bench split}: an online range split under write load. Starts {@value OmenDbTarget#NODES}
 * {@code node} processes of the packaged jar ({@link OmenDbTarget}) with ONE range, preloads {@code --range-mb} MiB
 * of keys and values into it ({@link ClusterBenchMain#preload}), then runs {@code --clients} closed-loop writers on
 * uniformly chosen keys of the whole key space (so both future halves get writes). After {@code --warmup-s} s the
 * measurement starts; {@code --before-s} s later it sends {@code POST /admin/split?range=1} (at the range's median)
 * to node n1 and goes on for {@code --after-s} s after the answer.
 *
 * <p>Measured: the time from sending the split to its 200 answer (and the answer's own {@code elapsed_ms}); the time
 * from sending it until a write to a key of the right half, sent after the answer, first succeeded (both halves
 * serving; watched until the writers stop, so it may lie past the after-window); write latency p50/p99/max and errors (any non-200 or timeout) per one-second window of completion
 * ({@link LatencyWindows}). "Before" is every window before the one holding the split request; "during" is that
 * window and the next {@value #DURING_EXTRA_WINDOWS}; "after" the rest. Since a write stalled by the split lands in
 * the window where it completes (and a timed-out one adds an error, not a latency), the same figures are also kept
 * per window of the write's <em>start</em>: "during by start" are the writes sent in the during windows, however long
 * they took, also split by half (left or right of the split key), and the summary counts the windows after the
 * request in which no write completed.
 *
 * <p>{@code --merge}: the range is split at its median right after the preload (not measured), and the measured
 * operation is the merge of the two halves back into one ({@code POST /admin/merge?range=1}); "right half" is then the
 * range the merge removes, whose writes wait while it is frozen and copied.
 *
 * <p>Output: JSON lines on stdout (the machine with its load average at start and end, the answer to the split, one
 * line per window, a summary line); progress and a human summary on stderr. Isolation as in {@link RangeCostMain}:
 * the cluster is stopped and its temporary directory deleted at the end (and by a shutdown hook). Bounded: the
 * writers run for at most warm-up + before + split answer (at most {@code --op-timeout-s}) + after.
 */
@Command(name = "split", mixinStandardHelpOptions = true,
        description = "An online range split under write load on a 3-node OmenDB cluster: split time, latency around it.")
public final class SplitBenchMain implements Callable<Integer> {
    static final String PROGRAM = "bin/omendb-bench split";
    /** "During" = the window of the split request and this many after it. */
    static final int DURING_EXTRA_WINDOWS = 2;
    private static final long MIB = 1L << 20;
    private static final PrintStream JSON_OUT = System.out;

    @Spec
    CommandSpec spec;

    @Option(names = "--range-mb", defaultValue = "1024",
            description = "MiB of keys and values preloaded into the one range to split (default: ${DEFAULT-VALUE}).")
    int rangeMb;
    @Option(names = "--value-bytes", defaultValue = "4096",
            description = "Bytes per value, preload and writes; keys are 16 bytes (default: ${DEFAULT-VALUE}: chosen"
                    + " above the engine's inline limit of the time, 1,024 bytes, which held a 1-GiB range of 1 KiB"
                    + " values on the heap; the limit is 128 bytes now, and the published runs keep 4,096).")
    int valueBytes;
    @Option(names = "--clients", defaultValue = "64", description = "Closed-loop writers (default: ${DEFAULT-VALUE}).")
    int clients;
    @Option(names = "--warmup-s", defaultValue = "5",
            description = "Seconds of load before the measurement starts (default: ${DEFAULT-VALUE}).")
    int warmupSeconds;
    @Option(names = "--before-s", defaultValue = "20",
            description = "Seconds of load measured before the split (default: ${DEFAULT-VALUE}).")
    int beforeSeconds;
    @Option(names = "--after-s", defaultValue = "20",
            description = "Seconds of load measured after the split's answer (default: ${DEFAULT-VALUE}).")
    int afterSeconds;
    @Option(names = "--seed", defaultValue = "1", description = "Seed of values and writers' keys (default: ${DEFAULT-VALUE}).")
    long seed;
    @Mixin
    ClusterNodeOptions cluster = new ClusterNodeOptions();
    @Option(names = "--keep-logs", description = "Directory to copy the nodes' logs into before the cluster's"
            + " directory is deleted, also after a failure (default: not kept).")
    Path keepLogs;
    @Option(names = "--merge", description = "Split the range before the measurement and measure the merge of its"
            + " halves instead of a split (default: measure a split).")
    boolean merge;

    private final RunningCluster running = new RunningCluster();

    public static void main(String[] args) {
        System.setOut(System.err);
        System.exit(new CommandLine(new SplitBenchMain()).execute(args));
    }

    /**
     * The split's (or merge's) 200 answer: {@code elapsed_ms}, the split key (decoded), the right half's range id, and
     * for a merge {@code frozen_ms}, how long the right range refused requests (-1 for a split).
     */
    record SplitAnswer(long elapsedMs, byte[] splitKey, long rightId, long frozenMs) {
        static final Pattern ELAPSED = Pattern.compile("\"elapsed_ms\":(\\d+)");
        static final Pattern FROZEN = Pattern.compile("\"frozen_ms\":(\\d+)");
        private static final Pattern KEY = Pattern.compile("\"split_key\":\"([^\"]*)\"");
        private static final Pattern RIGHT_ID = Pattern.compile("\"right\":\\{\"id\":(\\d+)");

        static SplitAnswer parse(String body) {
            Matcher frozen = FROZEN.matcher(body);
            return new SplitAnswer(Long.parseLong(group(ELAPSED, body)), percentDecode(group(KEY, body)),
                    Long.parseLong(group(RIGHT_ID, body)), frozen.find() ? Long.parseLong(frozen.group(1)) : -1);
        }

        static String group(Pattern p, String body) {
            Matcher m = p.matcher(body);
            if (!m.find()) {
                throw new IllegalArgumentException("no " + p.pattern() + " in split answer " + body);
            }
            return m.group(1);
        }

        /** A percent-encoded key (docs/API.md) as its bytes. */
        static byte[] percentDecode(String encoded) {
            ByteArrayOutputStream out = new ByteArrayOutputStream();
            for (int i = 0; i < encoded.length(); i++) {
                char c = encoded.charAt(i);
                if (c == '%' && i + 2 < encoded.length()) {
                    out.write(Integer.parseInt(encoded.substring(i + 1, i + 3), 16));
                    i += 2;
                } else {
                    out.write(c);
                }
            }
            return out.toByteArray();
        }
    }

    @Override
    public Integer call() throws Exception {
        if (rangeMb < 1 || valueBytes < 1 || valueBytes > 65536 || clients < 1 || clients > 4096 || warmupSeconds < 0
                || beforeSeconds < 1 || afterSeconds < 1 || !cluster.valid()) {
            System.err.println("omendb-bench split: --range-mb, --before-s, --after-s, --op-timeout-s,"
                    + " --ready-timeout-s must be >= 1; --value-bytes in 1..65536; --clients in 1..4096; --warmup-s >= 0");
            return 2;
        }
        running.runOnce(PROGRAM, spec, new SplitBenchMain(), this::run);
        return 0;
    }

    private void run(String command, MachineInfo machine) throws Exception {
        KeySpace keys = new KeySpace(rangeMb * MIB / (KeySpace.KEY_BYTES + valueBytes));
        OmenDbTarget target = cluster.target(keys, 1, OmenDbTarget.FIXED_RANGES);
        Path dir = Files.createTempDirectory("omendb-split-bench-");
        running.starting(target, dir);
        try {
            measure(command, machine, keys, target, dir);
        } finally {
            if (keepLogs != null) {
                copyLogs(dir, keepLogs);
            }
        }
    }

    private void measure(String command, MachineInfo machine, KeySpace keys, OmenDbTarget target, Path dir)
            throws Exception {
        long t0 = System.nanoTime();
        System.err.printf(Locale.ROOT, "starting 3 node processes, one range, in %s%n", dir);
        target.start(dir);
        System.err.printf(Locale.ROOT, "serving after %.1f s; preloading %,d keys of %d + %d bytes (%d MiB)%n",
                seconds(t0), keys.keyCount(), KeySpace.KEY_BYTES, valueBytes, rangeMb);
        long preloadStart = System.nanoTime();
        ClusterBenchMain.preload(target, keys, keys.keyCount(), 1, KeySpace.value(new Random(seed), valueBytes));
        double preloadSeconds = seconds(preloadStart);
        byte[] presplitKey = null;
        if (merge) {
            OmenDbTarget.Reply presplit = target.adminPost("/admin/split?range=1");
            if (presplit.status() != 200) {
                throw new IllegalStateException("the split before the merge failed: " + presplit.text());
            }
            presplitKey = SplitAnswer.parse(presplit.text()).splitKey();
            System.err.println("split before the merge (not measured): " + presplit.text());
        }
        String rangesBefore = target.adminGet("/admin/ranges").text();
        System.err.println("ranges before the " + operation() + ": " + rangesBefore);

        int windowCount = beforeSeconds + afterSeconds + cluster.opTimeoutSeconds + DURING_EXTRA_WINDOWS + 2;
        Writers writers = new Writers(target, keys, valueBytes, clients, seed);
        SplitRun split;
        Measured measured;
        try {
            Thread.sleep(warmupSeconds * 1000L);
            measured = new Measured(System.nanoTime(), windowCount);
            writers.measure(measured);
            Thread.sleep(beforeSeconds * 1000L);
            split = split(target, writers, presplitKey);
            long end = split.answeredNanos() + TimeUnit.SECONDS.toNanos(afterSeconds);
            for (long left = end - System.nanoTime(); left > 0; left = end - System.nanoTime()) {
                TimeUnit.NANOSECONDS.sleep(left);
            }
            split = split.withLastWindow(measured.byEnd().windowOf(end) - 1);
        } finally {
            writers.close();
        }
        String rangesAfter = target.adminGet("/admin/ranges").text();
        System.err.println("ranges after the " + operation() + ": " + rangesAfter);
        MachineInfo ran = machine.atEnd();
        report(command, ran, keys, preloadSeconds, rangesBefore, measured, split, writers);
    }

    /**
     * The writes' windows: by completion, by start, and by start per half of the split, the halves only for writes that
     * completed after the split's answer (the split key is known from then on; the writes it stalled all did).
     */
    record Measured(LatencyWindows byEnd, LatencyWindows byStart, LatencyWindows leftByStart,
                    LatencyWindows rightByStart) {
        Measured(long startNanos, int windowCount) {
            this(new LatencyWindows(startNanos, windowCount), new LatencyWindows(startNanos, windowCount),
                    new LatencyWindows(startNanos, windowCount), new LatencyWindows(startNanos, windowCount));
        }
    }

    /** What the split request gave, in the clock of {@link LatencyWindows}. */
    private record SplitRun(long requestNanos, long answeredNanos, int status, SplitAnswer answer, int lastWindow) {
        SplitRun withLastWindow(int window) {
            return new SplitRun(requestNanos, answeredNanos, status, answer, window);
        }
    }

    private String operation() {
        return merge ? "merge" : "split";
    }

    /** The measured split, or (with {@code --merge}) merge at {@code presplitKey}, whose right half it watches. */
    private SplitRun split(OmenDbTarget target, Writers writers, byte[] presplitKey) {
        String path = "/admin/" + operation() + "?range=1";
        System.err.println("POST " + path);
        long request = System.nanoTime();
        int status;
        String body;
        try {
            OmenDbTarget.Reply reply = target.adminPost(path);
            status = reply.status();
            body = reply.text();
        } catch (Exception e) {
            status = -1;
            body = e.toString();
        }
        long answered = System.nanoTime();
        SplitAnswer answer = status != 200 ? null : merge ? new SplitAnswer(Long.parseLong(SplitAnswer.group(
                SplitAnswer.ELAPSED, body)), presplitKey, -1, Long.parseLong(SplitAnswer.group(SplitAnswer.FROZEN,
                body))) : SplitAnswer.parse(body);
        if (answer != null) {
            writers.watchRightHalf(answer.splitKey(), answered);
        }
        System.err.printf(Locale.ROOT, "%s answered %d after %.0f ms: %s%n", operation(), status,
                (answered - request) / 1e6, body);
        return new SplitRun(request, answered, status, answer, -1);
    }

    private void report(String command, MachineInfo ran, KeySpace keys, double preloadSeconds, String rangesBefore,
                        Measured measured, SplitRun split, Writers writers) {
        LatencyWindows windows = measured.byEnd();
        LatencyWindows byStart = measured.byStart();
        int splitWindow = windows.windowOf(split.requestNanos());
        int duringEnd = splitWindow + DURING_EXTRA_WINDOWS + 1;
        int last = Math.min(split.lastWindow(), windows.windowCount() - 1);
        JSON_OUT.println(ran.jsonLine("split"));
        for (int i = 0; i <= last; i++) {
            LatencyWindows.Stats s = windows.stats(i, i + 1);
            LatencyWindows.Stats started = byStart.stats(i, i + 1);
            JSON_OUT.println(new JsonLine().put("bench", "split").put("window", i).put("t_s", i - splitWindow)
                    .put("ops", s.ops()).put("errors", s.errors()).put("p50_ms", s.p50Ms()).put("p99_ms", s.p99Ms())
                    .put("max_ms", s.maxMs()).put("started_ok", started.ops()).put("started_errors", started.errors())
                    .put("started_p99_ms", started.p99Ms()).put("started_max_ms", started.maxMs()));
        }
        int idleWindows = 0;
        for (int i = splitWindow; i <= last; i++) {
            idleWindows += windows.stats(i, i + 1).ops() == 0 ? 1 : 0;
        }
        LatencyWindows.Stats before = windows.stats(0, splitWindow);
        LatencyWindows.Stats during = windows.stats(splitWindow, duringEnd);
        LatencyWindows.Stats after = windows.stats(duringEnd, last + 1);
        LatencyWindows.Stats duringByStart = byStart.stats(splitWindow, duringEnd);
        LatencyWindows.Stats leftDuring = measured.leftByStart().stats(splitWindow, duringEnd);
        LatencyWindows.Stats rightDuring = measured.rightByStart().stats(splitWindow, duringEnd);
        double splitMs = (split.answeredNanos() - split.requestNanos()) / 1e6;
        long rightFirst = writers.firstRightWriteNanos.get();
        double rightFirstMs = rightFirst == Long.MAX_VALUE ? -1 : (rightFirst - split.requestNanos()) / 1e6;
        double ratio = before.p99Ms() > 0 && during.p99Ms() > 0 ? during.p99Ms() / before.p99Ms() : -1;
        long rangeBytes = firstLong(Pattern.compile("\"bytes\":(\\d+)"), rangesBefore);
        JsonLine summary = new JsonLine().put("bench", "split").put("summary", operation())
                .put("range_mb", rangeMb).put("value_bytes", valueBytes).put("keys", keys.keyCount())
                .put("range_bytes_reported", rangeBytes).put("clients", clients).put("preload_s", preloadSeconds)
                .put("split_status", split.status()).put("split_ms", splitMs)
                .put("split_elapsed_ms", split.answer() == null ? -1 : split.answer().elapsedMs())
                .put("frozen_ms", split.answer() == null ? -1 : split.answer().frozenMs())
                .put("right_first_write_ms", rightFirstMs)
                .put("split_key", split.answer() == null ? "" : new String(split.answer().splitKey(), StandardCharsets.ISO_8859_1))
                .put("windows_before", splitWindow).put("windows_during", duringEnd - splitWindow)
                .put("windows_after", Math.max(0, last + 1 - duringEnd))
                .put("p50_before_ms", before.p50Ms()).put("p99_before_ms", before.p99Ms())
                .put("max_before_ms", before.maxMs()).put("p50_during_ms", during.p50Ms())
                .put("p99_during_ms", during.p99Ms()).put("max_during_ms", during.maxMs())
                .put("p99_after_ms", after.p99Ms()).put("max_after_ms", after.maxMs()).put("ratio", ratio)
                .put("p99_during_by_start_ms", duringByStart.p99Ms())
                .put("max_during_by_start_ms", duringByStart.maxMs())
                .put("errors_during_by_start", duringByStart.errors())
                .put("max_during_left_ms", leftDuring.maxMs()).put("ok_during_left", leftDuring.ops())
                .put("errors_during_left", leftDuring.errors()).put("max_during_right_ms", rightDuring.maxMs())
                .put("ok_during_right", rightDuring.ops()).put("errors_during_right", rightDuring.errors())
                .put("windows_without_completion", idleWindows)
                .put("writes_per_s_before", before.ops() / (double) Math.max(1, splitWindow))
                .put("writes_per_s_during", during.ops() / (double) (duringEnd - splitWindow))
                .put("errors_before", before.errors()).put("errors_during", during.errors())
                .put("errors_after", after.errors());
        JSON_OUT.println(summary);
        JSON_OUT.flush();
        System.err.printf(Locale.ROOT, """

                Command: %s
                %s
                Range: %,d keys, %d MiB of keys+values asked, %,d bytes reported by /admin/ranges; preload %.1f s
                %s: HTTP %d after %.0f ms (server elapsed_ms %s, frozen_ms %s); first right-half write acknowledged \
                %.0f ms after \
                the request
                Write latency  before (%d s): p50 %.1f ms, p99 %.1f ms, max %.1f ms, %,.0f writes/s, %d errors
                               during (%d s): p50 %.1f ms, p99 %.1f ms, max %.1f ms, %,.0f writes/s, %d errors
                               after  (%d s): p99 %.1f ms, max %.1f ms, %d errors
                Writes sent during: p99 %.1f ms, max %.1f ms, %d errors
                  left half: %d ok, max %.1f ms, %d errors; right half: %d ok, max %.1f ms, %d errors
                Windows from the split on without a completed write: %d
                p99 during / p99 before = %.2f (goal <= 2); %s %s 1 s (goal < 1 s)
                %n""", command, ran.markdown(), keys.keyCount(), rangeMb, rangeBytes, preloadSeconds, operation(),
                split.status(),
                splitMs, split.answer() == null ? "-" : split.answer().elapsedMs(),
                split.answer() == null || split.answer().frozenMs() < 0 ? "-" : split.answer().frozenMs(), rightFirstMs,
                splitWindow,
                before.p50Ms(), before.p99Ms(), before.maxMs(), before.ops() / (double) Math.max(1, splitWindow),
                before.errors(), duringEnd - splitWindow, during.p50Ms(), during.p99Ms(), during.maxMs(),
                during.ops() / (double) (duringEnd - splitWindow), during.errors(), Math.max(0, last + 1 - duringEnd),
                after.p99Ms(), after.maxMs(), after.errors(), duringByStart.p99Ms(), duringByStart.maxMs(),
                duringByStart.errors(), leftDuring.ops(), leftDuring.maxMs(), leftDuring.errors(),
                rightDuring.ops(), rightDuring.maxMs(), rightDuring.errors(), idleWindows, ratio, operation(),
                splitMs < 1000 ? "<" : ">=");
    }

    /** Copies the node logs ({@code *.log}) of a cluster's work directory {@code from} into {@code to}. */
    static void copyLogs(Path from, Path to) throws IOException {
        Files.createDirectories(to);
        try (Stream<Path> files = Files.list(from)) {
            for (Path log : (Iterable<Path>) files.filter(p -> p.toString().endsWith(".log"))::iterator) {
                Files.copy(log, to.resolve(log.getFileName()), StandardCopyOption.REPLACE_EXISTING);
            }
        }
        System.err.println("node logs copied to " + to);
    }

    private static long firstLong(Pattern p, String text) {
        Matcher m = p.matcher(text);
        return m.find() ? Long.parseLong(m.group(1)) : -1;
    }

    /**
     * The {@link ClosedLoopWriters} of a split run. Until {@link #measure} they only warm the cluster up; then each
     * write goes into the windows. After {@link #watchRightHalf}, the earliest completion of a successful write to a key
     * at or right of the split key that was sent after the split's answer is kept.
     */
    private static final class Writers implements AutoCloseable {
        private record RightHalf(byte[] startKey, long answeredNanos) {
        }

        final AtomicLong firstRightWriteNanos = new AtomicLong(Long.MAX_VALUE);
        private final ClosedLoopWriters writers;
        private volatile RightHalf rightHalf;

        Writers(KvTarget target, KeySpace keys, int valueBytes, int clients, long seed) {
            writers = new ClosedLoopWriters(target, keys, valueBytes, clients, seed, "split-bench-writer");
        }

        /** From now on, each write is recorded into {@code into}. */
        void measure(Measured into) {
            writers.recordInto((key, start, end, ok) -> record(into, key, start, end, ok));
        }

        void watchRightHalf(byte[] splitKey, long answeredNanos) {
            rightHalf = new RightHalf(splitKey, answeredNanos);
        }

        private void record(Measured m, byte[] key, long start, long end, boolean ok) {
            m.byEnd().record(end, end - start, ok);
            m.byStart().record(start, end - start, ok);
            RightHalf right = rightHalf;
            if (right != null) {
                boolean inRight = Arrays.compareUnsigned(key, right.startKey()) >= 0;
                (inRight ? m.rightByStart() : m.leftByStart()).record(start, end - start, ok);
                if (ok && inRight && start >= right.answeredNanos()) {
                    firstRightWriteNanos.accumulateAndGet(end, Math::min);
                }
            }
        }

        @Override
        public void close() throws InterruptedException {
            writers.close();
        }
    }

    private static double seconds(long sinceNanos) {
        return (System.nanoTime() - sinceNanos) / 1e9;
    }
}
