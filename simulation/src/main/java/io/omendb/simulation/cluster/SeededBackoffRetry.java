package io.omendb.simulation.cluster;

import org.apache.ratis.retry.RetryPolicy;
import org.apache.ratis.util.TimeDuration;

import java.util.Random;
import java.util.concurrent.TimeUnit;

/**
 * The shape of the client's leader retry policy ({@code ClusterClient.leaderRetryPolicy}: Ratis'
 * {@code ExponentialBackoffRetry}, sleeping {@code baseMs * 2^attempt} capped at {@code maxMs}, times a jitter in
 * [0.5, 1.5), for {@code attemptsMax} attempts) with the jitter drawn from the simulation's seeded random instead
 * of {@code ThreadLocalRandom}, so a seed fixes every sleep.
 */
final class SeededBackoffRetry implements RetryPolicy {
    private final Random random;
    private final long baseMs;
    private final long maxMs;
    private final int attemptsMax;

    SeededBackoffRetry(Random random, long baseMs, long maxMs, int attemptsMax) {
        this.random = random;
        this.baseMs = baseMs;
        this.maxMs = maxMs;
        this.attemptsMax = attemptsMax;
    }

    @Override
    public Action handleAttemptFailure(Event event) {
        int attempt = event.getAttemptCount();
        if (attempt >= attemptsMax) {
            return NO_RETRY_ACTION;
        }
        long sleepMs = (long) (Math.min(maxMs, baseMs * Math.pow(2, attempt)) * (0.5 + random.nextDouble()));
        TimeDuration sleep = TimeDuration.valueOf(sleepMs, TimeUnit.MILLISECONDS);
        return () -> sleep;
    }
}
