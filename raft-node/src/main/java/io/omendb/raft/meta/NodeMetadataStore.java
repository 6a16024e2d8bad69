package io.omendb.raft.meta;

import io.omendb.raft.statemachine.ReplicaListener;
import io.omendb.raft.storage.NodeDataLayout;
import io.omendb.raft.wire.CorruptFrameException;
import io.omendb.raft.wire.FrameReader;
import io.omendb.raft.wire.FrameWriter;
import org.apache.ratis.protocol.RaftGroupId;
import org.rocksdb.Options;
import org.rocksdb.RocksDB;
import org.rocksdb.RocksDBException;
import org.rocksdb.RocksIterator;
import org.rocksdb.WriteBatch;
import org.rocksdb.WriteOptions;
import org.slf4j.Logger;
import org.slf4j.LoggerFactory;

import java.io.IOException;
import java.nio.charset.StandardCharsets;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Arrays;
import java.util.LinkedHashMap;
import java.util.List;
import java.util.Map;
import java.util.Optional;
import java.util.UUID;
import java.util.function.UnaryOperator;

/**
 * The node's own metadata in RocksDB ({@link NodeDataLayout#nodeMetaDir}): its identity and, per Raft group it hosts,
 * the peers, applied/durable index and latest snapshot. It answers "is this a fresh node (bootstrap) or a restart
 * (recover), and is it the same node the directory belongs to?" without scanning the Raft storage.
 *
 * <p>The identity is written with a synced write; group records are advisory progress information (Ratis' own
 * storage stays the source of truth for Raft state), written without sync. A group whose replica was removed from this
 * node is recorded as <em>retired</em> (synced), so that start-up does not create it again from the initial layout
 * ({@code GroupBootstrap}): a range merged away, or a replica moved off this node, stays gone; a group added to the
 * node again is no longer retired once its replica opens. Every value is a CRC32C-checked frame.
 * Thread-safe: RocksDB is, and read-modify-write of a group record is serialized by {@code this}.
 */
public final class NodeMetadataStore implements ReplicaListener, AutoCloseable {
    private static final Logger LOG = LoggerFactory.getLogger(NodeMetadataStore.class);
    private static final byte[] IDENTITY_KEY = "node/identity".getBytes(StandardCharsets.UTF_8);
    private static final byte[] RECORDED_AT_KEY = "node/incarnation-recorded-at".getBytes(StandardCharsets.UTF_8);
    private static final String GROUP_PREFIX = "group/";
    /** Groups whose replica was removed from this node (a membership change or a merge): not re-created at start. */
    private static final String RETIRED_PREFIX = "retired/";
    /** The identity as builds before incarnations wrote it: node id, database, creation time. */
    private static final int IDENTITY_KIND_V1 = 1;
    private static final int GROUP_KIND = 2;
    /** The identity with the data directory's incarnation appended. */
    private static final int IDENTITY_KIND = 3;
    private static final int RECORDED_AT_KIND = 5;
    private static final int PEERS_MAX = 64;

    /**
     * Who this data directory belongs to.
     *
     * @param incarnation a random id drawn when the directory was first used (never 0): a node whose data is gone
     *                    comes back with another one, which is how the cluster tells a wiped node from a restarted
     *                    one; 0 for an identity written by a build before incarnations (given one at its next start)
     */
    public record NodeIdentity(String nodeId, String database, long createdAtMillis, long incarnation) {
        public NodeIdentity withIncarnation(long next) {
            return new NodeIdentity(nodeId, database, createdAtMillis, next);
        }
    }

    /** Last known state of one hosted group. {@code -1} means unknown. */
    public record GroupRecord(List<String> peerIds, long appliedIndex, long durableIndex, long snapshotTerm,
                              long snapshotIndex) {
        public GroupRecord {
            peerIds = List.copyOf(peerIds);
        }

        static final GroupRecord EMPTY = new GroupRecord(List.of(), -1, -1, -1, -1);
    }

    private final RocksDB db;
    private final Options options;
    private final WriteOptions syncWrite = new WriteOptions().setSync(true);
    private final WriteOptions plainWrite = new WriteOptions();

    private NodeMetadataStore(RocksDB db, Options options) {
        this.db = db;
        this.options = options;
    }

    /**
     * Opens (creating if missing) the store of {@code node} ({@link NodeDataLayout#nodeMetaDir}); RocksDB's native
     * library is loaded from {@link NodeDataLayout#nativeLibraryDir} ({@link RocksDbNativeLibrary}) if this JVM has
     * not loaded it yet.
     */
    public static NodeMetadataStore open(NodeDataLayout node) throws IOException {
        RocksDbNativeLibrary.loadFrom(node.nativeLibraryDir().toAbsolutePath());
        Path dir = node.nodeMetaDir();
        Files.createDirectories(dir);
        Options options = new Options().setCreateIfMissing(true).setParanoidChecks(true);
        try {
            return new NodeMetadataStore(RocksDB.open(options, dir.toString()), options);
        } catch (RocksDBException e) {
            options.close();
            throw new IOException("cannot open node metadata in " + dir + ": " + e.getMessage(), e);
        }
    }

    public Optional<NodeIdentity> identity() throws IOException {
        byte[] v = get(IDENTITY_KEY);
        if (v == null) {
            return Optional.empty();
        }
        FrameReader r = new FrameReader(v);
        if (r.kind() != IDENTITY_KIND && r.kind() != IDENTITY_KIND_V1) {
            throw new CorruptFrameException("node metadata: unknown identity kind " + r.kind());
        }
        NodeIdentity id = new NodeIdentity(string(r), string(r), r.readVarLong(),
                r.kind() == IDENTITY_KIND ? r.readVarLong() : 0);
        r.expectEnd();
        return Optional.of(id);
    }

    public void saveIdentity(NodeIdentity id) throws IOException {
        put(IDENTITY_KEY, new FrameWriter(IDENTITY_KIND).writeBytes(utf8(id.nodeId())).writeBytes(utf8(id.database()))
                .writeVarLong(id.createdAtMillis()).writeVarLong(id.incarnation()).finish(), syncWrite);
    }

    /**
     * The meta group's log index at which this node recorded its directory's incarnation (0: not recorded by this
     * build): a meta replica that applied less cannot know the record, so its answer about it is not evidence.
     */
    public long incarnationRecordedAt() throws IOException {
        byte[] v = get(RECORDED_AT_KEY);
        if (v == null) {
            return 0;
        }
        FrameReader r = reader(v, RECORDED_AT_KIND);
        long index = r.readVarLong();
        r.expectEnd();
        return index;
    }

    public void saveIncarnationRecordedAt(long index) throws IOException {
        put(RECORDED_AT_KEY, new FrameWriter(RECORDED_AT_KIND).writeVarLong(index).finish(), syncWrite);
    }

    public Map<RaftGroupId, GroupRecord> groups() throws IOException {
        Map<RaftGroupId, GroupRecord> out = new LinkedHashMap<>();
        byte[] prefix = utf8(GROUP_PREFIX);
        try (RocksIterator it = db.newIterator()) {
            for (it.seek(prefix); it.isValid() && startsWith(it.key(), prefix); it.next()) {
                String uuid = new String(it.key(), prefix.length, it.key().length - prefix.length, StandardCharsets.UTF_8);
                out.put(RaftGroupId.valueOf(UUID.fromString(uuid)), decodeGroup(it.value()));
            }
            it.status();
        } catch (RocksDBException e) {
            throw new IOException("reading node metadata: " + e.getMessage(), e);
        }
        return out;
    }

    @Override
    public void replicaOpened(RaftGroupId group, long appliedIndex, long durableIndex) {
        update(group, r -> new GroupRecord(r.peerIds(), appliedIndex, durableIndex, r.snapshotTerm(), r.snapshotIndex()));
        try {
            db.delete(plainWrite, retiredKey(group));
        } catch (RocksDBException e) {
            LOG.warn("Cannot clear the retired mark of group {}: {}", group, e.getMessage());
        }
    }

    /** Whether this node's replica of {@code group} was removed (and not added again since). */
    public boolean retired(RaftGroupId group) throws IOException {
        return get(retiredKey(group)) != null;
    }

    private static byte[] retiredKey(RaftGroupId group) {
        return utf8(RETIRED_PREFIX + group.getUuid());
    }

    @Override
    public void snapshotTaken(RaftGroupId group, long term, long index, long durableIndex) {
        update(group, r -> new GroupRecord(r.peerIds(), Math.max(r.appliedIndex(), index), durableIndex, term, index));
    }

    @Override
    public void peersChanged(RaftGroupId group, List<String> peerIds) {
        update(group, r -> new GroupRecord(peerIds, r.appliedIndex(), r.durableIndex(), r.snapshotTerm(),
                r.snapshotIndex()));
    }

    @Override
    public void replicaRemoved(RaftGroupId group) {
        try (WriteBatch batch = new WriteBatch()) {
            batch.delete(groupKey(group));
            batch.put(retiredKey(group), new byte[0]);
            db.write(syncWrite, batch);
        } catch (RocksDBException e) {
            LOG.warn("Cannot remove metadata of group {}: {}", group, e.getMessage());
        }
    }

    private synchronized void update(RaftGroupId group, UnaryOperator<GroupRecord> change) {
        try {
            byte[] old = get(groupKey(group));
            GroupRecord next = change.apply(old == null ? GroupRecord.EMPTY : decodeGroup(old));
            put(groupKey(group), encodeGroup(next), plainWrite);
        } catch (IOException | RuntimeException e) {
            LOG.warn("Cannot record metadata of group {}: {}", group, e.getMessage());
        }
    }

    private static byte[] encodeGroup(GroupRecord g) {
        FrameWriter w = new FrameWriter(GROUP_KIND).writeVarLong(g.peerIds().size());
        g.peerIds().forEach(p -> w.writeBytes(utf8(p)));
        return w.writeVarLong(g.appliedIndex() + 1).writeVarLong(g.durableIndex() + 1).writeVarLong(g.snapshotTerm() + 1)
                .writeVarLong(g.snapshotIndex() + 1).finish();
    }

    private static GroupRecord decodeGroup(byte[] v) {
        FrameReader r = reader(v, GROUP_KIND);
        int n = r.readCount(PEERS_MAX);
        List<String> peers = new ArrayList<>(n);
        for (int i = 0; i < n; i++) {
            peers.add(string(r));
        }
        GroupRecord g = new GroupRecord(peers, r.readVarLong() - 1, r.readVarLong() - 1, r.readVarLong() - 1,
                r.readVarLong() - 1);
        r.expectEnd();
        return g;
    }

    private static FrameReader reader(byte[] v, int kind) {
        FrameReader r = new FrameReader(v);
        if (r.kind() != kind) {
            throw new CorruptFrameException("node metadata: expected kind " + kind + ", found " + r.kind());
        }
        return r;
    }

    private byte[] get(byte[] key) throws IOException {
        try {
            return db.get(key);
        } catch (RocksDBException e) {
            throw new IOException("reading node metadata: " + e.getMessage(), e);
        }
    }

    private void put(byte[] key, byte[] value, WriteOptions wo) throws IOException {
        try {
            db.put(wo, key, value);
        } catch (RocksDBException e) {
            throw new IOException("writing node metadata: " + e.getMessage(), e);
        }
    }

    private static byte[] groupKey(RaftGroupId group) {
        return utf8(GROUP_PREFIX + group.getUuid());
    }

    private static boolean startsWith(byte[] key, byte[] prefix) {
        return key.length >= prefix.length && Arrays.equals(key, 0, prefix.length, prefix, 0, prefix.length);
    }

    private static String string(FrameReader r) {
        return new String(r.readBytes(), StandardCharsets.UTF_8);
    }

    private static byte[] utf8(String s) {
        return s.getBytes(StandardCharsets.UTF_8);
    }

    @Override
    public void close() {
        syncWrite.close();
        plainWrite.close();
        db.close();
        options.close();
    }
}
