package io.omendb.benchcluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Locale;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import java.util.concurrent.atomic.LongAdder;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop load: {@code clients} platform threads (Java 17 has no virtual threads), each sending one request,
 * waiting for its answer, then sending the next, through a warm-up and then a measured period.
 *
 * <p>Warm-up: the calling thread times windows and asks a {@link WarmupRule} after each one whether the target's
 * throughput has settled (each window's ops/s is printed on stderr); the clients never pause, so the measured
 * period starts on a warm target under the same load. The warm-up actually used and whether it reached steady
 * state go into the {@link Result}.
 *
 * <p>Measurement rules: an operation counts only if it both started and finished inside the measured window,
 * so neither the warm-up nor the in-flight tail at the end leaks into the numbers. Latency is recorded per
 * thread in microseconds (HdrHistogram, 3 significant digits, up to {@value #LATENCY_MAX_US} µs) and the
 * histograms are merged at the end. A failed or timed-out operation is an error: it adds to {@code errors}
 * and not to the latency histogram or throughput. Each thread's keys come from a {@link KeyChooser} seeded
 * with {@code seed + thread}, so runs are replayable.
 *
 * <p>Threading: the measured window is published once through a volatile reference ({@code null} while warming
 * up); a client reads it before each operation, so an operation started during the warm-up is never measured.
 */
final class LoadGenerator {
    static final long LATENCY_MAX_US = 120_000_000L;
    private static final int ERRORS_PRINTED_MAX = 5;

    record Settings(int clients, WarmupRule warmup, long measureMs, String distribution, long seed) {
        Settings {
            if (clients < 1 || clients > 4096) {
                throw new IllegalArgumentException("clients must be in 1..4096, got " + clients);
            }
            if (measureMs < 1) {
                throw new IllegalArgumentException("the measured period must be >= 1 ms");
            }
        }
    }

    /** The measured period in {@link System#nanoTime()} terms. */
    private record MeasuredWindow(long startNanos, long endNanos) {
    }

    /** What the clients share: the measured window once known, and the operations completed while warming up. */
    private static final class Phase {
        volatile MeasuredWindow measured;
        final LongAdder warmupOps = new LongAdder();
    }

    private record WarmupOutcome(double seconds, boolean steady) {
    }

    private LoadGenerator() {
    }

    /** Runs the load; {@code onMeasureStart} runs on the calling thread as the measured period begins. */
    static Result run(KvTarget target, Workload workload, KeySpace keys, Settings settings, Runnable onMeasureStart)
            throws Exception {
        Phase phase = new Phase();
        AtomicInteger errorsPrinted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(settings.clients(), DaemonThreads.named("bench-client"));
        try {
            List<Future<ClientStats>> futures = new ArrayList<>();
            for (int i = 0; i < settings.clients(); i++) {
                long seed = settings.seed() + i;
                futures.add(pool.submit(() -> runClient(target, workload, keys, settings.distribution(), seed,
                        phase, errorsPrinted)));
            }
            WarmupOutcome warmup = warmUp(target.name(), workload.label(), settings.warmup(), phase);
            long start = System.nanoTime();
            long end = start + TimeUnit.MILLISECONDS.toNanos(settings.measureMs());
            phase.measured = new MeasuredWindow(start, end);
            onMeasureStart.run();
            Histogram merged = new Histogram(LATENCY_MAX_US, 3);
            long errors = 0;
            for (Future<ClientStats> f : futures) {
                ClientStats stats = f.get();
                merged.add(stats.latencyUs);
                errors += stats.errors;
            }
            double seconds = settings.measureMs() / 1000.0;
            return new Result(target.name(), workload.label(), settings.distribution(), settings.clients(),
                    merged.getTotalCount() / seconds, ms(merged.getValueAtPercentile(50)),
                    ms(merged.getValueAtPercentile(99)), ms(merged.getValueAtPercentile(99.9)),
                    ms(merged.getMaxValue()), merged.getTotalCount(), errors, seconds, warmup.seconds(),
                    warmup.steady(), 1);
        } finally {
            pool.shutdownNow();
        }
    }

    /** Times the rule's windows while the clients run, printing each window's throughput; returns when it ends. */
    private static WarmupOutcome warmUp(String target, String workload, WarmupRule rule, Phase phase)
            throws InterruptedException {
        long begin = System.nanoTime();
        List<Double> windows = new ArrayList<>();
        WarmupRule.Decision decision = rule.decide(windows);
        while (decision == WarmupRule.Decision.CONTINUE) {
            long windowStart = System.nanoTime();
            long deadline = windowStart + TimeUnit.MILLISECONDS.toNanos(rule.nextWindowMs(windows.size()));
            for (long left = deadline - windowStart; left > 0; left = deadline - System.nanoTime()) {
                TimeUnit.NANOSECONDS.sleep(left);
            }
            long ops = phase.warmupOps.sumThenReset();
            double opsPerSecond = ops / ((System.nanoTime() - windowStart) / 1e9);
            windows.add(opsPerSecond);
            decision = rule.decide(windows);
            System.err.printf(Locale.ROOT, "[%s] %s warm-up window %d: %,.0f ops/s%n", target, workload,
                    windows.size(),
                    opsPerSecond);
        }
        double seconds = (System.nanoTime() - begin) / 1e9;
        boolean steady = decision == WarmupRule.Decision.STEADY;
        System.err.printf(Locale.ROOT, "[%s] %s warm-up %s after %.1f s%n", target, workload,
                steady ? "steady" : "NOT steady (maximum reached)", seconds);
        return new WarmupOutcome(seconds, steady);
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    private static final class ClientStats {
        final Histogram latencyUs = new Histogram(LATENCY_MAX_US, 3);
        long errors;
    }

    private static ClientStats runClient(KvTarget target, Workload workload, KeySpace keys, String distribution,
                                         long seed, Phase phase, AtomicInteger errorsPrinted) {
        KeyChooser chooser = KeyChooser.of(distribution, keys.keyCount(), seed);
        Random random = new Random(~seed);
        byte[] value = KeySpace.value(random);
        ClientStats stats = new ClientStats();
        while (true) {
            long start = System.nanoTime();
            MeasuredWindow measured = phase.measured;
            if (measured != null && start >= measured.endNanos()) {
                return stats;
            }
            long index = chooser.next();
            boolean ok = true;
            try {
                runOne(target, workload.pick(random.nextDouble()), keys, index, value);
            } catch (Exception e) {
                ok = false;
                if (measured != null && errorsPrinted.getAndIncrement() < ERRORS_PRINTED_MAX) {
                    System.err.println("[" + target.name() + "] " + workload.label() + " error: " + e);
                }
            }
            long end = System.nanoTime();
            if (measured == null) {
                if (ok) {
                    phase.warmupOps.increment();
                }
            } else if (start >= measured.startNanos() && end <= measured.endNanos()) {
                if (ok) {
                    stats.latencyUs.recordValue(Math.min(LATENCY_MAX_US, Math.max(1, (end - start) / 1000)));
                } else {
                    stats.errors++;
                }
            }
        }
    }

    private static void runOne(KvTarget target, Workload.Op op, KeySpace keys, long index, byte[] value)
            throws Exception {
        switch (op) {
            case PUT -> target.put(keys.key(index), value);
            case GET -> target.get(keys.key(index));
            case SCAN -> {
                long first = Math.max(0, Math.min(index, keys.keyCount() - Workload.SCAN_KEYS));
                target.scan(keys.key(first), keys.keyOrEnd(first + Workload.SCAN_KEYS), Workload.SCAN_KEYS);
            }
        }
    }
}
