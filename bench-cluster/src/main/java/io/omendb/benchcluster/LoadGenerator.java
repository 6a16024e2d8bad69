package io.omendb.benchcluster;

import java.util.ArrayList;
import java.util.List;
import java.util.Random;
import java.util.concurrent.ExecutorService;
import java.util.concurrent.Executors;
import java.util.concurrent.Future;
import java.util.concurrent.TimeUnit;
import java.util.concurrent.atomic.AtomicInteger;
import org.HdrHistogram.Histogram;

/**
 * Closed-loop load: {@code clients} platform threads (Java 17 has no virtual threads), each sending one request,
 * waiting for its answer, then sending the next, for a warm-up period and then a measured period.
 *
 * <p>Measurement rules: an operation counts only if it both started and finished inside the measured window,
 * so neither the warm-up nor the in-flight tail at the end leaks into the numbers. Latency is recorded per
 * thread in microseconds (HdrHistogram, 3 significant digits, up to {@value #LATENCY_MAX_US} µs) and the
 * histograms are merged at the end. A failed or timed-out operation is an error: it adds to {@code errors}
 * and not to the latency histogram or throughput. Each thread's keys come from a {@link KeyChooser} seeded
 * with {@code seed + thread}, so runs are replayable.
 */
final class LoadGenerator {
    static final long LATENCY_MAX_US = 120_000_000L;
    private static final int ERRORS_PRINTED_MAX = 5;

    record Settings(int clients, long warmupMs, long measureMs, String distribution, long seed) {
        Settings {
            if (clients < 1 || clients > 4096) {
                throw new IllegalArgumentException("clients must be in 1..4096, got " + clients);
            }
            if (warmupMs < 0 || measureMs < 1) {
                throw new IllegalArgumentException("warm-up must be >= 0 ms and the measured period >= 1 ms");
            }
        }
    }

    private LoadGenerator() {
    }

    static Result run(KvTarget target, Workload workload, KeySpace keys, Settings settings) throws Exception {
        long warmupEnd = System.nanoTime() + TimeUnit.MILLISECONDS.toNanos(settings.warmupMs());
        long measureEnd = warmupEnd + TimeUnit.MILLISECONDS.toNanos(settings.measureMs());
        AtomicInteger errorsPrinted = new AtomicInteger();
        ExecutorService pool = Executors.newFixedThreadPool(settings.clients(), r -> {
            Thread t = new Thread(r, "bench-client");
            t.setDaemon(true);
            return t;
        });
        try {
            List<Future<ClientStats>> futures = new ArrayList<>();
            for (int i = 0; i < settings.clients(); i++) {
                long seed = settings.seed() + i;
                futures.add(pool.submit(() -> runClient(target, workload, keys, settings.distribution(), seed,
                        warmupEnd, measureEnd, errorsPrinted)));
            }
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
                    ms(merged.getMaxValue()), merged.getTotalCount(), errors, seconds);
        } finally {
            pool.shutdownNow();
        }
    }

    private static double ms(long micros) {
        return micros / 1000.0;
    }

    private static final class ClientStats {
        final Histogram latencyUs = new Histogram(LATENCY_MAX_US, 3);
        long errors;
    }

    private static ClientStats runClient(KvTarget target, Workload workload, KeySpace keys, String distribution,
                                         long seed, long warmupEnd, long measureEnd, AtomicInteger errorsPrinted) {
        KeyChooser chooser = KeyChooser.of(distribution, keys.keyCount(), seed);
        Random random = new Random(~seed);
        byte[] value = KeySpace.value(random);
        ClientStats stats = new ClientStats();
        while (true) {
            long start = System.nanoTime();
            if (start >= measureEnd) {
                return stats;
            }
            long index = chooser.next();
            boolean ok = true;
            try {
                runOne(target, workload.pick(random.nextDouble()), keys, index, value);
            } catch (Exception e) {
                ok = false;
                if (start >= warmupEnd && errorsPrinted.getAndIncrement() < ERRORS_PRINTED_MAX) {
                    System.err.println("[" + target.name() + "] " + workload.label() + " error: " + e);
                }
            }
            long end = System.nanoTime();
            if (start >= warmupEnd && end <= measureEnd) {
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
