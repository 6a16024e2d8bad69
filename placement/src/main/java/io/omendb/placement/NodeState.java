package io.omendb.placement;

/**
 * A node's state as the placement driver sees it. {@link #LIVE}, {@link #DRAINING}, {@link #DEAD} and
 * {@link #REMOVED} are recorded in the meta group (an operator drains, the driver declares dead and removes);
 * {@link #SUSPECT} is never recorded: it is what a LIVE or DRAINING node is while unheard from for
 * {@link PlacementLimits#nodeSuspectAfterMs()} and less than {@link PlacementLimits#nodeDeadAfterMs()}.
 */
public enum NodeState {
    /** Member, heard from recently: holds and receives replicas and leaders. */
    LIVE,
    /** Unheard from for a while: its replicas do not count as live for quorums, nor are they replaced yet. */
    SUSPECT,
    /** Declared dead (or unheard from for {@code nodeDeadAfterMs}): its replicas are lost, to be re-created. */
    DEAD,
    /** Being decommissioned: every replica and leader moves off, then the driver removes it. */
    DRAINING,
    /** No longer a member: any replica still naming it is lost. */
    REMOVED
}
