package io.omendb.backup;

import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeTable;
import io.omendb.raft.range.RangeBounds;
import io.omendb.raft.storage.SnapshotDescriptor;

import java.io.IOException;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.HexFormat;
import java.util.List;
import java.util.Map;
import java.util.UUID;
import java.util.stream.Collectors;

/**
 * The ranges a restore writes and the peers each goes to, and whether the restored cluster's range table comes from
 * the configuration or from the backup.
 *
 * <p><b>Not split</b> ({@code fromBackup == false}): the backup's ranges are those {@code [cluster]
 * initial_split_points} give (same ids, bounds and groups); the layout is {@link ClusterLayout#initialRanges} and the restored
 * cluster's meta group is created and seeded from the configuration, as on a fresh cluster.
 *
 * <p><b>Split</b> ({@code fromBackup == true}): the backed-up cluster's ranges were split online, so they no longer
 * derive from the configuration. Each range keeps the backup's id, bounds and Raft group; its peers are placed by
 * {@link ClusterLayout#placement} at ordinal {@code rangeId - 1}, so the configuration's initial ranges keep the
 * placement that {@code GroupBootstrap} gives them; its epoch is the one its replicas' descriptor records at the
 * restore point ({@link #withRecordedEpochs}), since a replica refuses routes with a lower epoch. Restore then writes
 * the meta group as well ({@link MetaGroupImage}), holding exactly this table.
 *
 * <p><b>Refused</b> (nothing written): ranges that do not cover the key space without gaps or overlaps
 * ({@link RangeTable}); and a backup lacking a range (id and group) of the configuration's initial layout: the
 * restored meta peers seed every initial range that is absent from the table, which would overlap the backed-up
 * ranges. Immutable.
 */
record RestoreLayout(List<RangeDescriptor> ranges, boolean fromBackup) {
    /** The epoch of a range whose replicas record no descriptor (they accept any route). */
    private static final long EPOCH_UNRECORDED = 1;

    RestoreLayout {
        ranges = List.copyOf(ranges);
    }

    /** The layout of {@code m}'s ranges on the cluster {@code cluster}, epochs not yet known in the split case. */
    static RestoreLayout of(BackupManifest m, OmenConfig.Cluster cluster) throws BackupException {
        List<RangeDescriptor> initial = ClusterLayout.initialRanges(m.database(), cluster);
        String backedUp = m.ranges().stream().map(RestoreLayout::bounds).collect(Collectors.joining(" "));
        boolean sameGroups = m.ranges().stream().map(BackupManifest.RangeEntry::groupId).toList()
                .equals(initial.stream().map(r -> r.groupId().toString()).toList());
        String configured = initial.stream().map(RestoreLayout::bounds).collect(Collectors.joining(" "));
        if (sameGroups && backedUp.equals(configured)) {
            return new RestoreLayout(initial, false);
        }
        List<RangeDescriptor> ranges = new ArrayList<>();
        HexFormat hex = HexFormat.of();
        for (BackupManifest.RangeEntry r : m.ranges()) {
            ranges.add(new RangeDescriptor(r.rangeId(), hex.parseHex(r.startHex()),
                    r.endHex() == null ? null : hex.parseHex(r.endHex()), UUID.fromString(r.groupId()),
                    ClusterLayout.placement(cluster, r.rangeId() - 1), EPOCH_UNRECORDED));
        }
        try {
            new RangeTable(ranges);
        } catch (IllegalArgumentException e) {
            throw BackupException.failed("backup " + m.backupId() + "'s ranges (" + backedUp + ") do not cover the key "
                    + "space (" + e.getMessage() + "); it cannot be restored");
        }
        for (RangeDescriptor i : initial) {
            if (ranges.stream().noneMatch(r -> r.rangeId() == i.rangeId() && r.groupId().equals(i.groupId()))) {
                throw BackupException.usage("the target config's cluster.initial_split_points give range "
                        + i.rangeId() + " (group " + i.groupId() + "), which backup " + m.backupId() + " does not hold "
                        + "(its ranges: " + backedUp + "); use the initial_split_points of the backed-up cluster");
            }
        }
        return new RestoreLayout(ranges, true);
    }

    /**
     * In the split case, this layout with each range's epoch taken from the descriptor its restore point's snapshot
     * records ({@code points}: range id to the snapshot files, {@link SnapshotDescriptor#FILE_NAME} among them); the
     * recorded bounds must be the backup's. Unchanged when the table is seeded from the configuration.
     */
    RestoreLayout withRecordedEpochs(Map<Long, PointInTimeRestore.Replayed> points) throws BackupException {
        if (!fromBackup) {
            return this;
        }
        List<RangeDescriptor> out = new ArrayList<>();
        for (RangeDescriptor d : ranges) {
            RangeBounds recorded = recordedBounds(d.rangeId(), points.get(d.rangeId()).files()
                    .get(SnapshotDescriptor.FILE_NAME));
            if (recorded == null) {
                out.add(d);
                continue;
            }
            if (!recorded.equals(new RangeBounds(d.rangeId(), d.start(), d.end(), recorded.epoch()))) {
                throw BackupException.failed("range " + d.rangeId() + ": its checkpoint records " + recorded
                        + ", the backup's manifest " + d + "; the backup is inconsistent, nothing was restored");
            }
            out.add(new RangeDescriptor(d.rangeId(), d.start(), d.end(), d.groupId(), d.peerIds(),
                    Math.max(EPOCH_UNRECORDED, recorded.epoch())));
        }
        return new RestoreLayout(out, true);
    }

    private static RangeBounds recordedBounds(long rangeId, Path descriptorFile) throws BackupException {
        if (descriptorFile == null) {
            throw BackupException.failed("range " + rangeId + ": the restore point has no "
                    + SnapshotDescriptor.FILE_NAME + "; nothing was restored");
        }
        try {
            return SnapshotDescriptor.readFile(descriptorFile).rangeOrNull();
        } catch (IOException e) {
            throw BackupException.failed("range " + rangeId + ": " + e.getMessage() + "; nothing was restored");
        }
    }

    private static String bounds(BackupManifest.RangeEntry r) {
        return r.rangeId() + ":[" + r.startHex() + "," + (r.endHex() == null ? "+inf" : r.endHex()) + ")";
    }

    private static String bounds(RangeDescriptor r) {
        HexFormat hex = HexFormat.of();
        return r.rangeId() + ":[" + hex.formatHex(r.start()) + "," + (r.end() == null ? "+inf"
                : hex.formatHex(r.end())) + ")";
    }
}
