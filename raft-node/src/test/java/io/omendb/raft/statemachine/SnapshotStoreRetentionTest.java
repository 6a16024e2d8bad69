package io.omendb.raft.statemachine;

import io.omendb.raft.storage.GroupDir;
import io.omendb.storage.EngineOptions;
import io.omendb.storage.StorageEngine;
import io.omendb.storage.WriteBatch;
import org.apache.ratis.server.protocol.TermIndex;
import org.apache.ratis.statemachine.SnapshotRetentionPolicy;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.nio.file.attribute.FileTime;
import java.util.ArrayList;
import java.util.List;
import java.util.concurrent.atomic.AtomicLong;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * A leader streams its latest snapshot to a follower by path; deleting it when newer snapshots were taken
 * meanwhile failed the install (seen in the chaos suite). Beyond the retained count, a snapshot goes only once it
 * has been superseded for SUPERSEDED_KEEP_MS.
 */
class SnapshotStoreRetentionTest {
    private static final long MINUTE_MS = 60_000;
    private static final SnapshotRetentionPolicy KEEP_TWO = new SnapshotRetentionPolicy() {
        @Override
        public int getNumSnapshotsRetained() {
            return 2;
        }
    };

    @TempDir
    Path dir;

    @Test
    void aSupersededSnapshotOutlivesTheRetainedCountUntilItsGracePeriodEnds() throws Exception {
        long now = 1_000 * MINUTE_MS;
        AtomicLong clock = new AtomicLong(now);
        SnapshotStore store = new SnapshotStore(clock::get);
        GroupDir group = GroupDir.of(dir);
        store.init(group.stateMachineDir());
        List<Path> snapshots = new ArrayList<>();
        try (StorageEngine engine = StorageEngine.open(group.engineDir(), EngineOptions.defaults().withFsync(false))) {
            for (int i = 1; i <= 4; i++) {
                engine.apply(new WriteBatch().put(("k" + i).getBytes(StandardCharsets.UTF_8), new byte[] {1}), i);
                snapshots.add(store.create(engine, TermIndex.valueOf(1, i), null, 0).dir());
            }
        }
        long[] ageMinutes = {40, 30, 5, 1}; // oldest first: s2 was superseded (s3 taken) 5 minutes ago
        for (int i = 0; i < 4; i++) {
            Files.setLastModifiedTime(snapshots.get(i), FileTime.fromMillis(now - ageMinutes[i] * MINUTE_MS));
        }

        store.cleanupOldSnapshots(KEEP_TWO);
        assertFalse(Files.exists(snapshots.get(0)), "superseded 30 minutes ago: deleted");
        for (int i = 1; i < 4; i++) {
            assertTrue(Files.exists(snapshots.get(i)), "snapshot " + (i + 1) + " kept");
        }

        clock.addAndGet(SnapshotStore.SUPERSEDED_KEEP_MS - 5 * MINUTE_MS);
        store.cleanupOldSnapshots(KEEP_TWO);
        assertFalse(Files.exists(snapshots.get(1)), "superseded for the whole grace period: deleted");
        assertTrue(Files.exists(snapshots.get(2)) && Files.exists(snapshots.get(3)), "the retained two stay");
        assertEquals(4, store.latest().orElseThrow().descriptor().index());
    }
}
