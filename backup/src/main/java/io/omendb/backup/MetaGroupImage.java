package io.omendb.backup;

import io.omendb.raft.meta.RangeDescriptor;
import io.omendb.raft.meta.RangeDescriptorCodec;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.SnapshotDescriptor;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.StorageEngine;
import io.omendb.storage.WriteBatch;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.protocol.TermIndex;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.List;

/**
 * The meta group of a restored split cluster, written so that its range table is the backed-up one
 * ({@link RestoreLayout}, split case) rather than the one the configuration seeds.
 *
 * <p><b>How.</b> An engine in a scratch directory holds what the meta group's state machine holds after the splits:
 * one descriptor per range under {@link RangeDescriptorCodec#key} and the range-id counter
 * {@link RangeDescriptorCodec#NEXT_RANGE_ID_KEY} = the highest id + 1 (so a later split never reuses an id), applied
 * as one batch at index {@link #AT}. Each meta peer's group directory is then written like a restored range group: a
 * snapshot directory of that engine ({@link SnapshotDescriptor#writeSnapshotDir}, no range descriptor: the meta group
 * has none) and Ratis' metadata ({@link GroupDir#writeRecoveredRaftState}, the meta peers as configuration). Ratis
 * recovers the group from that snapshot; the meta peers' seeder then finds every initial range present and changes
 * nothing, and every range's replicas already record their descriptor (their snapshots carry it).
 *
 * <p>Single-threaded; {@link #close} closes the engine (the caller deletes the scratch directory).
 */
final class MetaGroupImage implements AutoCloseable {
    /** The log position the meta group restarts from: its whole table is the effect of one entry. */
    static final TermIndex AT = TermIndex.valueOf(1, 1);

    private final StorageEngine engine;

    private MetaGroupImage(StorageEngine engine) {
        this.engine = engine;
    }

    /** Builds the meta group's contents for {@code table} in {@code scratchDir} (a new, empty directory). */
    static MetaGroupImage build(List<RangeDescriptor> table, Path scratchDir, EngineOptions options)
            throws IOException {
        StorageEngine engine = StorageEngine.open(Files.createDirectories(scratchDir), options);
        try {
            WriteBatch batch = new WriteBatch();
            for (RangeDescriptor d : table) {
                batch.put(RangeDescriptorCodec.key(d.rangeId()), RangeDescriptorCodec.encode(d));
            }
            long nextId = table.stream().mapToLong(RangeDescriptor::rangeId).max().orElse(0) + 1;
            batch.put(RangeDescriptorCodec.NEXT_RANGE_ID_KEY, ByteBuffer.allocate(Long.BYTES).putLong(nextId).array());
            engine.apply(batch, AT.getIndex());
            return new MetaGroupImage(engine);
        } catch (IOException | RuntimeException e) {
            engine.close();
            throw e;
        }
    }

    /** Writes the meta group's directory {@code group} (which must not exist) of one meta peer; returns its bytes. */
    long writeTo(GroupDir group, List<RaftPeer> metaPeers) throws IOException {
        group.writeRecoveredRaftState(AT.getTerm(), AT.getIndex(), metaPeers);
        Files.createDirectories(group.stateMachineDir());
        SnapshotDescriptor d = SnapshotDescriptor.writeSnapshotDir(engine, group.snapshotDir(AT.getTerm(),
                AT.getIndex()), AT, null, 0);
        return d.files().stream().mapToLong(SnapshotDescriptor.EngineFile::sizeBytes).sum();
    }

    @Override
    public void close() throws IOException {
        engine.close();
    }
}
