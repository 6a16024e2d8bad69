package io.omendb.raft.storage;

import org.apache.ratis.protocol.RaftGroupId;

import java.io.IOException;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.List;
import java.util.UUID;

/**
 * The one owner of a node's data directory: every path under {@code data_dir} is produced here (and, per Raft group,
 * by {@link GroupDir}), so the node, the backup tool, restore and the router's disk metrics cannot disagree on a
 * name. Nothing else spells these names.
 *
 * <pre>
 * data_dir/
 *   node-meta/            RocksDB: the node's identity and per-group progress (NodeMetadataStore)
 *   native/               RocksDB's JNI library, copied once per data dir (RocksDbNativeLibrary)
 *   raft/                 Ratis' storage root: one {@link GroupDir} per hosted group, named by the group's UUID
 *   raft-removed/         groups removed from this node (Ratis moves them here)
 * </pre>
 *
 * The log archive ({@code backup.log_archive_dir}, configured, possibly outside {@code data_dir}) is laid out as
 * {@code <archive>/<group uuid>/<node id>/}: {@link #archiveGroupDir}, {@link #archiveNodeDir}.
 *
 * <p>Immutable and thread-safe; it computes paths and lists directories, it never writes.
 */
public final class NodeDataLayout {
    static final String NODE_META_DIR = "node-meta";
    static final String NATIVE_DIR = "native";
    static final String RAFT_DIR = "raft";
    static final String REMOVED_GROUPS_DIR = "raft-removed";
    static final String SPLIT_STAGING_DIR = "raft-staging";

    private final Path dataDir;

    private NodeDataLayout(Path dataDir) {
        this.dataDir = dataDir;
    }

    public static NodeDataLayout of(Path dataDir) {
        return new NodeDataLayout(dataDir);
    }

    public Path dataDir() {
        return dataDir;
    }

    /** RocksDB's directory of the node's own metadata. */
    public Path nodeMetaDir() {
        return dataDir.resolve(NODE_META_DIR);
    }

    /** Where RocksDB's native library is extracted. */
    public Path nativeLibraryDir() {
        return dataDir.resolve(NATIVE_DIR);
    }

    /** Ratis' storage directory: the parent of every group directory. */
    public Path raftDir() {
        return dataDir.resolve(RAFT_DIR);
    }

    /** Where Ratis moves the storage of a group removed from this node. */
    public Path removedGroupsDir() {
        return dataDir.resolve(REMOVED_GROUPS_DIR);
    }

    /**
     * Where the right half of a split waits for its Raft group ({@code raft-staging/<group uuid>/}): written by the
     * parent replica as it applies the split, adopted (moved into the group's directory) when the group starts.
     * Outside {@link #raftDir} so that Ratis never mistakes a half-written one for a group; on the same file system,
     * so the move is a rename.
     */
    public Path splitStagingDir(UUID group) {
        return dataDir.resolve(SPLIT_STAGING_DIR).resolve(group.toString());
    }

    /** The staged right halves of splits ({@link #splitStagingDir}), by group; empty when there is none. */
    public List<UUID> stagedSplits() throws IOException {
        return uuidDirs(dataDir.resolve(SPLIT_STAGING_DIR)).stream()
                .map(p -> UUID.fromString(p.getFileName().toString())).toList();
    }

    public GroupDir group(UUID group) {
        return GroupDir.of(raftDir().resolve(group.toString()));
    }

    public GroupDir group(RaftGroupId group) {
        return group(group.getUuid());
    }

    /** Every group directory (a directory under {@link #raftDir} named by a UUID); empty when there is none. */
    public List<GroupDir> groups() throws IOException {
        return uuidDirs(raftDir()).stream().map(GroupDir::of).toList();
    }

    /** The directories under {@code root} named by a UUID; empty when {@code root} is missing. */
    private static List<Path> uuidDirs(Path root) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(root)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(root)) {
            for (Path p : s) {
                if (Files.isDirectory(p) && isUuid(p.getFileName().toString())) {
                    out.add(p);
                }
            }
        }
        return out;
    }

    /** The log archive of one group, every node's copy under it. */
    public static Path archiveGroupDir(Path archiveRoot, UUID group) {
        return archiveRoot.resolve(group.toString());
    }

    /** The log archive of one group's copy made by one node. */
    public static Path archiveNodeDir(Path archiveRoot, UUID group, String nodeId) {
        return archiveGroupDir(archiveRoot, group).resolve(nodeId);
    }

    private static boolean isUuid(String s) {
        try {
            UUID.fromString(s);
            return true;
        } catch (IllegalArgumentException e) {
            return false;
        }
    }

    @Override
    public String toString() {
        return dataDir.toString();
    }
}
