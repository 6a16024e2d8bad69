package io.omendb.raft;

import io.omendb.raft.client.Failures;

import org.apache.ratis.protocol.RaftGroupId;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.util.function.LongSupplier;
import java.util.random.RandomGenerator;

/**
 * Retries the re-admission of a wiped node to one Raft group ({@link GroupBootstrap#readmitOnce}) until it succeeds,
 * with exponential backoff and jitter, and gives up, loudly, at a deadline.
 *
 * <p><b>Why a bound.</b> Re-admission needs the group's leader, hence a majority of its other members. It used to
 * retry every second for ever; a group that can never take the node back (its members gone for good, a group
 * deleted meanwhile) then left a thread retrying silently, with the node running but not serving the group. Now
 * the node stops after {@link Policy#deadlineMs} and logs at ERROR what the operator must do.
 *
 * <p><b>Delays.</b> After failure {@code n} (1, 2, ...) it waits a delay drawn uniformly from {@code [d/2, d]} with
 * {@code d = min(delayMaxMs, delayInitialMs * 2^(n-1))} ("equal jitter": the nodes of a cluster wiped together do
 * not all knock on the leader at the same instants, and no wait is shorter than half the nominal one). The first
 * attempt runs at once. An attempt that would start after the deadline is not made.
 *
 * <p><b>Threading.</b> {@link #run} blocks its caller (one thread per group, so one slow group does not hold up the
 * others) and returns when done, given up or interrupted. Time, waiting and randomness are injected so a test can
 * run the whole sequence on a fake clock.
 */
final class Readmission {
    private static final Logger LOG = LoggerFactory.getLogger(Readmission.class);

    /**
     * @param delayInitialMs nominal wait after the first failure
     * @param delayMaxMs     cap of the nominal wait
     * @param deadlineMs     time from the first attempt after which no attempt is started
     */
    record Policy(long delayInitialMs, long delayMaxMs, long deadlineMs) {
        Policy {
            if (delayInitialMs <= 0 || delayMaxMs < delayInitialMs || deadlineMs < 0) {
                throw new IllegalArgumentException("bad re-admission policy " + delayInitialMs + "/" + delayMaxMs
                        + "/" + deadlineMs + " ms");
            }
        }

        /** The wait after the {@code failures}-th failed attempt ({@code failures >= 1}). */
        long delayMs(int failures, RandomGenerator random) {
            long nominal = delayInitialMs;
            for (int i = 1; i < failures && nominal < delayMaxMs; i++) {
                nominal *= 2;
            }
            nominal = Math.min(nominal, delayMaxMs);
            long half = nominal / 2;
            return half + random.nextLong(nominal - half + 1);
        }
    }

    /** One try of the three re-admission steps; any exception but an interrupt is a failure to retry. */
    interface Attempt {
        void run() throws Exception;
    }

    /** Waits {@code ms}; interruptible. */
    interface Sleeper {
        void sleep(long ms) throws InterruptedException;
    }

    enum Outcome { READMITTED, GAVE_UP, INTERRUPTED }

    private final String nodeId;
    private final RaftGroupId group;
    private final Attempt attempt;
    private final Policy policy;
    private final LongSupplier clockMs;
    private final Sleeper sleeper;
    private final RandomGenerator random;

    Readmission(String nodeId, RaftGroupId group, Attempt attempt, Policy policy, LongSupplier clockMs,
                Sleeper sleeper, RandomGenerator random) {
        this.nodeId = nodeId;
        this.group = group;
        this.attempt = attempt;
        this.policy = policy;
        this.clockMs = clockMs;
        this.sleeper = sleeper;
        this.random = random;
    }

    Outcome run() {
        long startedMs = clockMs.getAsLong();
        for (int failures = 0; ; ) {
            Exception failure;
            try {
                attempt.run();
                LOG.info("Node {} re-admitted to group {}", nodeId, group);
                return Outcome.READMITTED;
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Outcome.INTERRUPTED;
            } catch (Exception e) {
                failure = e;
            }
            failures++;
            Throwable cause = Failures.unwrap(failure);
            long delayMs = policy.delayMs(failures, random);
            long elapsedMs = clockMs.getAsLong() - startedMs;
            if (elapsedMs + delayMs > policy.deadlineMs()) {
                LOG.error("Node {} gave up re-admitting itself to group {} after {} attempts over {} ms (last error: "
                        + "{}). This node lost its data of that group and does not serve it. Make sure a majority of "
                        + "the group's other members is running and reachable from this node, then restart this node "
                        + "to try again; if those members are gone for good, restore the range from a backup.",
                        nodeId, group, failures, elapsedMs, String.valueOf(cause));
                return Outcome.GAVE_UP;
            }
            LOG.warn("Node {}: re-admission to group {} failed (attempt {}), retrying in {} ms: {}", nodeId, group,
                    failures, delayMs, String.valueOf(cause));
            try {
                sleeper.sleep(delayMs);
            } catch (InterruptedException e) {
                Thread.currentThread().interrupt();
                return Outcome.INTERRUPTED;
            }
        }
    }
}
