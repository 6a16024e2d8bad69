package io.omendb.raft.client;

/**
 * How a client groups single-key writes into Raft entries ({@link Coalescer}).
 *
 * @param entriesInFlightMax entries one client keeps in flight per range before further writes wait and are grouped
 *                           into the next entry ({@code [performance] group_commit_entries_in_flight_max})
 * @param groupCommandsMax   writes in one entry at most ({@code [performance] group_commit_writes_max}); 1 turns
 *                           grouping off
 * @param lingerMaxUs        how long an entry may wait for the writes its range's recent writers are expected to send
 *                           ({@code [performance] group_commit_linger_max_us}); 0 turns the linger off
 * @param forwardToLeader    whether a router whose node does not lead a range forwards its single-key writes to the
 *                           leader's node, to share entries with every router's writes there
 *                           ({@code [performance] group_commit_forward_to_leader})
 */
public record GroupCommitSettings(int entriesInFlightMax, int groupCommandsMax, long lingerMaxUs,
                                  boolean forwardToLeader) {
    public GroupCommitSettings {
        if (entriesInFlightMax < 1 || groupCommandsMax < 1 || lingerMaxUs < 0) {
            throw new IllegalArgumentException("group commit limits must be >= 1 (linger >= 0): " + entriesInFlightMax
                    + ", " + groupCommandsMax + ", " + lingerMaxUs);
        }
    }
}
