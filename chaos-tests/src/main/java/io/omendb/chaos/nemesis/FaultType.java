package io.omendb.chaos.nemesis;

/** The faults the nemesis can inject. Every one is healed before the next starts. */
public enum FaultType {
    /** kill -9 of a random node; restarted after the hold. */
    KILL_RANDOM,
    /** kill -9 of the current leader of a random range (from GET /admin/ranges); restarted after the hold. */
    KILL_LEADER,
    /** SIGSTOP of the leader of a random range for the hold, then SIGCONT. */
    PAUSE,
    /** The leader of a random range and (with 5+ nodes) others cut off, both ways, as a minority. */
    PARTITION_LEADER_MINORITY,
    /** A minority cut off both ways while the leader of a random range stays with the majority. */
    PARTITION_LEADER_MAJORITY,
    /** The leader of a random range stops receiving from every other node; what it sends still arrives. */
    PARTITION_ONE_WAY,
    /** kill -9 of a random node, its data directory deleted, restarted: it must catch up (by snapshot). */
    WIPE_RESTART,
    /** kill -9 of every node at once, then all restarted. */
    KILL_ALL,
    /**
     * A random range split at its byte median ({@code POST /admin/split}, after a flush so its segments hold its keys)
     * while the workload runs: the range table changes under the clients, who must not notice. Nothing to heal.
     */
    SPLIT,
    /**
     * A split like {@link #SPLIT} with a kill -9 of another random node 0–400 ms after the split was requested, so the
     * node dies at some step of applying the split or starting the new range's group; restarted after the hold, it
     * must finish or redo the split from its log and staging directory.
     */
    SPLIT_KILL,
    /**
     * A random range that has a right neighbour merged with it ({@code POST /admin/merge}) while the workload runs: the
     * neighbour's records are copied into it and the neighbour disappears from the range table under the clients,
     * who must not notice. Nothing to heal.
     */
    MERGE,
    /**
     * A merge like {@link #MERGE} with a kill -9 of another random node 0–400 ms after the merge was requested, so the
     * node dies at some step of the copy or the commit; restarted after the hold, the merge is finished or abandoned
     * from the range table.
     */
    MERGE_KILL,
    /**
     * A node joins the running cluster ({@code [cluster] join = true}, in a spare slot, on an empty data directory:
     * a slot decommissioned before takes its id back) and the placement driver gives it replicas and leaders, under
     * the workload. Nothing to heal: it waits until the node holds replicas.
     */
    ADD_NODE,
    /**
     * A joined node decommissioned ({@code POST /admin/decommission}): drained of every replica and leader while the
     * workload runs, recorded removed, then stopped (a node joins first when none has). Configured members hold the
     * meta group and are not decommissioned.
     */
    DECOMMISSION,
    /**
     * A joined node killed -9 and never restarted: after {@code node_dead_after_s} the placement driver declares it dead
     * and re-creates its replicas on the others; then a replacement joins (a node joins first when none has).
     */
    KILL_FOREVER,
    /**
     * kill -9 of every member in one random zone (its configured node and any joined ones; the slots are spread over
     * three zones, {@code ClusterSpec.zone}), all restarted after the hold. The placement driver keeps one replica of
     * each range per zone, so every range keeps a quorum and its writes go on, except a range caught mid-move with its
     * fourth, transient replica in the lost zone (two of four voters lost), which recovers when the zone comes back.
     */
    ZONE_LOSS;

    /** Whether the fault changes the cluster's membership (needs spare node slots). */
    public boolean changesMembership() {
        return this == ADD_NODE || this == DECOMMISSION || this == KILL_FOREVER;
    }

    public boolean needsPartitions() {
        return name().startsWith("PARTITION");
    }
}
