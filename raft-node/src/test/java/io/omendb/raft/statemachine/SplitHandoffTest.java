package io.omendb.raft.statemachine;

import io.omendb.storage.EngineOptions;
import io.omendb.storage.LoadedSegments;
import io.omendb.storage.StorageEngine;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.IOException;
import java.nio.ByteBuffer;
import java.nio.file.Path;
import java.util.UUID;

import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertSame;
import static org.junit.jupiter.api.Assertions.assertTrue;

/** {@link SplitHandoff}: a half is taken once, discarded halves and halves past the bound are gone. */
class SplitHandoffTest {
    @TempDir
    Path tmp;

    @Test
    void aHalfIsTakenOnceAndDiscardedOrEvictedHalvesAreGone() throws IOException {
        LoadedSegments half = rightHalfOfASplit();
        assertTrue(half.size() > 0);
        SplitHandoff handoff = new SplitHandoff();
        UUID taken = UUID.randomUUID();
        UUID discarded = UUID.randomUUID();
        handoff.offer(taken, half);
        handoff.offer(discarded, half);
        handoff.offer(UUID.randomUUID(), LoadedSegments.NONE); // nothing to hold
        assertSame(half, handoff.take(taken));
        assertSame(LoadedSegments.NONE, handoff.take(taken), "taken once");
        handoff.discard(discarded);
        assertSame(LoadedSegments.NONE, handoff.take(discarded));

        UUID oldest = UUID.randomUUID();
        handoff.offer(oldest, half);
        UUID newest = null;
        for (int i = 0; i < SplitHandoff.PENDING_MAX; i++) {
            newest = UUID.randomUUID();
            handoff.offer(newest, half);
        }
        assertSame(LoadedSegments.NONE, handoff.take(oldest), "the oldest is dropped past the bound");
        assertSame(half, handoff.take(newest));
    }

    private LoadedSegments rightHalfOfASplit() throws IOException {
        try (StorageEngine e = StorageEngine.open(tmp.resolve("parent"), EngineOptions.defaults().withFsync(false))) {
            for (long i = 0; i < 100; i++) {
                byte[] k = ByteBuffer.allocate(Long.BYTES).putLong(i).array();
                e.put(k, k);
            }
            e.flush();
            StorageEngine.SplitResult r = e.splitOff(ByteBuffer.allocate(Long.BYTES).putLong(50).array(),
                    e.appliedIndex() + 1, tmp.resolve("right"), 0);
            assertEquals(r.segmentsLinked(), r.rightSegments().size());
            return r.rightSegments();
        }
    }
}
