package io.omendb.raft.storage;

import org.apache.ratis.proto.RaftProtos.LogEntryProto;
import org.apache.ratis.proto.RaftProtos.RaftConfigurationProto;
import org.apache.ratis.protocol.RaftPeer;
import org.apache.ratis.server.storage.RaftStorageDirectory;

import java.io.IOException;
import java.io.OutputStream;
import java.io.Writer;
import java.nio.charset.StandardCharsets;
import java.nio.file.DirectoryStream;
import java.nio.file.Files;
import java.nio.file.Path;
import java.util.ArrayList;
import java.util.Comparator;
import java.util.List;
import java.util.Properties;
import java.util.UUID;
import java.util.regex.Matcher;
import java.util.regex.Pattern;

/**
 * The directory of one Raft group replica, {@code <data_dir>/raft/<group uuid>/}: Ratis' part and ours.
 *
 * <pre>
 *   in_use.lock           Ratis' lock while the node runs
 *   current/              Ratis' log segments, raft-meta (term, vote) and raft-meta.conf (latest configuration)
 *   sm/snapshot.T_I/      snapshots (engine checkpoint + descriptor), replaced wholesale by a snapshot install
 *   sm/snapshot.T_I.tmp/  a snapshot being written (deleted on start)
 *   engine/               the live engine, kept out of sm/ because an install replaces sm/
 *   engine.restoring/     the engine being rebuilt from a snapshot (deleted on start)
 *   backups/ID/           engine checkpoints taken for backup ID
 * </pre>
 *
 * Ratis' names come from its public constants where it has them ({@code current}, {@code sm}); the others Ratis
 * keeps private, so they are spelled here, once, and {@code RestoreRoundTripTest} checks them against what a
 * running node writes. Restore writes Ratis' files with {@link #writeRecoveredRaftState}.
 *
 * <p>Immutable and thread-safe, except for the writing method, whose caller owns the directory.
 */
public record GroupDir(Path root) {
    static final String LOCK_FILE = "in_use.lock";
    static final String RAFT_META_FILE = "raft-meta";
    static final String RAFT_CONF_FILE = RAFT_META_FILE + ".conf";
    static final String ENGINE_DIR = "engine";
    static final String ENGINE_RESTORING_DIR = ENGINE_DIR + ".restoring";
    static final String BACKUPS_DIR = "backups";
    static final String SNAPSHOT_PREFIX = "snapshot.";
    /** Suffix of a directory still being written (a snapshot, a backup checkpoint), renamed away when complete. */
    public static final String TMP_SUFFIX = ".tmp";
    private static final Pattern SNAPSHOT_DIR = Pattern.compile("snapshot\\.(\\d+)_(\\d+)");

    public static GroupDir of(Path root) {
        return new GroupDir(root);
    }

    /** The layout of the node whose data directory holds this group ({@code <data_dir>/raft/<uuid>}). */
    public NodeDataLayout nodeLayout() {
        return NodeDataLayout.of(root.toAbsolutePath().getParent().getParent());
    }

    /** The group's UUID, its directory name. */
    public UUID groupId() {
        return UUID.fromString(root.getFileName().toString());
    }

    /** Ratis' lock file, held while a node runs the group. */
    public Path lockFile() {
        return root.resolve(LOCK_FILE);
    }

    /** Ratis' log directory: the log segments and the metadata files. */
    public Path logDir() {
        return root.resolve(RaftStorageDirectory.CURRENT_DIR_NAME);
    }

    /** Ratis' term and vote ({@code java.util.Properties}). */
    public Path raftMetaFile() {
        return logDir().resolve(RAFT_META_FILE);
    }

    /** Ratis' latest configuration entry (a {@code LogEntryProto}). */
    public Path raftConfFile() {
        return logDir().resolve(RAFT_CONF_FILE);
    }

    /** The state machine directory: the snapshots. */
    public Path stateMachineDir() {
        return root.resolve(RaftStorageDirectory.STATE_MACHINE_DIR_NAME);
    }

    public Path snapshotDir(long term, long index) {
        return snapshotDir(stateMachineDir(), term, index);
    }

    /** The live engine. */
    public Path engineDir() {
        return root.resolve(ENGINE_DIR);
    }

    /** The engine being rebuilt from a snapshot, renamed over {@link #engineDir} once complete. */
    public Path engineRestoringDir() {
        return root.resolve(ENGINE_RESTORING_DIR);
    }

    public Path backupCheckpointsDir() {
        return root.resolve(BACKUPS_DIR);
    }

    /** The checkpoint of backup {@code backupId} (a path element: the caller validates it). */
    public Path backupCheckpointDir(String backupId) {
        return backupCheckpointsDir().resolve(backupId);
    }

    /** The snapshot directory of {@code (term, index)} in state machine directory {@code smDir}. */
    public static Path snapshotDir(Path smDir, long term, long index) {
        return smDir.resolve(SNAPSHOT_PREFIX + term + "_" + index);
    }

    /** {@code dir} while it is being written. */
    public static Path tmpOf(Path dir) {
        return dir.resolveSibling(dir.getFileName() + TMP_SUFFIX);
    }

    public static boolean isTmp(Path p) {
        return p.getFileName().toString().endsWith(TMP_SUFFIX);
    }

    /** The final-named snapshot directories in {@code smDir}, newest (highest index) first; none if it is missing. */
    public static List<Path> snapshotDirs(Path smDir) throws IOException {
        List<Path> out = new ArrayList<>();
        if (!Files.isDirectory(smDir)) {
            return out;
        }
        try (DirectoryStream<Path> s = Files.newDirectoryStream(smDir)) {
            for (Path p : s) {
                if (SNAPSHOT_DIR.matcher(p.getFileName().toString()).matches() && Files.isDirectory(p)) {
                    out.add(p);
                }
            }
        }
        out.sort(Comparator.comparingLong(GroupDir::snapshotIndexOf).reversed());
        return out;
    }

    private static long snapshotIndexOf(Path p) {
        Matcher m = SNAPSHOT_DIR.matcher(p.getFileName().toString());
        return m.matches() ? Long.parseLong(m.group(2)) : -1;
    }

    /**
     * Writes Ratis' metadata files as Ratis leaves them after installing a snapshot at {@code (term, index)}: the
     * term with no vote, and the configuration {@code peers} as of {@code index}. With a snapshot directory for the
     * same {@code (term, index)} next to them, Ratis recovers the group as "snapshot at (term, index), empty log
     * after it". Not fsynced: the caller (restore) fsyncs the whole tree before renaming it into place.
     */
    public void writeRecoveredRaftState(long term, long index, List<RaftPeer> peers) throws IOException {
        Files.createDirectories(logDir());
        Properties meta = new Properties();
        meta.setProperty("term", Long.toString(term));
        meta.setProperty("votedFor", "");
        try (Writer w = Files.newBufferedWriter(raftMetaFile(), StandardCharsets.UTF_8)) {
            meta.store(w, "restored by omendb backup");
        }
        LogEntryProto conf = LogEntryProto.newBuilder().setTerm(term).setIndex(index)
                .setConfigurationEntry(RaftConfigurationProto.newBuilder()
                        .addAllPeers(peers.stream().map(RaftPeer::getRaftPeerProto).toList()))
                .build();
        try (OutputStream out = Files.newOutputStream(raftConfFile())) {
            conf.writeTo(out);
        }
    }
}
