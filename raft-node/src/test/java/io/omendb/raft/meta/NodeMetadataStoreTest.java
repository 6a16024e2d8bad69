package io.omendb.raft.meta;

import io.omendb.raft.storage.NodeDataLayout;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.nio.file.Path;

import static org.junit.jupiter.api.Assertions.assertEquals;

/** Where the node recorded its incarnation in the meta log: 0 until saved, then kept across reopening (synced). */
class NodeMetadataStoreTest {
    @TempDir
    Path dir;

    @Test
    void incarnationRecordedAtIsZeroUntilSavedThenSurvivesReopening() throws Exception {
        NodeDataLayout layout = NodeDataLayout.of(dir);
        try (NodeMetadataStore store = NodeMetadataStore.open(layout)) {
            assertEquals(0, store.incarnationRecordedAt(), "a new directory recorded nothing");
            store.saveIncarnationRecordedAt(1_234_567);
        }
        try (NodeMetadataStore store = NodeMetadataStore.open(layout)) {
            assertEquals(1_234_567, store.incarnationRecordedAt());
        }
    }
}
