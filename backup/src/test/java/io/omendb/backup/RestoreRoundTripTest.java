package io.omendb.backup;

import io.omendb.raft.LocalCluster;
import io.omendb.raft.OmenNode;
import io.omendb.raft.client.ClientOptions;
import io.omendb.raft.client.ClusterClient;
import io.omendb.raft.client.ReadOptions;
import io.omendb.config.OmenConfig;
import io.omendb.raft.meta.ClusterLayout;
import io.omendb.raft.storage.GroupDir;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.storage.SnapshotDescriptor;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.RaftConfiguration;
import org.apache.ratis.server.storage.RaftStorage;
import org.apache.ratis.server.storage.RaftStorageImpl;
import org.apache.ratis.server.storage.RaftStorageMetadata;
import org.apache.ratis.util.SizeInBytes;
import org.junit.jupiter.api.Test;
import org.junit.jupiter.api.io.TempDir;

import java.io.Reader;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.time.Duration;
import java.util.List;
import java.util.Properties;
import java.util.Set;
import java.util.TreeSet;
import java.util.UUID;
import java.util.concurrent.TimeUnit;
import java.util.stream.Collectors;
import java.util.stream.Stream;

import static io.omendb.backup.RestoreFixtures.key;
import static io.omendb.backup.RestoreFixtures.value;
import static org.junit.jupiter.api.Assertions.assertArrayEquals;
import static org.junit.jupiter.api.Assertions.assertEquals;
import static org.junit.jupiter.api.Assertions.assertFalse;
import static org.junit.jupiter.api.Assertions.assertTrue;

/**
 * Restore's output is what a node would have written: a real single-node cluster writes, stops, is backed up from
 * its data dir and restored into a new one; every group directory restore wrote has the shape of the node's own
 * (same relative paths, up to numbers), Ratis' own storage code reads its metadata back with the term of the
 * restored snapshot and the same configuration as the node's, and a node started on the restored dir serves every
 * key.
 */
class RestoreRoundTripTest {
    private static final String DATABASE = "roundtrip";
    private static final int KEYS = 40;
    private static final long CALL_TIMEOUT_S = 60;

    @TempDir
    Path tmp;

    @Test
    void restoredGroupDirsAreWhatTheNodeWritesAndServeTheData() throws Exception {
        OmenConfig template = RestoreFixtures.template(DATABASE);
        OmenConfig original;
        try (LocalCluster cluster = LocalCluster.start(tmp.resolve("cluster"), 1, 1, template);
             ClusterClient client = cluster.newClient("n1")) {
            original = cluster.configOf("n1");
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            for (int i = 0; i < KEYS; i++) {
                client.put(key(i), value(i)).get(CALL_TIMEOUT_S, TimeUnit.SECONDS);
            }
        }
        NodeDataLayout node = NodeDataLayout.of(original.database().dataDir());

        BackupManifest backup = RestoreFixtures.backUpStopped(tmp.resolve("backups"), node.dataDir(),
                List.of(node.dataDir()), DATABASE);
        BackupRepository repo = new BackupRepository(tmp.resolve("backups"));
        OmenConfig target = original.withDatabase(new OmenConfig.Database(DATABASE, tmp.resolve("restored"),
                original.database().logLevel()));
        new ClusterRestorer(repo, line -> { }).restore(backup, List.of(target), false, null,
                BackupCommand.STOP_THE_NODE);
        NodeDataLayout restored = NodeDataLayout.of(target.database().dataDir());

        UUID meta = ClusterLayout.metaGroupId(DATABASE).getUuid();
        Set<UUID> nodeRanges = groupIds(node);
        nodeRanges.remove(meta);
        assertEquals(nodeRanges, groupIds(restored), "restore writes every range group (the meta group is seeded)");
        assertEquals(2, nodeRanges.size());
        for (UUID g : nodeRanges) {
            assertSameFormat(node.group(g), restored.group(g), backup.ranges().stream()
                    .filter(r -> UUID.fromString(r.groupId()).equals(g)).findFirst().orElseThrow());
        }

        try (OmenNode started = OmenNode.start(target);
             ClusterClient client = ClusterClient.connect(ClientOptions.from(target))) {
            client.awaitRangeTable(Duration.ofSeconds(CALL_TIMEOUT_S));
            for (int i = 0; i < KEYS; i++) {
                assertArrayEquals(value(i), client.get(key(i), ReadOptions.linearizable())
                        .get(CALL_TIMEOUT_S, TimeUnit.SECONDS).value(), "key " + i);
            }
            assertEquals(started.hostedGroups().size(), nodeRanges.size() + 1);
        }
    }

    private static void assertSameFormat(GroupDir written, GroupDir restored, BackupManifest.RangeEntry range)
            throws Exception {
        Set<String> writtenShapes = shapes(written);
        Set<String> restoredShapes = shapes(restored);
        assertTrue(restoredShapes.containsAll(Set.of("current/raft-meta", "current/raft-meta.conf",
                "sm/snapshot.#_#/" + SnapshotDescriptor.FILE_NAME)), "restored: " + restoredShapes);
        assertTrue(writtenShapes.containsAll(restoredShapes), "every path restore writes is one the node writes too:"
                + " node " + writtenShapes + ", restored " + restoredShapes);

        Properties writtenMeta = properties(written.raftMetaFile());
        Properties restoredMeta = properties(restored.raftMetaFile());
        assertEquals(writtenMeta.stringPropertyNames(), restoredMeta.stringPropertyNames());

        RatisView w = RatisView.read(written);
        RatisView r = RatisView.read(restored);
        assertEquals(range.term(), r.metadata().getTerm());
        assertEquals(w.peers(), r.peers(), "restored configuration");

        List<Path> snapshots = GroupDir.snapshotDirs(restored.stateMachineDir());
        assertEquals(1, snapshots.size());
        SnapshotDescriptor d = SnapshotDescriptor.readFrom(snapshots.get(0));
        assertEquals(restored.snapshotDir(range.term(), range.index()), snapshots.get(0));
        assertEquals(range.index(), d.index());
        assertFalse(GroupDir.snapshotDirs(written.stateMachineDir()).isEmpty(), "the node took snapshots too");
    }

    /** Ratis' metadata of a group directory, read by Ratis' own storage code. */
    private record RatisView(RaftStorageMetadata metadata, Set<String> peers) {
        static RatisView read(GroupDir g) throws Exception {
            RaftStorage storage = RaftStorage.newBuilder().setDirectory(g.root().toFile())
                    .setOption(RaftStorage.StartupOption.RECOVER).setStorageFreeSpaceMin(SizeInBytes.ZERO).build();
            try {
                storage.initialize();
                RaftConfiguration conf = ((RaftStorageImpl) storage).readRaftConfiguration();
                return new RatisView(storage.getMetadataFile().getMetadata(), conf.getCurrentPeers().stream()
                        .map(RatisView::describe).collect(Collectors.toCollection(TreeSet::new)));
            } finally {
                storage.close();
            }
        }

        private static String describe(RaftPeer p) {
            return p.getId() + "@" + p.getAddress();
        }
    }

    /** Relative paths under a group directory, digits replaced by '#' (indexes, terms, segment ids differ). */
    private static Set<String> shapes(GroupDir g) throws Exception {
        try (Stream<Path> s = Files.walk(g.root())) {
            return s.filter(Files::isRegularFile).map(p -> g.root().relativize(p).toString().replaceAll("\\d+", "#"))
                    .collect(Collectors.toCollection(TreeSet::new));
        }
    }

    private static Properties properties(Path file) throws Exception {
        Properties p = new Properties();
        try (Reader r = Files.newBufferedReader(file, StandardCharsets.UTF_8)) {
            p.load(r);
        }
        return p;
    }

    private static Set<UUID> groupIds(NodeDataLayout layout) throws Exception {
        return layout.groups().stream().map(GroupDir::groupId).collect(Collectors.toCollection(TreeSet::new));
    }
}
