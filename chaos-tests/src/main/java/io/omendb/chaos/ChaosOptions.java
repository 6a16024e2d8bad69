package io.omendb.chaos;

import io.omendb.chaos.nemesis.FaultType;

import java.nio.file.Path;
import java.util.List;

/**
 * Everything a chaos run is parameterised by. Two profiles: {@link #shortProfile} (inside {@code mvn verify}:
 * every fault once, in order, short holds) and {@link #longProfile} (the {@code bin/omendb-chaos} default:
 * random faults from a set until the duration ends).
 *
 * @param durationMs           LONG: how long faults keep coming (a round that has not yet injected every type
 *                             once is finished first, see FaultSchedule); SHORT: ignored (one of each)
 * @param faultsMax            bound on the number of faults ({@code --samples}: exactly this many)
 * @param randomOrder          false: {@code faults} once each, in order; true: drawn at random until the end
 * @param holdMinMs            shortest time a fault is held (pauses use {@code pauseMinMs..pauseMaxMs})
 * @param quietMs              healthy time between two faults
 * @param preloadKeysPerRange  keys written per range (in batches) before the faults, so snapshots and log purges
 *                             happen and a wiped node must catch up by snapshot
 * @param preloadBulkBytes     {@code --preload-bytes}: bytes of large values ({@code BulkData}) spread over the
 *                             ranges before the faults, so a wiped node has that much to catch up on; 0: none
 * @param nodeHeapMb           -Xmx of each node JVM ({@code --node-heap}); 384 MiB by default, below the 2 GiB the
 *                             operations guide asks for, to keep three nodes light on shared CI machines
 * @param rtoBoundMs           a range not accepting writes this long after a fault fails the run
 */
public record ChaosOptions(String profile, int nodes, int ranges, int keysPerRange, long epochMs, int clients,
                           long durationMs, int faultsMax, List<FaultType> faults, boolean randomOrder,
                           long holdMinMs, long holdMaxMs, long pauseMinMs, long pauseMaxMs, long quietMs,
                           int preloadKeysPerRange, int preloadValueBytes, long preloadBulkBytes, int nodeHeapMb,
                           long rtoBoundMs,
                           long seed, Path projectRoot, Path outputDir) {
    public static final List<FaultType> ALL = List.of(FaultType.values());
    public static final int NODE_HEAP_MB_DEFAULT = 384;
    /** Bound on the faults of a long run (at least 5 s of quiet each: more than 13 hours). */
    public static final int LONG_FAULTS_MAX = 10_000;
    /** A duration that bounds nothing (used with {@code --samples}); nanoseconds of it still fit in a long. */
    public static final long UNBOUNDED_MS = Long.MAX_VALUE / 1_000_000;

    /** Spare node slots when a membership fault is selected: each kill-forever uses up one (its id is dead). */
    static final int SPARE_NODES = 4;

    public ChaosOptions {
        faults = List.copyOf(faults);
        if (faults.isEmpty()) {
            throw new IllegalArgumentException("no fault types selected");
        }
        if (holdMinMs > holdMaxMs || pauseMinMs > pauseMaxMs) {
            throw new IllegalArgumentException("hold and pause ranges must have min <= max");
        }
    }

    /** Node slots for nodes that join the running cluster: {@link #SPARE_NODES} when a fault changes membership. */
    public int spareNodes() {
        return faults.stream().anyMatch(FaultType::changesMembership) ? SPARE_NODES : 0;
    }

    public static ChaosOptions shortProfile(Path projectRoot, Path outputDir, long seed) {
        return new ChaosOptions("short", 3, 4, 6, 60_000, 6, 0, ALL.size(), ALL, false, 4_000, 6_000, 5_000, 5_000,
                2_000, 6_000, 200, 0, NODE_HEAP_MB_DEFAULT, 120_000, seed, projectRoot, outputDir);
    }

    public static ChaosOptions longProfile(Path projectRoot, Path outputDir, long seed, long durationMs,
                                           int faultsMax, List<FaultType> faults, long preloadBulkBytes,
                                           int nodeHeapMb) {
        return new ChaosOptions("long", 3, 4, 8, 60_000, 8, durationMs, faultsMax, faults, true, 5_000, 20_000,
                5_000, 30_000, 5_000, 20_000, 200, preloadBulkBytes, nodeHeapMb, 180_000, seed, projectRoot, outputDir);
    }
}
