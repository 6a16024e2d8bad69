package io.omendb.raft.client;

import io.omendb.raft.meta.MergeTombstone;
import io.omendb.raft.meta.RangeTable;

import java.util.List;

/**
 * The range table and every merge tombstone, as one scan of the meta group read them
 * ({@link ClusterClient#refreshMetaView}): what a node's background roles look at each pass.
 *
 * @param table      the range table
 * @param tombstones every merge the meta group records, in source id order
 */
public record MetaView(RangeTable table, List<MergeTombstone> tombstones) {
    public MetaView {
        tombstones = List.copyOf(tombstones);
    }
}
