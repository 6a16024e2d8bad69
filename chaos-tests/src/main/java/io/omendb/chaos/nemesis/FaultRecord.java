package io.omendb.chaos.nemesis;

import java.util.List;

/**
 * What one fault did and what it cost.
 *
 * @param startS          seconds since the run's origin when the fault was injected
 * @param healS           seconds since the origin when it was healed
 * @param rtoMs           from injection until every range acknowledged a write invoked after it; -1: not within the
 *                        bound
 * @param catchUpMs       WIPE_RESTART: from the restart until the wiped node's replica of every range it holds
 *                        reached the leader's applied index at restart (with bulk data: and a later scan found the
 *                        replica's bulk data identical to what was written, else -1); else -1
 * @param snapshotInstalls WIPE_RESTART: "installed snapshot" lines in the wiped node's log since its restart
 */
public record FaultRecord(FaultType type, List<String> targets, double startS, double healS, long rtoMs,
                          long catchUpMs, int snapshotInstalls, String detail) {
}
